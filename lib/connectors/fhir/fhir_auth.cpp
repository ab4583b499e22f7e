#include "connectors/fhir/fhir_auth.h"

#include <cstdlib>
#include <fstream>

#include "auth/auth_text.h"
#include "core/encoding.h"

namespace custody::connectors::fhir {

namespace {

constexpr size_t kMaxKeyFileBytes = 1u << 20;

Result<std::string> ReadKeyFile(const std::filesystem::path& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (status.type() == std::filesystem::file_type::not_found) {
    return Error(ErrorCode::kInvalidArgument, "--client-key " + path.string() + ": no such file");
  }
  if (ec) return Error(ErrorCode::kIo, "--client-key " + path.string() + ": " + ec.message());
  if (!std::filesystem::is_regular_file(status)) {
    return Error(ErrorCode::kInvalidArgument, "--client-key " + path.string() + ": not a regular file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(ErrorCode::kIo, "--client-key " + path.string() + ": cannot open for reading");
  std::string contents;
  char buf[8192];
  while (in) {
    in.read(buf, sizeof buf);
    contents.append(buf, static_cast<size_t>(in.gcount()));
    if (contents.size() > kMaxKeyFileBytes) {
      return Error(ErrorCode::kInvalidArgument, "--client-key " + path.string() + ": larger than 1 MiB, not a PEM key");
    }
  }
  if (in.bad()) return Error(ErrorCode::kIo, "--client-key " + path.string() + ": read failed");
  if (contents.empty()) return Error(ErrorCode::kInvalidArgument, "--client-key " + path.string() + ": the file is empty");
  return contents;
}

}  // namespace

Result<FhirAuthMode> ParseFhirAuthMode(std::string_view name) {
  if (name == "token") return FhirAuthMode::kToken;
  if (name == "basic") return FhirAuthMode::kBasic;
  if (name == "smart") return FhirAuthMode::kSmart;
  if (name == "none") return FhirAuthMode::kNone;
  return Error(ErrorCode::kInvalidArgument,
               "--auth '" + std::string(name) + "' is not one of token, smart, basic, none");
}

std::string FhirAuthModeName(FhirAuthMode mode) {
  switch (mode) {
    case FhirAuthMode::kToken: return "token";
    case FhirAuthMode::kBasic: return "basic";
    case FhirAuthMode::kSmart: return "smart";
    case FhirAuthMode::kNone: return "none";
  }
  return "unknown";
}

Result<FhirSecrets> LoadFhirSecrets(const FhirAuthConfig& config, const auth::EnvLookup& env,
                                    auth::Redactor& redactor) {
  FhirSecrets s;
  std::vector<std::string> missing;
  auto from_env = [&](const char* name) -> std::string {
    auto v = env ? env(name) : std::nullopt;
    return v ? *v : std::string();
  };
  switch (config.mode) {
    case FhirAuthMode::kToken: {
      std::string token = from_env(kEnvAccessToken);
      if (token.empty()) missing.push_back(std::string("the ") + kEnvAccessToken + " environment variable");
      redactor.Add(token);
      s.access_token = auth::Secret(std::move(token));
      break;
    }
    case FhirAuthMode::kBasic: {
      if (config.username.empty()) missing.push_back("--username");
      std::string password = from_env(kEnvPassword);
      if (password.empty()) missing.push_back(std::string("the ") + kEnvPassword + " environment variable");
      redactor.Add(password);
      s.password = auth::Secret(std::move(password));
      break;
    }
    case FhirAuthMode::kSmart: {
      if (config.client_id.empty()) missing.push_back("--client-id");
      if (config.key_file.empty()) missing.push_back("--client-key");
      if (config.kid.empty()) missing.push_back("--kid");
      std::string passphrase = from_env(auth::kEnvFhirKeyPassphrase);
      redactor.Add(passphrase);
      s.key_passphrase = auth::Secret(std::move(passphrase));
      break;
    }
    case FhirAuthMode::kNone:
      break;
  }
  if (!missing.empty()) {
    return Error(ErrorCode::kInvalidArgument,
                 "--auth " + FhirAuthModeName(config.mode) + " needs " + auth::JoinMissing(missing));
  }
  if (config.mode == FhirAuthMode::kSmart) {
    auto pem = ReadKeyFile(config.key_file);
    if (!pem) return pem.error();
    redactor.Add(*pem);
    s.key_pem = auth::Secret(std::move(*pem));
  }
  return s;
}

std::string BasicHeader(const std::string& username, const auth::Secret& password, auth::Redactor& redactor) {
  const std::string joined = username + ":" + password.reveal();
  std::string encoded = Base64Encode(AsBytes(joined));
  redactor.Add(encoded);
  return "Basic " + encoded;
}

Status StaticAuthenticator::Apply(http::Request& request, std::uint64_t* generation) {
  request.headers.emplace_back("Authorization", header_);
  if (generation != nullptr) *generation = 1;
  return Status::Ok();
}

Status StaticAuthenticator::Renew(std::uint64_t) { return Error(ErrorCode::kAuth, hint_); }

SmartAuthenticator::SmartAuthenticator(SmartSettings settings, auth::SmartSigningKey key,
                                       std::unique_ptr<http::Transport> transport, const Clock& clock,
                                       auth::Redactor& redactor)
    : settings_(std::move(settings)),
      key_(std::move(key)),
      transport_(std::move(transport)),
      clock_(clock),
      redactor_(redactor) {}

Status SmartAuthenticator::GrantLocked() {
  auth::SmartGrantRequest req{settings_.token_url, settings_.client_id, settings_.kid, settings_.scope};
  req.clock_skew = clock_skew_;
  auth::GrantRecord record;
  std::optional<std::int64_t> server_date;
  const std::int64_t local_ms = static_cast<std::int64_t>(clock_.Now().time_since_epoch().count()) * 1000;
  auto token = auth::RequestSmartToken(*transport_, req, key_, clock_, redactor_, &record, &server_date);
  grants_.push_back(record);
  if (!token && token.error().code() == ErrorCode::kAuth && server_date &&
      std::llabs(*server_date - local_ms) >= kSkewWorthRetryMs) {
    // The token server's clock is minutes away from ours, so it may have judged the assertion's
    // exp by its clock: ask once more with exp set by the clock its Date header shows.
    clock_skew_ = std::chrono::seconds((*server_date - local_ms) / 1000);
    req.clock_skew = clock_skew_;
    token = auth::RequestSmartToken(*transport_, req, key_, clock_, redactor_, &record, &server_date);
    grants_.push_back(record);
  }
  if (!token && token.error().code() == ErrorCode::kAuth && !fallback_used_ && !settings_.fallback_scope.empty() &&
      record.error.rfind("invalid_scope", 0) == 0) {
    // SMART v1 servers know ".read", v2 servers ".rs": ask once in the other form.
    fallback_used_ = true;
    settings_.scope = settings_.fallback_scope;
    req.scope = settings_.scope;
    token = auth::RequestSmartToken(*transport_, req, key_, clock_, redactor_, &record);
    grants_.push_back(record);
  }
  if (!token) return token.error();
  token_ = std::move(*token);
  ++generation_;
  return Status::Ok();
}

Status SmartAuthenticator::Apply(http::Request& request, std::uint64_t* generation) {
  std::lock_guard<std::mutex> lock(mu_);
  bool expiring = false;
  if (token_ && token_->expires_in > 0) {
    const auto expires = token_->obtained_at + std::chrono::seconds(token_->expires_in);
    // A token about to expire would fail mid-request: get the next one first.
    expiring = clock_.Now() + settings_.renew_margin >= expires;
  }
  if (!token_ || expiring) {
    if (Status s = GrantLocked(); !s) return s;
  }
  request.headers.emplace_back("Authorization", "Bearer " + token_->access_token.reveal());
  if (generation != nullptr) *generation = generation_;
  return Status::Ok();
}

Status SmartAuthenticator::Renew(std::uint64_t stale_generation) {
  std::lock_guard<std::mutex> lock(mu_);
  // Another session already replaced the token that failed.
  if (token_ && generation_ != stale_generation) return Status::Ok();
  return GrantLocked();
}

std::vector<auth::GrantRecord> SmartAuthenticator::Grants() const {
  std::lock_guard<std::mutex> lock(mu_);
  return grants_;
}

std::string SmartAuthenticator::granted_scope() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!token_) return "";
  return token_->scope.empty() ? settings_.scope : token_->scope;
}

}  // namespace custody::connectors::fhir
