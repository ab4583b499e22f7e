#pragma once
// Text helpers the token clients share (Salesforce, SMART, and the connectors that make their own
// grants): the form body a token request sends, the check on what goes into an Authorization
// header, and the bounded, printable excerpt of a server's answer that a message may quote.
// None of them redacts: a caller holds the secrets and applies its Redactor to a server's text
// before quoting it, so that an excerpt's cut cannot split a secret and let half of it through.

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace custody::auth {

// How many bytes of a server's text a message quotes: enough for an OAuth error description or
// the start of an HTML error page, not a whole body in the operator's terminal or a manifest.
inline constexpr size_t kServerTextExcerptBytes = 200;

// The text with every control byte (below 0x20, and DEL) turned into a space, so that what a
// server sent cannot move the cursor, recolour the terminal or start a new log line; text that is
// not valid UTF-8 also has each byte from 0x80 up turned into '?', since it would print as garbage.
std::string Printable(std::string text);

// The first max bytes of the text, followed by "..." when anything was cut; the cut moves back to
// the start of a UTF-8 sequence rather than split one. Text of max bytes or less comes back whole.
std::string Excerpt(std::string_view text, size_t max);

// What a message may show of a server's text: Printable(Excerpt(redacted, max)). The text must
// already be redacted (see above).
std::string QuoteServerText(std::string_view redacted, size_t max = kServerTextExcerptBytes);

// "HTTP 502: <quoted body>", or "HTTP 502 with an empty body": how a refusal that is not an OAuth
// error object is described. The body must already be redacted.
std::string StatusWithBody(int status, std::string_view redacted_body);

// An OAuth error response (RFC 6749 section 5.2) as one phrase: "invalid_grant: <description>", or
// the error code alone when the server sent no description. Not quoted: the caller redacts and
// quotes the result, which is server text.
std::string OAuthErrorText(std::string_view error, std::string_view description);

// An application/x-www-form-urlencoded body (what a token endpoint takes): each name and value
// percent-encoded, so that a '&', '=', '+' or space inside a secret cannot split or change a field.
std::string FormBody(const std::vector<std::pair<std::string, std::string>>& fields);

// Whether the value can go into a header as is: visible ASCII only (0x21 to 0x7E). A token a server
// sent goes into an Authorization header, where a CR or LF would start a header of its own and a
// space or a non-ASCII byte would be altered or refused on the way. True for "": callers that need
// a value check for emptiness themselves, to say which of the two went wrong.
bool IsHeaderSafe(std::string_view value);

// "a", "a and b", "a, b and c": the settings a message says are missing, in the order given.
std::string JoinMissing(const std::vector<std::string>& missing);

}  // namespace custody::auth
