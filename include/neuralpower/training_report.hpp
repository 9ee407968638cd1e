#pragma once
// `neuralpower train`: the models chosen per layer kind (the paper's Tables 2-3) and their CV
// error per polynomial degree (Figure 3).
#include <string>

#include "neuralpower/model_file.hpp"

namespace np {

std::string training_report(const ModelFile& file);

}  // namespace np
