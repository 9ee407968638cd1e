#include <gtest/gtest.h>

#include <algorithm>

#include "neuralpower/csv.hpp"
#include "neuralpower/dataset.hpp"
#include "neuralpower/error.hpp"
#include "neuralpower/features.hpp"

namespace np {
namespace {

LayerMeasurement sample(double runtime) {
  LayerMeasurement m;
  m.kind = LayerKind::conv;
  m.config = R"({"kind": "conv", "out_channels": 64, "kernel": 3})";  // commas and quotes
  m.source_network = "vgg-16";
  m.source_layer = "conv1_1";
  m.features = {{"batch", 64}, {"in_channels", 3}, {"flops", 1.5e11}};
  m.runtime_ms = runtime;
  m.runtime_spread_pct = 0.4;
  m.trials = 25;
  m.power_w = 287.5;
  m.energy_mj = runtime * 287.5;
  m.platform.device = "NVIDIA H100 80GB HBM3";
  m.platform.backend = "cuda";
  m.date = "2026-11-21T05:00:00Z";
  return m;
}

std::string expect_error(const std::string& text) {
  try {
    parse_dataset(text, "d.csv");
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error for:\n" << text;
  return "";
}

TEST(Dataset, RoundTripKeepsEveryValueAndLeavesMissingOnesEmpty) {
  const LayerMeasurement m = sample(1.25);
  const Dataset d = parse_dataset(dataset_header() + dataset_row(m), "d.csv");
  ASSERT_EQ(d.rows.size(), 1u);
  const auto& r = d.rows[0];
  EXPECT_EQ(r.config, m.config);
  EXPECT_EQ(r.features, m.features);
  EXPECT_EQ(r.runtime_ms, 1.25);
  EXPECT_EQ(r.power_w, 287.5);
  EXPECT_EQ(r.trials, 25);
  EXPECT_FALSE(r.sm_clock_mhz.has_value());  // not measured stays missing
  EXPECT_FALSE(r.features.count("out_height"));
  EXPECT_EQ(r.platform.device, m.platform.device);
}

TEST(Dataset, FailedRowsAreSkippedAndCounted) {
  LayerMeasurement failed = sample(0);
  failed.failed = true;
  failed.failure_reason = "out of memory: 90 GiB requested";
  failed.runtime_ms.reset();
  const Dataset d =
      parse_dataset(dataset_header() + dataset_row(sample(1)) + dataset_row(failed), "d.csv");
  EXPECT_EQ(d.rows.size(), 1u);
  EXPECT_EQ(d.failed_rows, 1);
}

TEST(Dataset, RejectsAWrongHeaderNamingTheColumn) {
  std::string header = dataset_header();
  const std::string without = header.replace(header.find(",power_w"), 8, "");
  EXPECT_NE(expect_error(without + "\n").find("missing column 'power_w'"), std::string::npos);
  EXPECT_NE(expect_error("a,b\n").find("d.csv:1: missing column 'kind'"), std::string::npos);
  EXPECT_NE(expect_error(dataset_header().substr(0, dataset_header().size() - 1) + ",extra\n")
                .find("unknown column 'extra'"),
            std::string::npos);
  EXPECT_NE(expect_error("").find("empty"), std::string::npos);
}

TEST(Dataset, RejectsANonNumericCellWithFileLineAndColumn) {
  std::string row = dataset_row(sample(2));
  row.replace(row.find(",2,"), 3, ",fast,");
  const std::string message = expect_error(dataset_header() + dataset_row(sample(1)) + row);
  EXPECT_NE(message.find("d.csv:3: column 'runtime_ms': 'fast' is not a number"), std::string::npos)
      << message;
}

TEST(Dataset, RejectsARowCutShortByAnInterruptedWrite) {
  const std::string row = dataset_row(sample(1));
  const std::string message =
      expect_error(dataset_header() + row + row.substr(0, row.size() / 2) + "\n");
  EXPECT_NE(message.find("d.csv:3:"), std::string::npos) << message;
}

TEST(Dataset, HasAColumnForEveryFeatureOfEveryModelledKind) {
  const auto& columns = dataset_columns();
  for (LayerKind kind : modelled_kinds()) {
    const auto& spec = feature_spec(kind);
    for (const auto* names : {&spec.features, &spec.specials}) {
      for (const auto& name : *names) {
        EXPECT_NE(std::find(columns.begin(), columns.end(), "f_" + name), columns.end()) << name;
      }
    }
  }
}

TEST(Dataset, TheProtocolColumnsRoundTrip) {
  LayerMeasurement m = sample(1.5);
  m.placement = Placement::in_network;
  m.trials_redone = 4;
  m.reference_ms = 2.004;
  m.reference_mem_ms = 3.38;
  m.scheduling = "SCHED_FIFO priority 10, pinned to cpu 1";
  const Dataset d = parse_dataset(dataset_header() + dataset_row(m), "d.csv");
  ASSERT_EQ(d.rows.size(), 1u);
  EXPECT_EQ(d.rows[0].placement, Placement::in_network);
  EXPECT_EQ(d.rows[0].trials_redone, 4);
  EXPECT_EQ(d.rows[0].reference_ms, 2.004);
  EXPECT_EQ(d.rows[0].reference_mem_ms, 3.38);
  EXPECT_EQ(d.rows[0].scheduling, m.scheduling);
  const auto& columns = dataset_columns();
  const auto& protocol = protocol_columns();
  // The protocol columns come last, so that older files are a prefix of the header.
  EXPECT_TRUE(std::equal(protocol.rbegin(), protocol.rend(), columns.rbegin()));
}

TEST(Dataset, AFileWrittenBeforeTheProtocolReadsWithItsDefaults) {
  // The header and rows without the protocol columns, as data/cpu-epyc-1t/layers.csv has them.
  const auto keep =
      static_cast<std::ptrdiff_t>(dataset_columns().size() - protocol_columns().size());
  const LayerMeasurement m = sample(1.25);
  std::string row = dataset_row(m);
  row.pop_back();  // the newline
  const std::vector<std::string> cells = split_csv_line(row);
  const std::vector<std::string> old_cells(cells.begin(), cells.begin() + keep);
  const std::vector<std::string> old_header(dataset_columns().begin(),
                                            dataset_columns().begin() + keep);
  const Dataset d = parse_dataset(csv_line(old_header) + csv_line(old_cells), "old.csv");
  ASSERT_EQ(d.rows.size(), 1u);
  EXPECT_EQ(d.rows[0].placement, Placement::isolated);
  EXPECT_EQ(d.rows[0].trials_redone, 0);
  EXPECT_FALSE(d.rows[0].reference_ms.has_value());
  EXPECT_EQ(d.rows[0].runtime_ms, 1.25);
}

TEST(Dataset, TheShippedCpuDatasetStillReads) {
  const Dataset d = read_dataset(std::string(NP_SOURCE_DIR) + "/data/cpu-epyc-1t/layers.csv");
  EXPECT_EQ(d.rows.size(), 4536u);
  for (const auto& m : d.rows) EXPECT_EQ(m.placement, Placement::isolated);
}

TEST(Dataset, ARetriedRowIsReplacedOnlyByALaterRowOfTheSameLayer) {
  // Isolated rows are keyed by configuration; in-network rows also by network and layer, so
  // that the same configuration elsewhere in a network does not replace a row to retry.
  LayerMeasurement retried = sample(1.0);
  retried.power_status = "failed: energy counter did not change";
  LayerMeasurement again = sample(2.0);
  again.power_status = "ok";
  LayerMeasurement in_a = sample(3.0);
  in_a.placement = Placement::in_network;
  in_a.power_status = "failed: energy counter did not change";
  LayerMeasurement in_b = in_a;
  in_b.runtime_ms = 4.0;
  in_b.source_layer = "conv1_2";
  const Dataset d = parse_dataset(dataset_header() + dataset_row(retried) + dataset_row(in_a) +
                                      dataset_row(again) + dataset_row(in_b),
                                  "d.csv");
  std::vector<double> runtimes;
  for (const auto& m : d.rows) runtimes.push_back(*m.runtime_ms);
  EXPECT_EQ(runtimes, (std::vector<double>{3.0, 2.0, 4.0}));
}

TEST(Dataset, AnUnknownPlacementIsAnErrorNamingIt) {
  std::string row = dataset_row(sample(1));
  row.replace(row.find(",isolated,"), 10, ",elsewhere,");
  const std::string message = expect_error(dataset_header() + row);
  EXPECT_NE(message.find("d.csv:2: column 'placement': unknown placement 'elsewhere'"),
            std::string::npos)
      << message;
}

}  // namespace
}  // namespace np
