#pragma once
// What a scan of a bag gathered: the tag files' bytes (small, capped) and the payload files'
// sizes and digests (streamed, never held).

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "crypto/digest.h"
#include "verify/finding.h"

namespace custody::verify {

struct BagContents {
  std::map<std::string, std::string> tag_files;         // every file outside data/, by path
  std::map<std::string, std::uint64_t> payload_sizes;   // "data/...": size
  std::map<std::string, std::map<crypto::DigestAlgorithm, std::string>> payload_digests;
  std::set<std::string> directories;
};

// The algorithms of the bag's payload manifests (manifest-<alg>.txt), known ones only.
std::vector<crypto::DigestAlgorithm> PayloadManifestAlgorithms(const BagContents& bag);

// RFC 8493 checks: bagit.txt, manifests, tag manifests, bag-info.txt, fetch.txt.
void CheckBagIt(const BagContents& bag, std::vector<Finding>& findings);

}  // namespace custody::verify
