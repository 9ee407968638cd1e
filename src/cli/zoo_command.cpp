#include <iostream>

#include "cli/commands.hpp"
#include "neuralpower/load.hpp"
#include "neuralpower/network_report.hpp"

namespace np::cli {

Runner add_zoo_command(CLI::App& app) {
  app.add_subcommand("zoo", "list the networks shipped with the tool");
  return [] {
    std::cout << zoo_report(zoo_dir(), zoo_entries());
    return 0;
  };
}

}  // namespace np::cli
