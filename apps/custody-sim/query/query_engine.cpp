// Placeholder until the query engine lands; replaced by query/*.cpp.
#include "query_engine.h"

namespace custody::sim {
std::variant<std::shared_ptr<const QueryResult>, SoqlError> QueryEngine::Run(
    std::string_view, const QueryOptions&) const {
  (void)org_;
  return SoqlError{500, "UNKNOWN_EXCEPTION", "query engine not built yet"};
}
}  // namespace custody::sim
