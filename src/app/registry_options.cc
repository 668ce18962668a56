#include "app/registry_options.h"

namespace agx {

RegistryOptions MakeRegistryOptions(const Config& c) {
  RegistryOptions o;
  o.series_limit = c.registry.series_limit;
  o.max_series = c.registry.max_series;
  o.label_value_max_bytes = c.registry.label_value_max_bytes;
  o.buckets = c.registry.buckets;
  return o;
}

}  // namespace agx
