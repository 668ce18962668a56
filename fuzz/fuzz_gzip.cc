// Fuzz target: agx::Gunzip (Content-Encoding: gzip bodies) with a 256 KiB limit, and the
// round trip Gzip -> Gunzip. The limit is small on purpose: an input inflating to the
// limit is inflated three times, and 1 MiB made the run 4x slower under ASan without
// reaching more code (the output grows in 64 KiB chunks either way). Properties:
// - the output never exceeds the limit, and a failure leaves it empty;
// - the limit is exact: a body that inflates to n bytes passes with limit n and is
//   kTooLarge with limit n - 1;
// - Gunzip(Gzip(x)) == x, and Gzip(x) twice concatenated (valid gzip) gives x twice.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/gzip.h"
#include "fuzz_check.h"

namespace {

constexpr std::size_t kLimit = std::size_t{256} << 10;  // 256 KiB

void CheckInflate(std::string_view in) {
  std::string out;
  std::string error;
  const agx::GunzipStatus status = agx::Gunzip(in, kLimit, &out, &error);
  if (status != agx::GunzipStatus::kOk) {
    AGX_FUZZ_CHECK(out.empty(), "a failed Gunzip leaves no output");
    AGX_FUZZ_CHECK(!error.empty(), "a failed Gunzip says why");
    return;
  }
  AGX_FUZZ_CHECK(out.size() <= kLimit, "output within the limit");

  std::string exact;
  AGX_FUZZ_CHECK(agx::Gunzip(in, out.size(), &exact) == agx::GunzipStatus::kOk,
                 "a limit equal to the output size passes");
  AGX_FUZZ_CHECK(exact == out, "same output whatever the limit");
  if (!out.empty()) {
    std::string cut;
    AGX_FUZZ_CHECK(agx::Gunzip(in, out.size() - 1, &cut) == agx::GunzipStatus::kTooLarge,
                   "one byte under the output size is too large");
    AGX_FUZZ_CHECK(cut.empty(), "a too-large body leaves no output");
  }
}

void CheckRoundTrip(std::string_view data) {
  std::string out;
  const std::string packed = agx::Gzip(data);
  AGX_FUZZ_CHECK(agx::Gunzip(packed, kLimit, &out) == agx::GunzipStatus::kOk,
                 "Gzip output inflates");
  AGX_FUZZ_CHECK(out == data, "Gunzip(Gzip(x)) == x");

  // The same member twice: concatenated gzip is one body (one Gzip call per input keeps
  // the run fast: each deflateInit allocates and clears a few hundred KiB).
  AGX_FUZZ_CHECK(agx::Gunzip(packed + packed, kLimit, &out) == agx::GunzipStatus::kOk,
                 "two members inflate");
  AGX_FUZZ_CHECK(out.size() == 2 * data.size() && out.substr(0, data.size()) == data &&
                     out.substr(data.size()) == data,
                 "two members give the data back twice");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  CheckInflate(in);
  CheckRoundTrip(in);
  return 0;
}
