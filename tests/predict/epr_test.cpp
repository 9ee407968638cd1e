#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "neuralpower/epr.hpp"
#include "neuralpower/error.hpp"

namespace np {
namespace {

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Table 7 of the paper: M for alpha = 1..4, printed to 3 decimals.
const double kPaperM[3][4] = {{86.062, 6.283, 0.459, 0.033},   // VGG-16
                              {10.086, 1.715, 0.291, 0.050},   // AlexNet
                              {18.093, 3.655, 0.738, 0.149}};  // NIN

TEST(EnergyPrecisionRatio, ReproducesTable7OfThePaper) {
  const auto candidates =
      read_epr_csv(read(std::string(NP_SOURCE_DIR) + "/tests/fixtures/paper_table7.csv"), "t7");
  ASSERT_EQ(candidates.size(), 3u);
  const auto scores = energy_precision_ratio(candidates, {1, 2, 3, 4});
  for (size_t a = 0; a < 4; ++a) {
    for (size_t i = 0; i < 3; ++i) {
      // The paper computed M from unrounded EPIs and printed EPI to 0.1 mJ and M to 0.001, so
      // M from the printed columns can differ by Error^alpha x 0.05 mJ plus half a unit of M's
      // last digit, and no more.
      const double tolerance = std::pow(candidates[i].error, a + 1.0) * 0.05 + 0.0005;
      EXPECT_NEAR(scores[a].m[i], kPaperM[i][a], tolerance)
          << candidates[i].name << " alpha " << a + 1;
    }
  }
  // "AlexNet for alpha = 1, 2, 3, VGG-16 for alpha = 4"
  EXPECT_EQ(scores[0].ranks[1], 1);
  EXPECT_EQ(scores[1].ranks[1], 1);
  EXPECT_EQ(scores[2].ranks[1], 1);
  EXPECT_EQ(scores[3].ranks[0], 1);
}

TEST(EnergyPrecisionRatio, ErrorRatesAsPercentOrFraction) {
  EXPECT_DOUBLE_EQ(parse_error_rate("7.3%"), 0.073);
  EXPECT_DOUBLE_EQ(parse_error_rate("0.073"), 0.073);
  EXPECT_THROW(parse_error_rate("7.3"), Error);
  EXPECT_THROW(parse_error_rate("-1%"), Error);
  EXPECT_THROW(parse_error_rate("abc"), Error);
}

TEST(EnergyPrecisionRatio, BadCsvNamesLineAndColumn) {
  try {
    read_epr_csv("name,error,epi_mj\nA,10%,fast\n", "c.csv");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("c.csv:2: column 'epi_mj'"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(read_epr_csv("name,err\nA,1%\n", "c.csv"), Error);
}

}  // namespace
}  // namespace np
