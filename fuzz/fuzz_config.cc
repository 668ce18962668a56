// Fuzz target: agx::ParseConfig(text, "fuzz.yml"), the YAML config loader. It must never
// crash or hang; errors are fine, but each one names the file ("fuzz.yml:line:col: …" or
// "fuzz.yml: …") and a success has no error.
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/config.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const agx::Result<agx::Config> config = agx::ParseConfig(text, "fuzz.yml");
  if (!config.ok()) {
    AGX_FUZZ_CHECK(config.error().rfind("fuzz.yml", 0) == 0, "errors name the file");
  }
  return 0;
}
