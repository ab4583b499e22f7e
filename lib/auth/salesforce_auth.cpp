#include "auth/salesforce_auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <utility>

#include "auth/auth_text.h"
#include "auth/smart_auth.h"  // Base64UrlEncode, the JWS encoding both clients sign with
#include "crypto/keys.h"
#include "crypto/openssl_ptr.h"
#include "json/json.h"

namespace custody::auth {
namespace {

// The command-line flags and environment variables the messages name. The CLI defines the flags;
// these spellings are the ones it uses.
constexpr const char* kFlagInstanceUrl = "--instance-url";
constexpr const char* kFlagClientId = "--client-id";
constexpr const char* kFlagUsername = "--username";
constexpr const char* kFlagJwtKey = "--jwt-key";
constexpr const char* kEnvAccessToken = "SF_ACCESS_TOKEN";
constexpr const char* kEnvClientSecret = "SF_CLIENT_SECRET";
constexpr const char* kEnvRefreshToken = "SF_REFRESH_TOKEN";
constexpr const char* kEnvKeyPassphrase = "SF_JWT_KEY_PASSPHRASE";

constexpr const char* kDefaultLoginUrl = "https://login.salesforce.com";
constexpr const char* kTokenPath = "/services/oauth2/token";
constexpr size_t kMaxKeyFileBytes = 1u << 20;
// A token response is a few hundred bytes; anything near this is not a token endpoint.
constexpr size_t kMaxTokenResponseBytes = 1u << 20;
constexpr std::chrono::seconds kJwtLifetime{180};
constexpr std::chrono::seconds kGrantTimeout{120};
constexpr const char* kRedacted = "[REDACTED]";

std::string StripTrailingSlashes(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

bool IsHttpUrl(std::string_view url) {
  return (url.starts_with("https://") && url.size() > 8) || (url.starts_with("http://") && url.size() > 7);
}

// "https://test.salesforce.com:443/x" -> "test.salesforce.com" (lower-cased).
std::string HostOf(std::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return "";
  std::string_view rest = url.substr(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (const size_t at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
  if (!rest.starts_with('[')) rest = rest.substr(0, rest.find(':'));
  std::string host(rest);
  std::transform(host.begin(), host.end(), host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return host;
}

// Loads the PEM private key for the jwt-bearer grant and checks that it is RSA (RS256). An empty
// passphrase is none: LoadSalesforceSecrets already drops an empty SF_JWT_KEY_PASSPHRASE.
Result<crypto::EvpPkeyPtr> LoadRsaKey(std::string_view pem, const std::string& passphrase) {
  // "wrong SF_JWT_KEY_PASSPHRASE?" names the variable to fix, as this message always has.
  const crypto::PemKeyLabel label{"the JWT key", std::string("the ") + kEnvKeyPassphrase + " environment variable",
                                  kEnvKeyPassphrase};
  auto key = crypto::ReadPemPrivateKey(pem, label, passphrase);
  if (!key) return key.error();
  if (EVP_PKEY_get_base_id(key->get()) != EVP_PKEY_RSA) {
    const char* type = EVP_PKEY_get0_type_name(key->get());
    return Error(ErrorCode::kInvalidArgument,
                 std::string("the JWT key is ") + (type != nullptr ? type : "not RSA") +
                     ": Salesforce's jwt-bearer grant accepts RS256 only, so the key must be an RSA private key "
                     "(the one whose certificate is uploaded to the connected app)");
  }
  return key;
}

void WriteString(rapidjson::Writer<rapidjson::StringBuffer>& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

Result<std::string> SignJwt(EVP_PKEY* key, std::string_view iss, std::string_view sub, std::string_view aud,
                            UtcSeconds now) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("iss");
  WriteString(w, iss);
  w.Key("sub");
  WriteString(w, sub);
  w.Key("aud");
  WriteString(w, aud);
  w.Key("exp");
  w.Int64((now + kJwtLifetime).time_since_epoch().count());
  w.EndObject();
  const std::string signing_input =
      Base64UrlEncode(R"({"alg":"RS256"})") + "." +
      Base64UrlEncode(std::string_view(buf.GetString(), buf.GetSize()));
  auto signature = crypto::SignBytes(key, signing_input);
  if (!signature) return signature.error().Context("sign the JWT assertion");
  return signing_input + "." + Base64UrlEncode(*signature);
}

// A string member, or "" when absent or not a string.
std::string StringMember(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return "";
  auto it = object.FindMember(name);
  if (it == object.MemberEnd()) return "";
  if (it->value.IsString()) return std::string(it->value.GetString(), it->value.GetStringLength());
  if (it->value.IsInt64()) return std::to_string(it->value.GetInt64());
  return "";
}

// The short grant name used in messages.
std::string GrantLabel(SalesforceAuthMode mode) {
  switch (mode) {
    case SalesforceAuthMode::kJwt:
      return "jwt-bearer";
    case SalesforceAuthMode::kClientCredentials:
      return "client_credentials";
    case SalesforceAuthMode::kRefreshToken:
      return "refresh_token";
    case SalesforceAuthMode::kToken:
      break;
  }
  return "access-token";
}

// Flags each mode needs; the caller's config must have them.
std::vector<std::string> MissingFlags(const SalesforceAuthConfig& config) {
  std::vector<std::string> missing;
  const bool needs_client_id = config.mode != SalesforceAuthMode::kToken;
  if (config.instance_url.empty()) missing.push_back(kFlagInstanceUrl);
  if (needs_client_id && config.client_id.empty()) missing.push_back(kFlagClientId);
  if (config.mode == SalesforceAuthMode::kJwt) {
    if (config.username.empty()) missing.push_back(kFlagUsername);
    if (config.jwt_key_file.empty()) missing.push_back(kFlagJwtKey);
  }
  return missing;
}

Result<std::string> ReadKeyFile(const std::filesystem::path& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (status.type() == std::filesystem::file_type::not_found) {
    return Error(ErrorCode::kInvalidArgument, std::string(kFlagJwtKey) + " " + path.string() + ": no such file");
  }
  if (ec) {
    return Error(ErrorCode::kIo, std::string(kFlagJwtKey) + " " + path.string() + ": " + ec.message());
  }
  if (!std::filesystem::is_regular_file(status)) {
    return Error(ErrorCode::kInvalidArgument, std::string(kFlagJwtKey) + " " + path.string() + ": not a regular file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error(ErrorCode::kIo, std::string(kFlagJwtKey) + " " + path.string() + ": cannot open for reading");
  }
  std::string contents;
  char buf[8192];
  while (in) {
    in.read(buf, sizeof buf);
    contents.append(buf, static_cast<size_t>(in.gcount()));
    if (contents.size() > kMaxKeyFileBytes) {
      return Error(ErrorCode::kInvalidArgument, std::string(kFlagJwtKey) + " " + path.string() +
                                                    ": larger than 1 MiB, not a PEM private key");
    }
  }
  if (in.bad()) return Error(ErrorCode::kIo, std::string(kFlagJwtKey) + " " + path.string() + ": read failed");
  if (contents.empty()) {
    return Error(ErrorCode::kInvalidArgument, std::string(kFlagJwtKey) + " " + path.string() + ": the file is empty");
  }
  return contents;
}

class SalesforceTokenProvider final : public TokenProvider {
 public:
  SalesforceTokenProvider(SalesforceAuthConfig config, SalesforceSecrets secrets, const Clock& clock,
                          Redactor* shared, crypto::EvpPkeyPtr jwt_key)
      : config_(std::move(config)),
        secrets_(std::move(secrets)),
        clock_(clock),
        shared_redactor_(shared),
        jwt_key_(std::move(jwt_key)) {
    RegisterSecret(secrets_.access_token.reveal());
    RegisterSecret(secrets_.client_secret.reveal());
    RegisterSecret(secrets_.refresh_token.reveal());
    RegisterSecret(secrets_.jwt_key_passphrase.reveal());
    RegisterSecret(secrets_.jwt_key_pem.reveal());
  }

  Result<Token> Current(http::Transport& transport) override {
    std::lock_guard lock(mu_);
    if (token_) return *token_;
    return GrantLocked(transport);
  }

  Result<Token> Renew(http::Transport& transport, std::uint64_t stale_generation) override {
    std::lock_guard lock(mu_);
    if (config_.mode == SalesforceAuthMode::kToken) {
      return Error(ErrorCode::kAuth, std::string("the access token from ") + kEnvAccessToken +
                                         " was refused (expired or revoked); export a fresh one or use --auth "
                                         "jwt|client-credentials|refresh-token");
    }
    // Another worker already replaced the token that failed: use the newer one.
    if (token_ && token_->generation != stale_generation) return *token_;
    return GrantLocked(transport);
  }

  bool CanRenew() const override { return config_.mode != SalesforceAuthMode::kToken; }

  std::vector<GrantRecord> Grants() const override {
    std::lock_guard lock(mu_);
    return grants_;
  }

 private:
  void RegisterSecret(const std::string& secret) {
    if (secret.empty()) return;
    redactor_.Add(secret);
    if (shared_redactor_ != nullptr) shared_redactor_->Add(secret);
  }

  std::string TokenUrl() const {
    const std::string& base =
        config_.mode == SalesforceAuthMode::kClientCredentials ? config_.instance_url : config_.login_url;
    return base + kTokenPath;
  }

  Result<std::string> RequestBody() const {
    switch (config_.mode) {
      case SalesforceAuthMode::kJwt: {
        auto assertion = SignJwt(jwt_key_.get(), config_.client_id, config_.username, config_.jwt_audience,
                                 clock_.Now());
        if (!assertion) return assertion.error();
        return FormBody({{"grant_type", GrantType(config_.mode)}, {"assertion", *assertion}});
      }
      case SalesforceAuthMode::kClientCredentials:
        return FormBody({{"grant_type", GrantType(config_.mode)},
                         {"client_id", config_.client_id},
                         {"client_secret", secrets_.client_secret.reveal()}});
      case SalesforceAuthMode::kRefreshToken: {
        std::vector<std::pair<std::string, std::string>> fields = {
            {"grant_type", GrantType(config_.mode)},
            {"refresh_token", secrets_.refresh_token.reveal()},
            {"client_id", config_.client_id}};
        if (!secrets_.client_secret.empty()) fields.emplace_back("client_secret", secrets_.client_secret.reveal());
        return FormBody(fields);
      }
      case SalesforceAuthMode::kToken:
        break;
    }
    return Error(ErrorCode::kInternal, "no grant for --auth token");
  }

  // The first token for kToken; a grant for the others. Requires mu_.
  Result<Token> GrantLocked(http::Transport& transport) {
    if (config_.mode == SalesforceAuthMode::kToken) {
      Token token;
      token.access_token = secrets_.access_token;
      token.instance_url = config_.instance_url;
      token.generation = ++generation_;
      token_ = token;
      return token;
    }
    GrantRecord record;
    record.grant_type = GrantType(config_.mode);
    record.token_url = TokenUrl();
    record.requested_at = FormatRfc3339(clock_.Now());
    const std::string what = "salesforce " + GrantLabel(config_.mode) + " grant";

    auto fail = [&](Error error) -> Error {
      record.error = redactor_.Apply(record.error);
      grants_.push_back(record);
      return error;
    };

    auto body = RequestBody();
    if (!body) {
      record.error = body.error().message();
      return fail(body.error().Context(what));
    }
    http::Request request;
    request.method = "POST";
    request.url = record.token_url;
    request.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}};
    request.body = std::move(*body);
    request.timeout = kGrantTimeout;
    http::StringSink sink(kMaxTokenResponseBytes);
    auto response = transport.Perform(request, sink);
    // The body holds the secrets: wiped as soon as it has been sent.
    OPENSSL_cleanse(request.body.data(), request.body.size());
    if (!response) {
      Error error(response.error().code(), redactor_.Apply(response.error().message()));
      record.error = error.message();
      return fail(error.Context(what + ": POST " + record.token_url));
    }
    const int status = response->head.status != 0 ? response->head.status : sink.head().status;
    record.http_status = status;

    auto parsed = json::Parse(sink.body(), "token response");
    const bool is_object = parsed && parsed->IsObject();
    if (status != 200) {
      const std::string error_code = is_object ? StringMember(*parsed, "error") : "";
      std::string message = "salesforce " + GrantLabel(config_.mode) + " grant refused by " + record.token_url + ": ";
      if (!error_code.empty()) {
        const std::string description = StringMember(*parsed, "error_description");
        record.error = QuoteServerText(redactor_.Apply(OAuthErrorText(error_code, description)));
        message += record.error;
        if (status != 400 && status != 401) message += " (HTTP " + std::to_string(status) + ")";
      } else {
        record.error = StatusWithBody(status, redactor_.Apply(sink.body()));
        message += record.error;
      }
      return fail(Error(ErrorCode::kAuth, message));
    }
    if (!is_object) {
      record.error =
          "HTTP 200 with a body that is not a JSON object: " + QuoteServerText(redactor_.Apply(sink.body()));
      return fail(Error(ErrorCode::kAuth, what + ": " + record.token_url + " answered " + record.error));
    }
    const rapidjson::Value& doc = *parsed;
    Token token;
    const std::string access_token = StringMember(doc, "access_token");
    if (access_token.empty() || !IsHeaderSafe(access_token)) {
      record.error = access_token.empty() ? "HTTP 200 without an access_token"
                                          : "HTTP 200 with an access_token that is not a printable token";
      return fail(Error(ErrorCode::kAuth, what + ": " + record.token_url + " answered " + record.error));
    }
    token.access_token = Secret(access_token);
    RegisterSecret(access_token);
    token.instance_url = StripTrailingSlashes(StringMember(doc, "instance_url"));
    if (token.instance_url.empty()) token.instance_url = config_.instance_url;
    if (!IsHttpUrl(token.instance_url) || !IsHeaderSafe(token.instance_url)) {
      record.error = "HTTP 200 with an instance_url that is not an http(s) URL: " +
                     QuoteServerText(redactor_.Apply(token.instance_url));
      return fail(Error(ErrorCode::kAuth, what + ": " + record.token_url + " answered " + record.error));
    }
    token.identity_url = StringMember(doc, "id");
    token.issued_at = StringMember(doc, "issued_at");
    token.scope = StringMember(doc, "scope");
    const std::string token_type = StringMember(doc, "token_type");
    if (!token_type.empty() && token_type != "Bearer") {
      record.error = "HTTP 200 with token_type " + QuoteServerText(token_type, 40) + ", not Bearer";
      return fail(Error(ErrorCode::kAuth, what + ": " + record.token_url + " answered " + record.error));
    }
    if (config_.mode == SalesforceAuthMode::kRefreshToken) {
      // Refresh-token rotation: the old one is now spent, the new one is for the next grant.
      const std::string next = StringMember(doc, "refresh_token");
      if (!next.empty()) {
        RegisterSecret(next);
        secrets_.refresh_token = Secret(next);
      }
    }
    token.generation = ++generation_;
    record.identity_url = token.identity_url;
    record.instance_url = token.instance_url;
    record.issued_at = token.issued_at;
    grants_.push_back(record);
    token_ = token;
    return token;
  }

  const SalesforceAuthConfig config_;  // URLs normalized, defaults filled in
  // One lock for everything below. It is held across the grant's HTTP exchange on purpose: the
  // workers that wait for it then get the new token instead of making grants of their own.
  mutable std::mutex mu_;
  SalesforceSecrets secrets_;        // guarded by mu_ (the refresh token rotates)
  const Clock& clock_;               // the caller's; outlives the provider
  Redactor redactor_;                // always present, for this provider's own messages
  Redactor* shared_redactor_;        // the caller's, may be null
  crypto::EvpPkeyPtr jwt_key_;       // kJwt only
  std::optional<Token> token_;       // guarded by mu_
  std::uint64_t generation_ = 0;     // guarded by mu_
  std::vector<GrantRecord> grants_;  // guarded by mu_
};

}  // namespace

// Redactor ---------------------------------------------------------------------------------------

// Any non-empty secret is registered, however short: a very short secret (a few characters) may
// also blank out unrelated text that happens to contain it. Over-redacting is the safe failure.
void Redactor::Add(const std::string& secret) {
  if (secret.empty()) return;
  std::lock_guard lock(mu_);
  for (std::string form : {secret, http::UrlEncode(secret)}) {
    if (std::find(secrets_.begin(), secrets_.end(), form) == secrets_.end()) secrets_.push_back(std::move(form));
  }
}

// Marks every byte covered by any occurrence of any secret in the original text, then writes each
// run of marked bytes as one "[REDACTED]". Matching the original (not text already redacted)
// handles overlapping secrets and never matches inside a "[REDACTED]".
std::string Redactor::Apply(std::string_view text) const {
  std::lock_guard lock(mu_);
  if (secrets_.empty() || text.empty()) return std::string(text);
  std::vector<bool> covered(text.size(), false);
  bool any = false;
  for (const std::string& secret : secrets_) {
    for (size_t pos = text.find(secret); pos != std::string_view::npos; pos = text.find(secret, pos + 1)) {
      std::fill(covered.begin() + static_cast<std::ptrdiff_t>(pos),
                covered.begin() + static_cast<std::ptrdiff_t>(pos + secret.size()), true);
      any = true;
    }
  }
  if (!any) return std::string(text);
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (!covered[i]) {
      out.push_back(text[i++]);
      continue;
    }
    out += kRedacted;
    while (i < text.size() && covered[i]) ++i;
  }
  return out;
}

// Modes ------------------------------------------------------------------------------------------

Result<SalesforceAuthMode> ParseSalesforceAuthMode(std::string_view name) {
  if (name == "token") return SalesforceAuthMode::kToken;
  if (name == "jwt") return SalesforceAuthMode::kJwt;
  if (name == "client-credentials") return SalesforceAuthMode::kClientCredentials;
  if (name == "refresh-token") return SalesforceAuthMode::kRefreshToken;
  return Error(ErrorCode::kInvalidArgument, "unknown --auth mode '" + Printable(std::string(name)) +
                                                "': use token, jwt, client-credentials or refresh-token");
}

std::string SalesforceAuthModeName(SalesforceAuthMode mode) {
  switch (mode) {
    case SalesforceAuthMode::kToken:
      return "token";
    case SalesforceAuthMode::kJwt:
      return "jwt";
    case SalesforceAuthMode::kClientCredentials:
      return "client-credentials";
    case SalesforceAuthMode::kRefreshToken:
      return "refresh-token";
  }
  return "unknown";
}

std::string GrantType(SalesforceAuthMode mode) {
  switch (mode) {
    case SalesforceAuthMode::kToken:
      return "";
    case SalesforceAuthMode::kJwt:
      return "urn:ietf:params:oauth:grant-type:jwt-bearer";
    case SalesforceAuthMode::kClientCredentials:
      return "client_credentials";
    case SalesforceAuthMode::kRefreshToken:
      return "refresh_token";
  }
  return "";
}

// Secrets ----------------------------------------------------------------------------------------

EnvLookup ProcessEnvironment() {
  return [](const char* name) -> std::optional<std::string> {
    const char* value = std::getenv(name);
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

Result<SalesforceSecrets> LoadSalesforceSecrets(const SalesforceAuthConfig& config, const EnvLookup& env) {
  // An empty variable counts as missing: `export SF_CLIENT_SECRET=` is a mistake, not a secret.
  auto lookup = [&](const char* name) -> std::optional<std::string> {
    std::optional<std::string> value = env ? env(name) : std::nullopt;
    if (value && value->empty()) return std::nullopt;
    return value;
  };
  const std::string mode = SalesforceAuthModeName(config.mode);
  std::vector<std::string> missing = MissingFlags(config);
  SalesforceSecrets secrets;
  auto require = [&](const char* name, Secret* out) {
    auto value = lookup(name);
    if (!value) {
      missing.push_back(std::string("the environment variable ") + name);
      return;
    }
    *out = Secret(std::move(*value));
  };
  auto optional = [&](const char* name, Secret* out) {
    if (auto value = lookup(name)) *out = Secret(std::move(*value));
  };
  switch (config.mode) {
    case SalesforceAuthMode::kToken:
      require(kEnvAccessToken, &secrets.access_token);
      break;
    case SalesforceAuthMode::kClientCredentials:
      require(kEnvClientSecret, &secrets.client_secret);
      break;
    case SalesforceAuthMode::kRefreshToken:
      require(kEnvRefreshToken, &secrets.refresh_token);
      optional(kEnvClientSecret, &secrets.client_secret);
      break;
    case SalesforceAuthMode::kJwt:
      optional(kEnvKeyPassphrase, &secrets.jwt_key_passphrase);
      break;
  }
  if (!missing.empty()) {
    return Error(ErrorCode::kInvalidArgument, "salesforce --auth " + mode + " needs " + JoinMissing(missing));
  }
  if (config.mode == SalesforceAuthMode::kJwt) {
    auto pem = ReadKeyFile(config.jwt_key_file);
    if (!pem) return pem.error();
    secrets.jwt_key_pem = Secret(std::move(*pem));
  }
  return secrets;
}

// Provider ---------------------------------------------------------------------------------------

Result<std::unique_ptr<TokenProvider>> MakeSalesforceTokenProvider(const SalesforceAuthConfig& config,
                                                                   SalesforceSecrets secrets, const Clock& clock,
                                                                   Redactor* redactor) {
  // Register first: whatever fails below, the caller's redactor already knows the secrets.
  if (redactor != nullptr) {
    for (const Secret* s : {&secrets.access_token, &secrets.client_secret, &secrets.refresh_token,
                            &secrets.jwt_key_passphrase, &secrets.jwt_key_pem}) {
      if (!s->empty()) redactor->Add(s->reveal());
    }
  }
  const std::string mode = SalesforceAuthModeName(config.mode);
  std::vector<std::string> missing = MissingFlags(config);
  switch (config.mode) {
    case SalesforceAuthMode::kToken:
      if (secrets.access_token.empty()) missing.push_back(kEnvAccessToken);
      break;
    case SalesforceAuthMode::kClientCredentials:
      if (secrets.client_secret.empty()) missing.push_back(kEnvClientSecret);
      break;
    case SalesforceAuthMode::kRefreshToken:
      if (secrets.refresh_token.empty()) missing.push_back(kEnvRefreshToken);
      break;
    case SalesforceAuthMode::kJwt:
      if (secrets.jwt_key_pem.empty()) missing.push_back(std::string("the key of ") + kFlagJwtKey);
      break;
  }
  if (!missing.empty()) {
    return Error(ErrorCode::kInvalidArgument, "salesforce --auth " + mode + " needs " + JoinMissing(missing));
  }

  SalesforceAuthConfig normalized = config;
  normalized.instance_url = StripTrailingSlashes(config.instance_url);
  normalized.login_url = StripTrailingSlashes(config.login_url.empty() ? kDefaultLoginUrl : config.login_url);
  if (!IsHttpUrl(normalized.instance_url)) {
    return Error(ErrorCode::kInvalidArgument, std::string(kFlagInstanceUrl) + " '" + Printable(config.instance_url) +
                                                  "' is not an https:// URL");
  }
  if (!IsHttpUrl(normalized.login_url)) {
    return Error(ErrorCode::kInvalidArgument,
                 "--login-url '" + Printable(config.login_url) + "' is not an https:// URL");
  }
  if (normalized.jwt_audience.empty()) {
    normalized.jwt_audience = HostOf(normalized.login_url) == "test.salesforce.com" ? "https://test.salesforce.com"
                                                                                    : "https://login.salesforce.com";
  }

  crypto::EvpPkeyPtr key;
  if (config.mode == SalesforceAuthMode::kJwt) {
    auto loaded = LoadRsaKey(secrets.jwt_key_pem.reveal(), secrets.jwt_key_passphrase.reveal());
    if (!loaded) return loaded.error().Context(std::string(kFlagJwtKey) + " " + config.jwt_key_file.string());
    key = std::move(*loaded);
  }
  return std::unique_ptr<TokenProvider>(
      std::make_unique<SalesforceTokenProvider>(std::move(normalized), std::move(secrets), clock, redactor,
                                                std::move(key)));
}

Result<std::string> MakeJwtAssertion(std::string_view key_pem, const std::string& passphrase, std::string_view iss,
                                     std::string_view sub, std::string_view aud, UtcSeconds now) {
  auto key = LoadRsaKey(key_pem, passphrase);
  if (!key) return key.error();
  return SignJwt(key->get(), iss, sub, aud, now);
}

}  // namespace custody::auth
