#include "auth/smart_auth.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstring>
#include <limits>

#include "auth/auth_text.h"
#include "core/encoding.h"
#include "core/time.h"
#include "crypto/keys.h"
#include "json/json.h"

namespace custody::auth {

namespace {

// A token response is a few hundred bytes; anything near this is not a token endpoint.
constexpr size_t kMaxTokenResponseBytes = 1u << 20;
constexpr std::chrono::seconds kGrantTimeout{120};
constexpr size_t kEs384Component = 48;

void WriteString(rapidjson::Writer<rapidjson::StringBuffer>& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

std::string StringMember(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return "";
  auto it = object.FindMember(name);
  if (it == object.MemberEnd() || !it->value.IsString()) return "";
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

Result<std::string> SignSha384(EVP_PKEY* key, std::string_view data) {
  crypto::EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) return Error(ErrorCode::kCrypto, "sign the client assertion: out of memory");
  if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha384(), nullptr, key) != 1 ||
      EVP_DigestSignUpdate(ctx.get(), data.data(), data.size()) != 1) {
    return Error(ErrorCode::kCrypto, "sign the client assertion: " + crypto::TakeOpenSslErrors());
  }
  size_t size = 0;
  if (EVP_DigestSignFinal(ctx.get(), nullptr, &size) != 1) {
    return Error(ErrorCode::kCrypto, "sign the client assertion: " + crypto::TakeOpenSslErrors());
  }
  std::string sig(size, '\0');
  if (EVP_DigestSignFinal(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &size) != 1) {
    return Error(ErrorCode::kCrypto, "sign the client assertion: " + crypto::TakeOpenSslErrors());
  }
  sig.resize(size);
  return sig;
}

}  // namespace

std::string JwsAlgorithmName(JwsAlgorithm alg) { return alg == JwsAlgorithm::kEs384 ? "ES384" : "RS384"; }

std::string Base64UrlEncode(std::string_view data) {
  std::string s = Base64Encode(AsBytes(data));
  while (!s.empty() && s.back() == '=') s.pop_back();
  for (char& c : s) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return s;
}

std::string NewJti() {
  std::uint8_t bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    // RAND_bytes only fails when the system has no entropy; a jti must still be unique.
    static std::atomic<std::uint64_t> counter{0};
    std::uint64_t n = counter.fetch_add(1) ^ static_cast<std::uint64_t>(
                                                  std::chrono::steady_clock::now().time_since_epoch().count());
    std::memcpy(bytes, &n, sizeof n);
    std::memset(bytes + 8, 0x5a, 8);
  }
  return ToHex(bytes);
}

Result<std::string> EcdsaDerToRaw(std::string_view der, size_t size) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  if (der.size() > static_cast<size_t>(std::numeric_limits<long>::max())) {
    return Error(ErrorCode::kCrypto, "ECDSA signature too large");
  }
  ECDSA_SIG* raw = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  if (raw == nullptr) return Error(ErrorCode::kCrypto, "ECDSA signature is not DER: " + crypto::TakeOpenSslErrors());
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(raw, ECDSA_SIG_free);
  if (p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
    return Error(ErrorCode::kCrypto, "ECDSA signature has bytes after its DER value");
  }
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string out(2 * size, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  if (BN_bn2binpad(r, o, static_cast<int>(size)) < 0 || BN_bn2binpad(s, o + size, static_cast<int>(size)) < 0) {
    return Error(ErrorCode::kCrypto, "ECDSA signature component longer than " + std::to_string(size) + " bytes");
  }
  return out;
}

Result<SmartSigningKey> LoadSmartSigningKey(std::string_view pem, const std::string& passphrase,
                                            std::string_view passphrase_setting) {
  crypto::PemKeyLabel label{"the SMART key", std::string("the ") + kEnvFhirKeyPassphrase + " environment variable",
                            kEnvFhirKeyPassphrase};
  if (!passphrase_setting.empty()) label.passphrase_from = label.passphrase = std::string(passphrase_setting);
  // Text that is not a PEM private key has always been kInvalidArgument (exit 2) here, where the
  // signing and Salesforce keys give kCrypto (exit 1, as docs/cli.md says of an unparsable key).
  // Kept until that exit code is changed on purpose.
  label.not_a_key = ErrorCode::kInvalidArgument;
  auto loaded = crypto::ReadPemPrivateKey(pem, label, passphrase);
  if (!loaded) return loaded.error();
  crypto::EvpPkeyPtr key = std::move(*loaded);
  SmartSigningKey out;
  const int id = EVP_PKEY_get_base_id(key.get());
  if (id == EVP_PKEY_RSA) {
    if (EVP_PKEY_get_bits(key.get()) < 2048) {
      return Error(ErrorCode::kInvalidArgument, "the SMART key is RSA with " +
                                                    std::to_string(EVP_PKEY_get_bits(key.get())) +
                                                    " bits; RS384 needs at least 2048");
    }
    out.alg = JwsAlgorithm::kRs384;
  } else if (id == EVP_PKEY_EC) {
    char group[64] = {0};
    size_t len = 0;
    if (EVP_PKEY_get_group_name(key.get(), group, sizeof group, &len) != 1 ||
        std::string_view(group, len) != "secp384r1") {
      return Error(ErrorCode::kInvalidArgument,
                   std::string("the SMART key is EC on ") + (len > 0 ? std::string(group, len) : "an unknown curve") +
                       "; ES384 needs P-384 (secp384r1)");
    }
    out.alg = JwsAlgorithm::kEs384;
  } else {
    const char* type = EVP_PKEY_get0_type_name(key.get());
    return Error(ErrorCode::kInvalidArgument, std::string("the SMART key is ") + (type != nullptr ? type : "of an unknown type") +
                                                  "; SMART Backend Services signs with RS384 (an RSA key) or ES384 "
                                                  "(an EC P-384 key)");
  }
  out.key = std::move(key);
  return out;
}

