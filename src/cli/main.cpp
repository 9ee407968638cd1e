// neuralpower: one binary, subcommands dispatched here. Exit codes: 0 success, 1 an error in
// the input or the run (one line on stderr), 2 a usage error.
#include <CLI/CLI.hpp>
#include <iostream>
#include <map>
#include <new>

#include "cli/commands.hpp"
#include "cli/validators.hpp"
#include "neuralpower/error.hpp"
#include "neuralpower/version.hpp"

int main(int argc, char** argv) {
  CLI::App app{"NeuralPower: predict the inference runtime, power and energy of CNNs on GPUs"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(np::kVersion));

  std::map<CLI::App*, np::cli::Runner> runners;
  auto add = [&](np::cli::Runner (*adder)(CLI::App&)) {
    const size_t before = app.get_subcommands({}).size();
    np::cli::Runner runner = adder(app);
    runners[app.get_subcommands({})[before]] = std::move(runner);
  };
  add(np::cli::add_show_command);
  add(np::cli::add_zoo_command);
  add(np::cli::add_train_command);
  add(np::cli::add_predict_command);
  add(np::cli::add_report_command);
  add(np::cli::add_epr_command);
  add(np::cli::add_devices_command);
  add(np::cli::add_profile_command);
  add(np::cli::add_evaluate_command);
  add(np::cli::add_import_command);

  // Usage errors in one line, like every other error.
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return std::string("neuralpower: usage error: ") + e.what() + " (see --help)\n";
  });
  if (const std::string unknown = np::cli::unknown_command(app, argc, argv); !unknown.empty()) {
    std::cerr << "neuralpower: usage error: " << unknown << "\n";
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 has its own codes; ours are 0 for --help/--version and 2 for any usage error.
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    for (auto& [command, runner] : runners) {
      if (command->parsed()) return runner();
    }
  } catch (const np::Error& e) {
    std::cerr << "neuralpower: error: " << e.what() << "\n";
    return 1;
  } catch (const std::bad_alloc&) {
    std::cerr << "neuralpower: error: out of memory\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "neuralpower: internal error: " << e.what() << "\n";
    return 1;
  }
  return 2;
}
