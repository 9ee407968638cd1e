// The chart builders' data: what goes into each chart, what is left out, and the summaries.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <set>

#include "neuralpower/error.hpp"
#include "report/html/charts.hpp"
#include "synthetic.hpp"

namespace np::html {
namespace {

using np::test::layer;
using np::test::synthetic_layers;

size_t rows_where(const nlohmann::json& values, const std::string& key, const std::string& value) {
  return static_cast<size_t>(std::count_if(
      values.begin(), values.end(), [&](const auto& row) { return row.value(key, "") == value; }));
}

TEST(PerLayerChart, MissingPowerIsAbsentFromTheDataNotZero) {
  const auto layers = synthetic_layers();
  const Chart chart = per_layer_chart(layers);
  ASSERT_EQ(chart.values.size(), layers.size());
  size_t without_power = 0;
  for (size_t i = 0; i < layers.size(); ++i) {
    const auto& row = chart.values[i];
    EXPECT_EQ(row["runtime_ms"].get<double>(), layers[i].runtime_ms);
    EXPECT_EQ(row.contains("power_w"), layers[i].power_w.has_value()) << row["name"];
    EXPECT_EQ(row.contains("energy_mj"), layers[i].energy_mj.has_value()) << row["name"];
    without_power += !row.contains("power_w");
  }
  EXPECT_GT(without_power, 20u);  // the synthetic network leaves out every seventh power
  EXPECT_EQ(chart.spec["hconcat"].size(), 3u);
}

TEST(PerLayerChart, RowsFollowNetworkOrderWhateverTheInputOrder) {
  auto layers = synthetic_layers({.layers = 30});
  std::reverse(layers.begin(), layers.end());
  const Chart chart = per_layer_chart(layers);
  for (size_t i = 0; i < chart.values.size(); ++i) EXPECT_EQ(chart.values[i]["order"], i);
  const auto& domain = chart.spec["hconcat"][0]["encoding"]["y"]["scale"]["domain"];
  EXPECT_EQ(domain.front(), "block1.conv0");
  EXPECT_EQ(domain.size(), 30u);
}

TEST(PerLayerChart, RuntimeOnlyNetworksGetOnePanel) {
  std::vector<LayerValues> layers = {layer("a", "conv", 0, 2.0), layer("b", "fc", 1, 1.0)};
  const Chart chart = per_layer_chart(layers);
  EXPECT_EQ(chart.spec["hconcat"].size(), 1u);
  for (const auto& row : chart.values) {
    EXPECT_FALSE(row.contains("power_w"));
    EXPECT_FALSE(row.contains("energy_mj"));
  }
}

TEST(PerLayerChart, RepeatedNamesGetDistinctLabels) {
  std::vector<LayerValues> layers = {layer("relu", "act", 0, 1.0), layer("relu", "act", 1, 1.0),
                                     layer("conv", "conv", 2, 1.0)};
  const Chart chart = per_layer_chart(layers);
  std::set<std::string> labels;
  for (const auto& row : chart.values) labels.insert(row["label"].get<std::string>());
  EXPECT_EQ(labels.size(), 3u);
  EXPECT_TRUE(labels.count("conv"));
}

TEST(PerLayerChart, RejectsValuesThatAreNotNumbers) {
  std::vector<LayerValues> layers = {layer("a", "conv", 0, NAN)};
  EXPECT_THROW(per_layer_chart(layers), np::Error);
  layers = {layer("a", "conv", 0, 1.0)};
  layers[0].power_w = INFINITY;
  EXPECT_THROW(per_layer_chart(layers), np::Error);
  EXPECT_THROW(per_layer_chart({}), np::Error);
  EXPECT_THROW(top_layers_chart({layer("a", "conv", 0, 1.0)}, Quantity::energy), np::Error);
  EXPECT_THROW(kind_share_chart({}), np::Error);
}

TEST(KindShares, SumToTheWholeAndComeLargestFirst) {
  const auto layers = synthetic_layers();
  for (Quantity quantity : {Quantity::runtime, Quantity::energy}) {
    const auto shares = kind_shares(layers, quantity);
    double share_sum = 0;
    double total = 0;
    int counted = 0;
    for (size_t i = 0; i < shares.size(); ++i) {
      share_sum += shares[i].share;
      total += shares[i].total;
      counted += shares[i].layers;
      if (i > 0) {
        EXPECT_GE(shares[i - 1].total, shares[i].total);
      }
    }
    EXPECT_NEAR(share_sum, 1.0, 1e-12);
    double expected = 0;
    int with_value = 0;
    for (const auto& layer : layers) {
      const auto value = quantity == Quantity::runtime ? layer.runtime_ms : layer.energy_mj;
      if (value) expected += *value, ++with_value;
    }
    EXPECT_NEAR(total, expected, 1e-9 * expected);
    EXPECT_EQ(counted, with_value);
  }
  EXPECT_THROW(kind_shares(layers, Quantity::power), np::Error);
}

TEST(KindShareChart, HasARuntimeAndAnEnergyPanelAndSaysWhatIsMissing) {
  const auto layers = synthetic_layers();
  const Chart chart = kind_share_chart(layers);
  EXPECT_EQ(chart.spec["hconcat"].size(), 2u);
  const size_t kinds = kind_shares(layers, Quantity::runtime).size();
  EXPECT_EQ(rows_where(chart.values, "quantity", "runtime"), kinds);
  EXPECT_EQ(rows_where(chart.values, "quantity", "energy"),
            kind_shares(layers, Quantity::energy).size());
  EXPECT_NE(chart.description.find("of 200 layers"), std::string::npos) << chart.description;
}

TEST(TopLayers, AreTheLargestInOrderAndSkipMissingValues) {
  const auto layers = synthetic_layers();
  for (Quantity quantity : {Quantity::runtime, Quantity::power, Quantity::energy}) {
    const auto top = top_layers(layers, quantity, 10);
    ASSERT_EQ(top.size(), 10u);
    auto value = [&](const LayerValues& l) {
      return quantity == Quantity::runtime ? std::optional<double>(l.runtime_ms)
             : quantity == Quantity::power ? l.power_w
                                           : l.energy_mj;
    };
    double smallest_top = INFINITY;
    for (const auto& layer : top) {
      ASSERT_TRUE(value(layer).has_value());
      smallest_top = std::min(smallest_top, *value(layer));
    }
    for (size_t i = 1; i < top.size(); ++i) EXPECT_GE(*value(top[i - 1]), *value(top[i]));
    size_t larger_elsewhere = 0;
    for (const auto& layer : layers)
      larger_elsewhere += value(layer) && *value(layer) > smallest_top;
    EXPECT_LE(larger_elsewhere, 9u);
  }
  EXPECT_EQ(top_layers(synthetic_layers({.layers = 4}), Quantity::runtime, 10).size(), 4u);
}

TEST(TopLayersChart, HasOneRowPerTopLayerWithItsShare) {
  const auto layers = synthetic_layers();
  const Chart chart = top_layers_chart(layers, Quantity::energy);
  ASSERT_EQ(chart.values.size(), 10u);
  EXPECT_EQ(chart.title, "Top 10 layers by energy");
  const auto top = top_layers(layers, Quantity::energy, 10);
  for (size_t i = 0; i < top.size(); ++i) {
    EXPECT_EQ(chart.values[i]["name"], top[i].name);
    EXPECT_EQ(chart.values[i]["value"].get<double>(), *top[i].energy_mj);
    EXPECT_NE(chart.values[i]["value_text"].get<std::string>().find("%)"), std::string::npos);
  }
}

TEST(ComparisonChart, HasARowForEveryValueThatExistsAndNoOther) {
  const auto layers =
      synthetic_layers({.layers = 60, .measured_missing_every = 4, .baseline = true});
  const SeriesNames names;
  const Chart chart = comparison_chart(layers, names);
  size_t predicted = 0, measured = 0, baseline = 0;
  for (const auto& layer : layers) {
    predicted += 1 + layer.power_w.has_value() + layer.energy_mj.has_value();
    measured += layer.measured_ms.has_value() + layer.measured_w.has_value() +
                layer.measured_mj.has_value();
    baseline += layer.baseline_ms.has_value();
  }
  EXPECT_EQ(rows_where(chart.values, "series", names.predicted), predicted);
  EXPECT_EQ(rows_where(chart.values, "series", names.measured), measured);
  EXPECT_EQ(rows_where(chart.values, "series", names.baseline), baseline);
  EXPECT_EQ(chart.spec["hconcat"].size(), 3u);
  for (const auto& row : chart.values) {
    EXPECT_TRUE(row["value"].is_number());
    EXPECT_TRUE(row["value"].get<double>() != 0);
  }
}

TEST(ComparisonChart, ErrorIsAgainstTheMeasurement) {
  std::vector<LayerValues> layers = {layer("conv1", "conv", 0, 1.1)};
  layers[0].measured_ms = 1.0;
  const Chart chart = comparison_chart(layers);
  ASSERT_EQ(chart.values.size(), 2u);
  EXPECT_EQ(chart.values[0]["error_text"], "+10.0 %");
  EXPECT_EQ(chart.values[1]["series"], "measured");
  std::vector<LayerValues> unmeasured = {layer("conv1", "conv", 0, 1.1)};
  EXPECT_THROW(comparison_chart(unmeasured), np::Error);
}

TEST(ComparisonScatter, LeavesOutWhatALogScaleCannotShow) {
  auto layers = synthetic_layers({.layers = 40});
  layers[2].runtime_ms = -0.5;  // a polynomial model can predict below zero
  const Chart chart = comparison_scatter(layers);
  EXPECT_EQ(rows_where(chart.values, "quantity", "runtime"), 39u);
  EXPECT_NE(chart.description.find("at or below zero: 1"), std::string::npos);
  for (const auto& row : chart.values) {
    EXPECT_GT(row["predicted"].get<double>(), 0);
    EXPECT_GT(row["measured"].get<double>(), 0);
  }
}

TEST(EprChart, MarksTheParetoFront) {
  const Chart chart = epr_chart(np::test::synthetic_epr());
  std::set<std::string> front;
  for (const auto& row : chart.values) {
    if (row["front"] == "Pareto front") front.insert(row["name"].get<std::string>());
  }
  // By hand from the synthetic numbers: nothing has less error than ResNet-50, less energy than
  // SqueezeNet, or both less error and less energy than MobileNet; MobileNet beats the rest
  // except VGG-16, which ResNet-50 beats.
  EXPECT_EQ(front, (std::set<std::string>{"SqueezeNet", "MobileNet", "ResNet-50"}));
  EXPECT_EQ(chart.spec["encoding"]["x"]["scale"]["type"], "log");  // 95 to 1650 mJ
  EXPECT_THROW(epr_chart({}), np::Error);
  EXPECT_THROW(epr_chart({{"x", 10, 0}}), np::Error);
}

TEST(SummaryTables, KindShareAndTopLayerTablesMatchTheData) {
  const auto layers = synthetic_layers();
  const SummaryTable kinds = kind_share_table(layers);
  EXPECT_EQ(kinds.columns.size(), 6u);
  EXPECT_EQ(kinds.rows.size(), kind_shares(layers, Quantity::runtime).size());
  const SummaryTable top = top_layers_table(layers, Quantity::runtime, 10);
  ASSERT_EQ(top.rows.size(), 10u);
  EXPECT_EQ(top.rows[0][1], top_layers(layers, Quantity::runtime, 1)[0].name);
  const SummaryTable power = top_layers_table(layers, Quantity::power, 5);
  EXPECT_EQ(power.columns.size(), 4u);  // no share: power does not add up
}

TEST(FormatValue, KeepsThreeSignificantDigits) {
  EXPECT_EQ(format_value(1234.6), "1,235");
  EXPECT_EQ(format_value(-1234567), "-1,234,567");
  EXPECT_EQ(format_value(123.4), "123");
  EXPECT_EQ(format_value(12.345), "12.3");
  EXPECT_EQ(format_value(1.2345), "1.23");
  EXPECT_EQ(format_value(0.012345), "0.0123");
  EXPECT_EQ(format_value(0), "0");
}

}  // namespace
}  // namespace np::html
