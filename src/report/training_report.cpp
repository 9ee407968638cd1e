#include "neuralpower/training_report.hpp"

#include <cmath>

#include "neuralpower/table.hpp"

namespace np {

std::string training_report(const ModelFile& file) {
  // The paper's Tables 2 and 3: model size, RMSPE and RMSE per layer kind, both targets.
  Table table({{"kind"},
               {"rows", Align::right},
               {"runtime size", Align::right},
               {"RMSPE", Align::right},
               {"RMSE (ms)", Align::right},
               {"K", Align::right},
               {"fit"},
               {"power size", Align::right},
               {"RMSPE", Align::right},
               {"RMSE (W)", Align::right},
               {"K", Align::right},
               {"fit"}});
  for (const auto& [kind, k] : file.kinds) {
    std::vector<std::string> row{std::string(to_string(kind)),
                                 k.runtime ? std::to_string(k.runtime->rows) : "-"};
    for (const auto* t : {&k.runtime, &k.power}) {
      if (*t) {
        const TargetModel& m = **t;
        row.insert(row.end(), {std::to_string(m.model.size()), fixed(m.cv_rmspe, 2) + "%",
                               fixed(m.cv_rmse, 4), std::to_string(m.model.degree),
                               m.log_inputs ? std::string("log-log")
                                            : std::string(to_string(m.model.treatment))});
      } else {
        row.insert(row.end(), {"-", "-", "-", "-", "-"});
      }
    }
    table.add_row(row);
  }
  std::string out = "Layer models (cross-validated, " + std::to_string(file.folds) +
                    " folds): the paper's Tables 2-3\n\n" + table.to_text();

  // The data of the paper's Figure 3: CV error per polynomial degree.
  Table degrees({{"kind"},
                 {"target"},
                 {"K", Align::right},
                 {"CV RMSE", Align::right},
                 {"CV RMSPE", Align::right},
                 {"size", Align::right}});
  for (const auto& [kind, k] : file.kinds) {
    for (const auto& [target, t] : {std::pair{"runtime_ms", &k.runtime}, {"power_w", &k.power}}) {
      if (!*t) continue;
      for (const auto& d : (*t)->by_degree) {
        degrees.add_row({std::string(to_string(kind)), target, std::to_string(d.degree),
                         fixed(d.cv_rmse, 4), fixed(d.cv_rmspe, 2) + "%",
                         std::to_string(d.model_size)});
      }
    }
  }
  out += "\nCV error per degree (the paper's Figure 3), for the chosen fit\n\n" + degrees.to_text();

  // The runtime candidates: the form is chosen by the error of summed layers per held-out
  // training network; the single-row CV RMSPE is shown, not used to choose.
  Table candidates({{"kind"},
                    {"candidate"},
                    {"network error", Align::right},
                    {"CV RMSPE", Align::right},
                    {"chosen"},
                    {"selected by"}});
  for (const auto& [kind, k] : file.kinds) {
    if (!k.runtime) continue;
    for (const auto& c : k.runtime->candidates) {
      candidates.add_row({std::string(to_string(kind)), c.name,
                          std::isfinite(c.network_error) ? fixed(c.network_error, 2) + "%" : "-",
                          std::isfinite(c.cv_rmspe) ? fixed(c.cv_rmspe, 2) + "%" : "-",
                          c.chosen ? "yes" : "no", k.runtime->selected_by});
    }
  }
  return out +
         "\nRuntime candidates: network error = leave-one-training-network-out RMS error of "
         "summed layer times (chooses); k-fold where the rows have no source networks\n\n" +
         candidates.to_text();
}

}  // namespace np
