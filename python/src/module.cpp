// neuralpower._core: np::Error and its kinds become neuralpower.Error (a RuntimeError) with the
// message the command line prints after "neuralpower: error: ".
#include <pybind11/pybind11.h>

#include "bindings.hpp"
#include "neuralpower/error.hpp"
#include "neuralpower/version.hpp"

PYBIND11_MODULE(_core, m) {
  m.doc() = "NeuralPower's C++ library (the Python API is the neuralpower package)";
  m.attr("__version__") = std::string(np::kVersion);
  pybind11::register_exception<np::Error>(m, "Error", PyExc_RuntimeError);
  np::python::bind_network(m);
  np::python::bind_predict(m);
  np::python::bind_epr(m);
}
