// The generic HTTP-JSON connector's case-file source: not in this build yet.
#include "source_job.h"

namespace custody::cli {

Result<SourceJob> HttpJsonJob(const SourceSection& section, PreparedCollection&, Context&, std::uint64_t) {
  return section.Fail("type", "http-json sources are not available in this build");
}

}  // namespace custody::cli
