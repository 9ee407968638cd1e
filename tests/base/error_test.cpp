// np::Error and its kinds: context is prepended at each stage and the kind of failure survives,
// so that the profiler can tell an unsupported layer from a device out of memory or a stop.
#include <gtest/gtest.h>

#include <new>

#include "neuralpower/error.hpp"

namespace np {
namespace {

template <typename Thrown>
void rethrow_in_context(const Thrown& error, const std::string& context) {
  try {
    throw error;
  } catch (...) {
    rethrow_with_context(context);
  }
}

TEST(RethrowWithContext, KeepsTheKindAndAddsContext) {
  try {
    rethrow_in_context(DeviceOutOfMemory("needs 4 GiB"), "cuda: layer 'fc'");
    FAIL() << "nothing thrown";
  } catch (const DeviceOutOfMemory& e) {
    EXPECT_EQ(std::string(e.what()), "cuda: layer 'fc': needs 4 GiB");
  }
  EXPECT_THROW(rethrow_in_context(UnsupportedLayer("int8"), "x"), UnsupportedLayer);
}

TEST(RethrowWithContext, LetsAStopThroughUnchanged) {
  EXPECT_THROW(rethrow_in_context(Interrupted(), "loading 'x'"), Interrupted);
}

TEST(RethrowWithContext, TurnsOtherExceptionsIntoErrors) {
  try {
    rethrow_in_context(std::runtime_error("bad"), "stage");
    FAIL() << "nothing thrown";
  } catch (const UnsupportedLayer&) {
    FAIL() << "a plain failure became an unsupported layer";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "stage: bad");
  }
  try {
    rethrow_in_context(std::bad_alloc(), "stage");
    FAIL() << "nothing thrown";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "stage: out of memory");
  }
}

TEST(FailureReason, NamesTheKindInOneLine) {
  EXPECT_EQ(failure_reason(UnsupportedLayer("lrn size 4\nis even")),
            "unsupported: lrn size 4 is even");
  EXPECT_EQ(failure_reason(DeviceOutOfMemory("needs 9 GiB")), "out of device memory: needs 9 GiB");
  EXPECT_EQ(failure_reason(std::bad_alloc()), "out of host memory");
  EXPECT_EQ(failure_reason(Error("timing\r\nfailed")), "error: timing  failed");
}

}  // namespace
}  // namespace np
