// libFuzzer harness: the dataset CSV reader (seeds: a header and rows of the shipped dataset).
// An accepted dataset's rows are written again by dataset_row and must read back the same.
#include "fuzz_support.hpp"
#include "neuralpower/dataset.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  np::fuzz::expect_only_np_errors([&] {
    const np::Dataset d = np::parse_dataset(np::fuzz::text_of(data, size), "fuzz.csv");
    std::string written = np::dataset_header();
    for (const auto& row : d.rows) written += np::dataset_row(row);
    const np::Dataset again = np::parse_dataset(written, "written.csv");
    if (again.rows.size() != d.rows.size()) {
      np::fuzz::broken_property("rows written by dataset_row do not all read back");
    }
    for (size_t i = 0; i < d.rows.size(); ++i) {
      if (again.rows[i].config != d.rows[i].config ||
          again.rows[i].runtime_ms != d.rows[i].runtime_ms ||
          again.rows[i].features != d.rows[i].features) {
        np::fuzz::broken_property("a dataset row changed in a write and read");
      }
    }
  });
  return 0;
}