Result<std::string> MakeSmartClientAssertion(const SmartSigningKey& key, const ClientAssertion& claims) {
  if (claims.lifetime > std::chrono::seconds(300) || claims.lifetime < std::chrono::seconds(1)) {
    return Error(ErrorCode::kInvalidArgument, "a SMART client assertion lives from 1 to 300 seconds, not " +
                                                  std::to_string(claims.lifetime.count()));
  }
  if (claims.client_id.empty() || claims.token_url.empty() || claims.kid.empty()) {
    return Error(ErrorCode::kInvalidArgument, "a SMART client assertion needs a client id, a token URL and a kid");
  }
  if (!key.key) return Error(ErrorCode::kInvalidArgument, "no SMART signing key");
  rapidjson::StringBuffer hb;
  {
    rapidjson::Writer<rapidjson::StringBuffer> w(hb);
    w.StartObject();
    w.Key("alg");
    WriteString(w, JwsAlgorithmName(key.alg));
    w.Key("kid");
    WriteString(w, claims.kid);
    w.Key("typ");
    w.String("JWT");
    w.EndObject();
  }
  rapidjson::StringBuffer cb;
  {
    rapidjson::Writer<rapidjson::StringBuffer> w(cb);
    w.StartObject();
    w.Key("iss");
    WriteString(w, claims.client_id);
    w.Key("sub");
    WriteString(w, claims.client_id);
    w.Key("aud");
    WriteString(w, claims.token_url);
    w.Key("exp");
    w.Int64((claims.now + claims.lifetime).time_since_epoch().count());
    w.Key("jti");
    WriteString(w, claims.jti.empty() ? NewJti() : claims.jti);
    w.EndObject();
  }
  const std::string signing_input = Base64UrlEncode(std::string_view(hb.GetString(), hb.GetSize())) + "." +
                                    Base64UrlEncode(std::string_view(cb.GetString(), cb.GetSize()));
  auto sig = SignSha384(key.key.get(), signing_input);
  if (!sig) return sig.error();
  std::string signature = std::move(*sig);
  if (key.alg == JwsAlgorithm::kEs384) {
    auto raw = EcdsaDerToRaw(signature, kEs384Component);
    if (!raw) return raw.error().Context("sign the client assertion");
    signature = std::move(*raw);
  }
  return signing_input + "." + Base64UrlEncode(signature);
}

