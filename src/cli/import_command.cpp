#include <filesystem>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/validators.hpp"
#include "neuralpower/dataset.hpp"
#include "neuralpower/deepbench_import.hpp"
#include "neuralpower/text_file.hpp"

namespace np::cli {

Runner add_import_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "import-deepbench",
      "DeepBench's cuDNN conv timings as layer datasets, one CSV per GPU and precision");
  auto source = std::make_shared<std::string>();
  auto out_dir = std::make_shared<std::string>();
  cmd->add_option("CSV", *source, "DeepBench conv CSV (gpu, cudnn, cuda, precision, W, H, ...)")
      ->required()
      ->check(existing_file());
  cmd->add_option("-o,--out-dir", *out_dir, "folder for the <gpu>-<dtype>.csv datasets")
      ->required();
  return [source, out_dir] {
    const auto sets = import_deepbench(read_text_file(*source, "DeepBench CSV"), *source);
    std::filesystem::create_directories(*out_dir);
    for (const auto& set : sets) {
      std::string text = dataset_header();
      for (const auto& m : set.rows) text += dataset_row(m);
      const std::string path = (std::filesystem::path(*out_dir) / (set.name + ".csv")).string();
      replace_file(path, text);
      std::cout << "wrote " << path << " (" << set.rows.size() << " rows)\n";
    }
    return 0;
  };
}

}  // namespace np::cli
