#pragma once
// Every subcommand registers itself here; main.cpp is the one place that dispatches.
#include <CLI/CLI.hpp>
#include <functional>

namespace np::cli {

// Adds the subcommand to `app` and returns the function to run when it was chosen; the
// function returns the process exit code.
using Runner = std::function<int()>;

Runner add_show_command(CLI::App& app);
Runner add_zoo_command(CLI::App& app);
Runner add_epr_command(CLI::App& app);
Runner add_train_command(CLI::App& app);
Runner add_predict_command(CLI::App& app);
Runner add_devices_command(CLI::App& app);
Runner add_profile_command(CLI::App& app);
Runner add_evaluate_command(CLI::App& app);
Runner add_report_command(CLI::App& app);

}  // namespace np::cli