namespace {

// "Sun, 06 Nov 1994 08:49:37 GMT" as Unix milliseconds (the form servers send); nullopt otherwise.
std::optional<std::int64_t> ParseImfFixdateMs(std::string_view s) {
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (s.size() != 29 || s[3] != ',' || s.substr(25) != " GMT") return std::nullopt;
  int day = 0, year = 0, hh = 0, mm = 0, ss = 0;
  if (!ReadDigits(s, 5, 2, day) || !ReadDigits(s, 12, 4, year) || !ReadDigits(s, 17, 2, hh) ||
      !ReadDigits(s, 20, 2, mm) || !ReadDigits(s, 23, 2, ss)) {
    return std::nullopt;
  }
  unsigned month = 0;
  for (unsigned i = 0; i < 12; ++i) {
    if (s.substr(8, 3) == kMonths[i]) month = i + 1;
  }
  const std::chrono::year_month_day ymd{std::chrono::year(year), std::chrono::month(month),
                                        std::chrono::day(static_cast<unsigned>(day))};
  if (month == 0 || !ymd.ok() || hh > 23 || mm > 59 || ss > 60) return std::nullopt;
  const auto t = std::chrono::sys_days(ymd) + std::chrono::hours(hh) + std::chrono::minutes(mm) +
                 std::chrono::seconds(ss);
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

Result<SmartToken> RequestSmartToken(http::Transport& transport, const SmartGrantRequest& request,
                                     const SmartSigningKey& key, const Clock& clock, Redactor& redactor,
                                     GrantRecord* record_out, std::optional<std::int64_t>* server_date_ms) {
  GrantRecord record;
  record.grant_type = "client_credentials";
  record.token_url = request.token_url;
  const UtcSeconds now = clock.Now();
  record.requested_at = FormatRfc3339(now);
  const std::string what = "SMART client_credentials grant at " + request.token_url;
  auto done = [&](Error error) -> Error {
    record.error = redactor.Apply(record.error);
    if (record_out != nullptr) *record_out = record;
    return Error(error.code(), redactor.Apply(error.message()));
  };

  ClientAssertion claims;
  claims.client_id = request.client_id;
  claims.token_url = request.token_url;
  claims.kid = request.kid;
  claims.now = now + request.clock_skew;
  auto assertion = MakeSmartClientAssertion(key, claims);
  if (!assertion) {
    record.error = assertion.error().message();
    return done(assertion.error().Context(what));
  }
  std::vector<std::pair<std::string, std::string>> fields = {
      {"grant_type", "client_credentials"},
      {"client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
      {"client_assertion", *assertion}};
  if (!request.scope.empty()) fields.emplace(fields.begin() + 1, "scope", request.scope);
  http::Request req;
  req.method = "POST";
  req.url = request.token_url;
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}};
  req.body = FormBody(fields);
  req.timeout = kGrantTimeout;
  http::StringSink sink(kMaxTokenResponseBytes);
  auto response = transport.Perform(req, sink);
  // The assertion is a bearer credential for its five minutes: wiped once sent.
  OPENSSL_cleanse(req.body.data(), req.body.size());
  OPENSSL_cleanse(assertion->data(), assertion->size());
  if (!response) {
    record.error = response.error().message();
    return done(Error(response.error().code(), what + ": " + response.error().message()));
  }
  const int status = response->head.status;
  record.http_status = status;
  if (server_date_ms != nullptr) {
    *server_date_ms = std::nullopt;
    if (auto date = http::FindHeader(response->head.headers, "Date")) *server_date_ms = ParseImfFixdateMs(*date);
  }
  auto parsed = json::Parse(sink.body(), "token response");
  const bool is_object = parsed && parsed->IsObject();
  // Registered before anything could echo it: a token in an error body stays out of messages.
  if (is_object) {
    std::string maybe = StringMember(*parsed, "access_token");
    if (!maybe.empty()) redactor.Add(maybe);
  }
  if (status != 200) {
    const std::string code = is_object ? StringMember(*parsed, "error") : "";
    if (!code.empty()) {
      const std::string description = StringMember(*parsed, "error_description");
      // Redacted before the cut: an excerpt that ended inside a secret would keep the part it
      // shows from being recognised.
      record.error = QuoteServerText(redactor.Apply(OAuthErrorText(code, description)));
    } else {
      record.error = StatusWithBody(status, redactor.Apply(sink.body()));
    }
    std::string message = what + " refused: " + redactor.Apply(record.error);
    if (!code.empty() && status != 400 && status != 401) message += " (HTTP " + std::to_string(status) + ")";
    return done(Error(ErrorCode::kAuth, message));
  }
  if (!is_object) {
    record.error = "HTTP 200 with a body that is not a JSON object: " + QuoteServerText(redactor.Apply(sink.body()));
    return done(Error(ErrorCode::kAuth, what + " answered " + record.error));
  }
  const rapidjson::Value& doc = *parsed;
  SmartToken token;
  const std::string access_token = StringMember(doc, "access_token");
  if (access_token.empty() || !IsHeaderSafe(access_token)) {
    record.error = access_token.empty() ? "HTTP 200 without an access_token"
                                        : "HTTP 200 with an access_token that is not a printable token";
    return done(Error(ErrorCode::kAuth, what + " answered " + record.error));
  }
  token.token_type = StringMember(doc, "token_type");
  if (!token.token_type.empty() && !EqualsIgnoreCase(token.token_type, "bearer")) {
    record.error = "HTTP 200 with token_type " + QuoteServerText(token.token_type, 40) + ", not bearer";
    return done(Error(ErrorCode::kAuth, what + " answered " + record.error));
  }
  token.access_token = Secret(access_token);
  token.scope = StringMember(doc, "scope");
  if (auto it = doc.FindMember("expires_in"); it != doc.MemberEnd()) {
    if (it->value.IsInt64()) token.expires_in = it->value.GetInt64();
    // Some servers send it as a string; accept digits only.
    if (it->value.IsString()) {
      std::string_view v(it->value.GetString(), it->value.GetStringLength());
      if (!v.empty() && v.size() < 10 && std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        token.expires_in = std::stoll(std::string(v));
      }
    }
  }
  token.obtained_at = now;
  record.issued_at = FormatRfc3339(now);
  if (record_out != nullptr) *record_out = record;
  return token;
}

}  // namespace custody::auth
