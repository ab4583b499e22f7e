// Placeholder until the EventLogFile store lands.
#include "elf.h"

namespace custody::sim {
std::unique_ptr<ElfStore> MakeElfStore(const OrgConfig&, const Activity&, const std::vector<UserInfo>&) {
  return nullptr;
}
}  // namespace custody::sim
