#include <iostream>

#include "cli/commands.hpp"
#include "neuralpower/import.hpp"
#include "neuralpower/table.hpp"

namespace np::cli {

Runner add_zoo_command(CLI::App& app) {
  app.add_subcommand("zoo", "list the networks shipped with the tool");
  return [] {
    Table table({{"name"}, {"format"}, {"file"}});
    for (const auto& entry : zoo_entries()) table.add_row({entry.name, entry.format, entry.path});
    std::cout << "zoo folder: " << zoo_dir() << "\n\n" << table.to_text();
    return 0;
  };
}

}  // namespace np::cli
