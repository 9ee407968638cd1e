// Energy-Precision Ratio (paper eq. 9): the ranking per alpha, and error rates as the command
// line reads them ("7.3%" or 0.073).
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "neuralpower/epr.hpp"

namespace np::python {
namespace py = pybind11;

void bind_epr(py::module_& m) {
  m.def(
      "energy_precision_ratio",
      [](const std::vector<std::tuple<std::string, double, double>>& rows,
         const std::vector<double>& alphas) {
        std::vector<EprCandidate> candidates;
        for (const auto& [name, error, epi_mj] : rows) candidates.push_back({name, error, epi_mj});
        py::list scores;
        for (const EprScore& score : energy_precision_ratio(candidates, alphas)) {
          py::dict d;
          d["alpha"] = score.alpha;
          d["m"] = score.m;
          d["ranks"] = score.ranks;
          scores.append(d);
        }
        return scores;
      },
      py::arg("candidates"), py::arg("alphas"));
  m.def("parse_error_rate", &parse_error_rate, py::arg("text"));
  m.def("default_alphas", [] { return EprOptions{}.alphas; });
}

}  // namespace np::python
