#include "bundle/verify_instructions.h"

#include <cctype>

namespace custody::bundle {

std::string OpensslFingerprint(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    if (i > 0) out += ':';
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(hex[i])));
    if (i + 1 < hex.size()) out += static_cast<char>(std::toupper(static_cast<unsigned char>(hex[i + 1])));
  }
  return out;
}

std::string RenderVerifyInstructions(const VerifyInstructionsInput& in) {
  std::string t;
  t += "How to verify this evidence bundle with stock tools\n";
  t += "====================================================\n\n";
  t += "Bundle " + in.bundle_id + "\n";
  t += "Case " + in.case_id + ", sealed " + in.sealed_at + "\n";
  t += "Signed by " + in.signer_subject + "\n\n";
  t += "Unpack the bundle (tar -xf BUNDLE.tar), change into its folder " + in.top_folder + "/,\n";
  t += "and run each line below that begins with \"$ \" (without the \"$ \"). Each one must\n";
  t += "succeed (exit status 0, and sha256sum prints only OK lines). Any failure means the bundle\n";
  t += "is not as it was sealed. Only openssl (3.0 or later) and GNU coreutils are needed.\n\n";
  t += "1. The signature over the statement (prints \"CMS Verification successful\"). -attime judges\n";
  t += "   the certificate at the sealing time, " + in.sealed_at + ", so the check still passes after it expires:\n\n";
  t += "$ openssl cms -verify -binary -inform DER -in statement.p7s -content statement.txt -CAfile signer-cert.pem "
       "-partial_chain -purpose any -attime " + std::to_string(in.sealed_at_epoch) + " -out /dev/null\n\n";
  t += "2. The statement's digests of the tag files, this file and both manifests included:\n\n";
  t += "$ sha256sum -c --strict statement.txt\n\n";
  t += "3. The BagIt tag manifest and the payload manifest (every evidence file under data/):\n\n";
  t += "$ sha256sum -c --strict tagmanifest-sha256.txt\n";
  t += "$ sha256sum -c --strict manifest-sha256.txt\n\n";
  t += "4. Who signed: compare this fingerprint with the one the examiner gave you through a\n";
  t += "   separate channel. Step 1 proves only that signer-cert.pem made the signature.\n\n";
  t += "$ openssl x509 -in signer-cert.pem -noout -subject -fingerprint -sha256\n\n";
  t += "   Expected: sha256 Fingerprint=" + in.signer_fingerprint + "\n\n";
  t += "What these commands do not check: files added under data/ that no manifest lists (the\n";
  t += "statement records the payload as " + in.payload_oxum + " = bytes.files; `custody verify`\n";
  t += "reports extra files), and the custody log custody-log.jsonl, whose signed, hash-chained\n";
  t += "events (sealing, transfers, receipts) `custody verify` checks.\n";
  return t;
}

}  // namespace custody::bundle
