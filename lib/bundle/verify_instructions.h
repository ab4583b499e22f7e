#pragma once
// VERIFY.txt: instructions for counsel, with the exact stock-tool commands (lines that begin
// with "$ ") that check the bag from its own folder.

#include <cstdint>
#include <string>

namespace custody::bundle {

struct VerifyInstructionsInput {
  std::string top_folder;
  std::string bundle_id;
  std::string case_id;
  std::string sealed_at;
  std::int64_t sealed_at_epoch = 0;  // for openssl's -attime
  std::string signer_subject;
  std::string signer_fingerprint;  // "AB:CD:..." as openssl x509 -fingerprint prints it
  std::string payload_oxum;
};

std::string RenderVerifyInstructions(const VerifyInstructionsInput& input);

// "ab:cd" upper-cased and colon-separated, the form `openssl x509 -fingerprint -sha256` prints.
std::string OpensslFingerprint(const std::string& hex);

}  // namespace custody::bundle
