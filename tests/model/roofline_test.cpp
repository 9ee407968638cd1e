#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "neuralpower/error.hpp"
#include "neuralpower/roofline.hpp"

namespace {

struct Rows {
  std::vector<double> flops, elements, runtime;
};

// max(a·F, b·B) + c with multiplicative noise; F and B log-uniform over 4 decades each, so
// both roofs and the overhead are visible.
Rows synthetic(const np::Roofline& truth, int n, double noise_sd, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> decades(0.0, 4.0);
  std::normal_distribution<double> noise(0.0, noise_sd);
  Rows r;
  for (int i = 0; i < n; ++i) {
    const double f = truth.ms_per_flop > 0 ? 1e5 * std::pow(10.0, decades(rng)) : 0.0;
    const double b = 1e4 * std::pow(10.0, decades(rng));
    r.flops.push_back(f);
    r.elements.push_back(b);
    r.runtime.push_back(truth.predict(f, b) * std::exp(noise(rng)));
  }
  return r;
}

TEST(Roofline, RecoversKnownParametersFromNoisyData) {
  const np::Roofline truth{1e-7, 1e-5, 0.02};  // ridge at 100 FLOPs per element
  const Rows r = synthetic(truth, 400, 0.03, 1);
  const np::RooflineFit fit = np::fit_roofline(r.flops, r.elements, r.runtime);
  EXPECT_NEAR(fit.model.ms_per_flop / truth.ms_per_flop, 1.0, 0.03);
  EXPECT_NEAR(fit.model.ms_per_element / truth.ms_per_element, 1.0, 0.03);
  EXPECT_NEAR(fit.model.overhead_ms / truth.overhead_ms, 1.0, 0.1);
  // The loss is the noise variance, within sampling error.
  EXPECT_NEAR(fit.loss, 0.03 * 0.03, 0.3 * 0.03 * 0.03);
}

TEST(Roofline, GradientVanishesAndEveryPerturbationCostsAtTheOptimum) {
  const Rows r = synthetic({3e-8, 2e-6, 0.5}, 150, 0.1, 2);
  const np::RooflineFit fit = np::fit_roofline(r.flops, r.elements, r.runtime);
  EXPECT_LT(fit.gradient.cwiseAbs().maxCoeff(), 1e-8);
  Eigen::Vector3d g;
  const double loss = np::roofline_log_loss(fit.model, r.flops, r.elements, r.runtime, &g);
  EXPECT_DOUBLE_EQ(loss, fit.loss);
  for (double factor : {0.99, 1.01}) {
    np::Roofline m = fit.model;
    m.ms_per_flop *= factor;
    EXPECT_GT(np::roofline_log_loss(m, r.flops, r.elements, r.runtime), loss);
    m = fit.model;
    m.ms_per_element *= factor;
    EXPECT_GT(np::roofline_log_loss(m, r.flops, r.elements, r.runtime), loss);
    m = fit.model;
    m.overhead_ms *= factor;
    EXPECT_GT(np::roofline_log_loss(m, r.flops, r.elements, r.runtime), loss);
  }
}

TEST(Roofline, KindWithoutFlopsFitsTheMemoryRoofAlone) {
  const Rows r = synthetic({0.0, 4e-6, 0.01}, 200, 0.02, 3);
  const np::RooflineFit fit = np::fit_roofline(r.flops, r.elements, r.runtime);
  EXPECT_EQ(fit.model.ms_per_flop, 0.0);
  EXPECT_EQ(fit.gradient(0), 0.0);
  EXPECT_NEAR(fit.model.ms_per_element / 4e-6, 1.0, 0.03);
  EXPECT_LT(fit.gradient.cwiseAbs().maxCoeff(), 1e-8);
}

TEST(Roofline, BoundsHoldForAnyInputAndKeepTheTrainingRows) {
  const Rows r = synthetic({1e-7, 1e-5, 0.02}, 100, 0.2, 4);
  const np::RuntimeBounds bounds = np::runtime_bounds(r.flops, r.elements, r.runtime);
  for (std::size_t i = 0; i < r.runtime.size(); ++i) {
    bool clamped = true;
    EXPECT_EQ(bounds.clamp(r.runtime[i], r.flops[i], r.elements[i], &clamped), r.runtime[i]);
    EXPECT_FALSE(clamped) << i;
  }
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> wild(-30.0, 30.0);
  for (int i = 0; i < 2000; ++i) {
    const double f = std::pow(10.0, wild(rng) / 3 + 6), b = std::pow(10.0, wild(rng) / 3 + 5);
    const double t = i % 7 == 0 ? std::numeric_limits<double>::quiet_NaN()
                                : (i % 2 ? -1.0 : 1.0) * std::pow(10.0, wild(rng));
    bool clamped = false;
    const double c = bounds.clamp(t, f, b, &clamped);
    EXPECT_LE(bounds.lower(f, b), c);
    EXPECT_LE(c, bounds.upper(f, b));
    EXPECT_GE(c, bounds.min_ms);
    // Never faster than the fastest FLOP rate and element rate seen.
    EXPECT_GE(c, f * bounds.min_ms_per_flop * (1 - 1e-12));
    EXPECT_GE(c, b * bounds.min_ms_per_element * (1 - 1e-12));
    EXPECT_EQ(clamped, !(c == t));
  }
}

TEST(Roofline, RejectsBadRows) {
  const std::vector<double> ok{1.0, 2.0}, zero{0.0, 0.0}, bad{1.0, -1.0};
  EXPECT_THROW(np::fit_roofline(ok, ok, std::vector<double>{1.0}), np::Error);
  EXPECT_THROW(np::fit_roofline(ok, ok, bad), np::Error);
  EXPECT_THROW(np::fit_roofline(bad, ok, ok), np::Error);
  EXPECT_THROW(np::fit_roofline(zero, zero, ok), np::Error);
  EXPECT_THROW(np::runtime_bounds(ok, ok, zero), np::Error);
}

}  // namespace
