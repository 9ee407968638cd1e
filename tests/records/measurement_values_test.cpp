// A dataset row whose measurement cannot be real (a runtime of -5, 0 or 1e300 ms, a negative
// power, a fraction of a trial) is refused with its file, line, column and value, never fitted
// or dropped without a word; the same dataset given twice is refused.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "neuralpower/dataset.hpp"
#include "neuralpower/error.hpp"

namespace np {
namespace {

namespace fs = std::filesystem;

LayerMeasurement row(double runtime_ms) {
  LayerMeasurement m;
  m.kind = LayerKind::pool;
  m.config = "pool " + std::to_string(runtime_ms);
  m.features = {{"batch", 8}, {"in_channels", 64}};
  m.runtime_ms = runtime_ms;
  m.trials = 5;
  m.platform.device = "cpu0";
  m.platform.backend = "cpu";
  return m;
}

std::string error_of(const std::string& text) {
  try {
    parse_dataset(text, "d.csv");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::string with_runtime(const std::string& runtime) {
  // dataset_row writes a valid number; the cell is replaced as a hand-edited file would have it.
  std::string line = dataset_row(row(1.5));
  const size_t at = line.find(",1.5,");
  return dataset_header() + dataset_row(row(2)) + line.replace(at, 5, "," + runtime + ",");
}

TEST(MeasurementValues, ARuntimeThatCannotBeMeasuredIsRefusedNamingLineAndValue) {
  for (const std::string bad : {"-5", "0", "1e300", "-0"}) {
    EXPECT_EQ(error_of(with_runtime(bad)), "d.csv:3: column 'runtime_ms': '" + bad +
                                               "' is out of range (above 0 and at most 3600000 ms)")
        << bad;
  }
  EXPECT_EQ(error_of(with_runtime("nan")), "d.csv:3: column 'runtime_ms': 'nan' is not a number");
  EXPECT_EQ(error_of(with_runtime("0.002")), "");  // two microseconds is a real runtime
}

TEST(MeasurementValues, PowerEnergyTrialsAndFeaturesAreCheckedToo) {
  LayerMeasurement m = row(1);
  m.power_w = -3;
  EXPECT_NE(error_of(dataset_header() + dataset_row(m)).find("column 'power_w': '-3'"),
            std::string::npos);
  m = row(1);
  m.energy_mj = -1;
  EXPECT_NE(error_of(dataset_header() + dataset_row(m)).find("column 'energy_mj': '-1'"),
            std::string::npos);
  m = row(1);
  m.features["batch"] = -8;
  EXPECT_NE(error_of(dataset_header() + dataset_row(m)).find("column 'f_batch': '-8'"),
            std::string::npos);
  std::string line = dataset_row(row(1));
  line.replace(line.find(",5,"), 3, ",2.5,");
  EXPECT_NE(error_of(dataset_header() + line).find("column 'trials': '2.5' is not a whole number"),
            std::string::npos);
}

TEST(MeasurementValues, TheSameDatasetTwiceIsRefusedHoweverItIsNamed) {
  std::string pattern = (fs::temp_directory_path() / "np-values-XXXXXX").string();
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  const fs::path dir = pattern;
  const std::string path = (dir / "d.csv").string();
  std::ofstream(path) << dataset_header() << dataset_row(row(1)) << dataset_row(row(2));
  fs::create_symlink("d.csv", dir / "link.csv");
  const auto error = [](const std::vector<std::string>& paths) {
    try {
      read_datasets(paths);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(error({path, path}),
            "dataset '" + path + "' is given twice: its rows would count twice");
  EXPECT_EQ(error({path, (dir / "link.csv").string()}), "dataset '" + (dir / "link.csv").string() +
                                                            "' is given twice (also as '" + path +
                                                            "'): its rows would count twice");
  EXPECT_EQ(read_datasets({path}).rows.size(), 2u);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace np
