// The RAPL meter on fake powercap trees (the real one is usually missing or root-only).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "backends/cpu/rapl_power_meter.hpp"
#include "neuralpower/backend_registry.hpp"

namespace np::cpu {
namespace {

namespace fs = std::filesystem;

class FakePowercap : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("np_rapl_" + std::to_string(getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::permissions(root_, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(root_, ec);
  }
  void write(const std::string& relative, const std::string& text) {
    fs::create_directories((root_ / relative).parent_path());
    std::ofstream(root_ / relative) << text;
  }
  void zone(const std::string& zone, const std::string& name, uint64_t energy, uint64_t range) {
    write(zone + "/name", name + "\n");
    write(zone + "/energy_uj", std::to_string(energy) + "\n");
    write(zone + "/max_energy_range_uj", std::to_string(range) + "\n");
  }
  fs::path root_;
};

TEST_F(FakePowercap, MissingFolderSaysSo) {
  auto meter = make_rapl_power_meter_at((root_ / "absent").string());
  EXPECT_FALSE(meter->available());
  EXPECT_EQ(meter->name(), "none");
  EXPECT_NE(meter->status().find("does not exist"), std::string::npos) << meter->status();
  EXPECT_FALSE(meter->read().energy_mj.has_value());
}

TEST_F(FakePowercap, NoRaplZoneSaysSo) {
  write("other:0/name", "x\n");
  auto meter = make_rapl_power_meter_at(root_.string());
  EXPECT_FALSE(meter->available());
  EXPECT_NE(meter->status().find("no intel-rapl:N zone"), std::string::npos) << meter->status();
}

TEST_F(FakePowercap, PackagesAreSummedAndSubzonesAndPsysIgnored) {
  zone("intel-rapl:0", "package-0", 1000, 1000000);
  zone("intel-rapl:1", "package-1", 5000, 1000000);
  zone("intel-rapl:0:0", "core", 7, 1000000);
  zone("intel-rapl:2", "psys", 9, 1000000);
  auto meter = make_rapl_power_meter_at(root_.string());
  ASSERT_TRUE(meter->available()) << meter->status();
  EXPECT_EQ(meter->name(), "rapl");
  EXPECT_NE(meter->status().find("package-0"), std::string::npos);
  EXPECT_NE(meter->status().find("package-1"), std::string::npos);
  EXPECT_EQ(meter->status().find("psys"), std::string::npos);
  EXPECT_GT(meter->update_period_ms(), 0.0);
  const double start = meter->read().energy_mj.value();
  write("intel-rapl:0/energy_uj", "3000\n");      // +2000 uJ
  write("intel-rapl:1/energy_uj", "6000\n");      // +1000 uJ
  write("intel-rapl:0:0/energy_uj", "999999\n");  // a subzone: not counted
  EXPECT_DOUBLE_EQ(meter->read().energy_mj.value() - start, 3.0);
}

TEST_F(FakePowercap, WraparoundAddsTheRestOfTheRange) {
  zone("intel-rapl:0", "package-0", 900, 1000);
  auto meter = make_rapl_power_meter_at(root_.string());
  ASSERT_TRUE(meter->available());
  const double start = meter->read().energy_mj.value();
  write("intel-rapl:0/energy_uj", "50\n");  // 900 -> 1000 wraps to 0 -> 50: 150 uJ
  EXPECT_DOUBLE_EQ(meter->read().energy_mj.value() - start, 0.15);
}

TEST_F(FakePowercap, UnreadableCounterSaysPermissionDenied) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads any file: permissions cannot be tested";
  zone("intel-rapl:0", "package-0", 1, 1000);
  fs::permissions(root_ / "intel-rapl:0/energy_uj", fs::perms::none);
  auto meter = make_rapl_power_meter_at(root_.string());
  EXPECT_FALSE(meter->available());
  EXPECT_NE(meter->status().find("permission denied"), std::string::npos) << meter->status();
}

TEST_F(FakePowercap, GarbageCounterIsNotACounter) {
  zone("intel-rapl:0", "package-0", 1, 1000);
  write("intel-rapl:0/energy_uj", "lots\n");
  auto meter = make_rapl_power_meter_at(root_.string());
  EXPECT_FALSE(meter->available());
  EXPECT_NE(meter->status().find("not a counter"), std::string::npos) << meter->status();
}

TEST(RaplOnThisMachine, TheCpuMeterSaysWhatItCanRead) {
  auto meter = make_power_meter("cpu");
  EXPECT_FALSE(meter->status().empty());
  EXPECT_EQ(meter->available(), meter->name() == "rapl");
  if (meter->available()) {
    EXPECT_TRUE(meter->read().energy_mj.has_value());
  }
  std::string message;
  EXPECT_FALSE(meter->lock_clocks(message));
  EXPECT_FALSE(message.empty());
}

}  // namespace
}  // namespace np::cpu
