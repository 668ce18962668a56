// Placeholder until the Alertmanager generator lands (issue 3).
#include "generate/generate.h"
namespace agx {
std::string GenerateAlertmanager(const Config&) { return {}; }
}  // namespace agx
