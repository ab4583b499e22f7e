// Placeholder until the org generator lands.
#include "model.h"

namespace custody::sim {
std::unique_ptr<Org> MakeOrg(const OrgConfig&, std::string* error) {
  if (error != nullptr) *error = "org generator not built yet";
  return nullptr;
}
std::vector<std::string> ScenarioNames() { return {}; }
}  // namespace custody::sim
