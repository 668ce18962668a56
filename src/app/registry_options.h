#pragma once
// The registry's options from the config's `registry:` section, for every command that
// builds a Registry (`serve`, `replay`), so that both count under the same limits.
#include "config/config.h"
#include "registry/registry.h"

namespace agx {

/// Pure; thread-safe.
RegistryOptions MakeRegistryOptions(const Config& c);

}  // namespace agx
