#pragma once
// Input validation shared by the model code: every failure is an np::Error naming the input,
// the offending row and column, and the value.
#include <cmath>
#include <sstream>
#include <string_view>

#include <Eigen/Core>

#include "neuralpower/error.hpp"
#include "neuralpower/lasso_path.hpp"

namespace np::model_detail {

template <typename Derived>
void check_finite(std::string_view what, const Eigen::DenseBase<Derived>& values) {
  for (Eigen::Index r = 0; r < values.rows(); ++r) {
    for (Eigen::Index c = 0; c < values.cols(); ++c) {
      const double v = values(r, c);
      if (std::isfinite(v)) continue;
      std::ostringstream message;
      message << what;
      if (values.cols() > 1) message << " column " << c;
      message << " of row " << r << " is " << v;
      throw Error(message.str());
    }
  }
}

// Throws np::Error naming the first option out of range.
void check_lasso_options(const LassoOptions& options);

}  // namespace np::model_detail
