#pragma once
// Names and fixed values of the bundle format. docs/bundle-format.md is the spec; this header
// must agree with it.

#include <string_view>

namespace custody::bundle {

inline constexpr std::string_view kFormat = "custody-bundle/1";
inline constexpr std::string_view kStatementFormat = "custody-statement/1";

inline constexpr std::string_view kBagitTxt = "bagit.txt";
inline constexpr std::string_view kBagInfo = "bag-info.txt";
inline constexpr std::string_view kManifest = "manifest-sha256.txt";
inline constexpr std::string_view kTagManifest = "tagmanifest-sha256.txt";
inline constexpr std::string_view kMetadata = "metadata/collection.json";
inline constexpr std::string_view kSignerCert = "signer-cert.pem";
inline constexpr std::string_view kStatement = "statement.txt";
inline constexpr std::string_view kSignature = "statement.p7s";
inline constexpr std::string_view kVerifyTxt = "VERIFY.txt";
inline constexpr std::string_view kCustodyLog = "custody-log.jsonl";
inline constexpr std::string_view kPayloadDir = "data";

inline constexpr std::string_view kBagitTxtContent = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n";

// Tar entry modes and owner. mtime is the sealing time.
inline constexpr int kFileMode = 0644;
inline constexpr int kDirMode = 0755;

// Tag files covered by tagmanifest-sha256.txt (sorted). The statement lists these plus the
// tag manifest itself. statement.txt, statement.p7s and custody-log.jsonl are in neither.
inline constexpr std::string_view kTagManifestFiles[] = {kVerifyTxt, kBagInfo,   kBagitTxt,
                                                          kManifest,  kMetadata, kSignerCert};

}  // namespace custody::bundle
