#pragma once
// The extension neuralpower._core: thin conversions between the C++ library and Python's own
// types (dicts, lists, tuples, None for a missing value). The Python package (python/neuralpower)
// turns them into its result classes; nothing here keeps Python objects alive past a call.
#include <pybind11/pybind11.h>

#include <memory>
#include <string>

#include "neuralpower/compiled_model.hpp"
#include "neuralpower/model_file.hpp"

namespace np::python {

// A model file read once and compiled once, shared by every prediction made from it.
struct LoadedModel {
  std::string path;
  std::string label;  // as reports name it: "cpu.json (AMD EPYC (1 thread), fp32)"
  ModelFile file;
  std::unique_ptr<CompiledModel> compiled;
};

void bind_network(pybind11::module_& m);
void bind_predict(pybind11::module_& m);
void bind_epr(pybind11::module_& m);

}  // namespace np::python
