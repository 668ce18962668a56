#include "common/allocator.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

namespace agx {
namespace {

/// The VmFlags of the mapping of /proc/self/smaps that holds `addr`, or "" when not found.
std::string VmFlagsOf(const void* addr) {
  std::ifstream smaps("/proc/self/smaps");
  const auto a = reinterpret_cast<std::uintptr_t>(addr);
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    std::uintptr_t lo = 0, hi = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> lo >> dash >> hi && dash == '-') {
      inside = lo <= a && a < hi;
      continue;
    }
    if (inside && line.rfind("VmFlags:", 0) == 0) return line;
  }
  return "";
}

/// Whether this kernel has transparent huge pages at all. MADV_HUGEPAGE marks the mapping
/// ("hg") in every THP mode, "never" included; without THP the hint is refused, a no-op.
bool KernelHasHugePages() {
  return std::ifstream("/sys/kernel/mm/transparent_hugepage/enabled").good();
}

TEST(AllocatorTest, LargeBuffersAreMarkedForHugePagesAndSmallOnesAreLeftAlone) {
  // 16 MiB: past the 4 MiB mmap threshold, so the buffer is a mapping of its own.
  constexpr std::size_t kBig = std::size_t{16} << 20;
  auto big = std::make_unique_for_overwrite<char[]>(kBig);
  EXPECT_EQ(VmFlagsOf(big.get() + kBig / 2).find(" hg"), std::string::npos);
  AdviseHugePages(big.get(), kBig);
  const bool marked = VmFlagsOf(big.get() + kBig / 2).find(" hg") != std::string::npos;
  EXPECT_EQ(marked, KernelHasHugePages()) << VmFlagsOf(big.get() + kBig / 2);
  // A small buffer (under 4 MiB) is not advised: it shares the heap with everything else.
  auto small = std::make_unique_for_overwrite<char[]>(64 << 10);
  AdviseHugePages(small.get(), 64 << 10);
  EXPECT_EQ(VmFlagsOf(small.get()).find(" hg"), std::string::npos);
  AdviseHugePages(nullptr, kBig);  // tolerated
}

}  // namespace
}  // namespace agx
