#pragma once
// The custody log: JSON Lines, one signed event a line, each event chained to the previous
// line's SHA-256. Each line is the RFC 8785 canonical JSON of the event; the signature covers
// the canonical JSON of the same object without its "signature" member.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "core/error.h"
#include "crypto/keys.h"

namespace custody::bundle {

inline constexpr std::string_view kZeroSha256 =
    "0000000000000000000000000000000000000000000000000000000000000000";

struct CustodyEvent {
  std::int64_t seq = 1;
  std::string time;          // RFC 3339 UTC
  std::string action;        // sealed, transferred, received
  std::string statement_sha256;
  std::string prev_sha256;   // SHA-256 of the previous line's bytes; zeros for seq 1
  std::map<std::string, std::string> details;
  std::string tool;          // "custody 0.1.0"
};

// Builds, signs and serializes an event as one line (without the trailing newline).
Result<std::string> SignCustodyEvent(const CustodyEvent& event, const crypto::SigningIdentity& actor);

// The bytes an event's signature covers, from a parsed line: its canonical JSON minus "signature".
Result<std::string> CustodySignedBytes(std::string_view line);

}  // namespace custody::bundle
