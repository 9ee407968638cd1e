// A full disk while a model file is saved or a dataset row appended: the previous file stays
// as it was, byte for byte, and the error says what happened. Runs on a tiny tmpfs (skipped
// where mounting is not permitted).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "common/small_filesystem.hpp"
#include "neuralpower/dataset_appender.hpp"
#include "neuralpower/error.hpp"
#include "neuralpower/model_file.hpp"

namespace np {
namespace {

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

LayerMeasurement row(int i) {
  LayerMeasurement m;
  m.kind = LayerKind::conv;
  m.config = "conv " + std::to_string(i) + std::string(600, 'c');  // a long row
  m.runtime_ms = 1.0 + i;
  m.trials = 3;
  m.platform.device = "cpu0";
  m.platform.backend = "cpu";
  return m;
}

TEST(FullDisk, SavingAModelFileLeavesThePreviousOneIntact) {
  test::SmallFilesystem disk(64 * 1024);
  if (!disk.mounted()) GTEST_SKIP() << "mounting a tmpfs is not permitted here";
  const std::string path = disk.path("model.json");
  ModelFile model;
  model.platform.device = "cpu0";
  model.datasets = {"a.csv"};
  save_model_file(model, path);
  const std::string previous = read(path);
  disk.fill();
  model.datasets.assign(2000, std::string(40, 'd'));  // a bigger file than fits
  try {
    save_model_file(model, path);
    ADD_FAILURE() << "saved onto a full disk";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "cannot write '" + path +
                                         "': No space left on device; the previous '" + path +
                                         "' is unchanged");
  }
  EXPECT_EQ(read(path), previous);
  EXPECT_NO_THROW(read_model_file(path));
}

TEST(FullDisk, AppendingADatasetRowLeavesTheFileAsItWas) {
  test::SmallFilesystem disk(64 * 1024);
  if (!disk.mounted()) GTEST_SKIP() << "mounting a tmpfs is not permitted here";
  const std::string path = disk.path("layers.csv");
  {
    DatasetAppender out(path);
    for (int i = 0; i < 3; ++i) out.append(row(i));
  }
  // The file's last page may still hold a row or two after the disk is full: the rows that
  // fit are kept, the one that does not is cut off again.
  std::string before_failure;
  int64_t rows = 3;
  {
    DatasetAppender out(path);
    disk.fill();
    try {
      for (int i = 3; i < 1000; ++i) {
        before_failure = read(path);
        out.append(row(i));
        ++rows;
      }
      ADD_FAILURE() << "appended onto a full disk";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()), "cannot write '" + path +
                                           "': No space left on device while appending a row; "
                                           "the file is unchanged (" +
                                           std::to_string(rows) + " rows)");
    }
  }
  EXPECT_EQ(read(path), before_failure);
  DatasetAppender again(path);
  EXPECT_EQ(again.existing_rows(), rows);
  EXPECT_EQ(again.repair_note(), "");
}

}  // namespace
}  // namespace np
