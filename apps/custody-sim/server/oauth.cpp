#include "server/oauth.h"

#include "core/encoding.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <string>

namespace custody::sim {
namespace {

std::string Json(const std::vector<std::pair<std::string, std::string>>& fields) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  for (const auto& [k, v] : fields) {
    w.Key(k.c_str(), static_cast<rapidjson::SizeType>(k.size()));
    w.String(v.c_str(), static_cast<rapidjson::SizeType>(v.size()));
  }
  w.EndObject();
  return buf.GetString();
}

OAuthAnswer Error(std::string_view error, std::string_view description, int status = 400) {
  return OAuthAnswer{status, Json({{"error", std::string(error)}, {"error_description", std::string(description)}})};
}

std::string Param(const std::multimap<std::string, std::string>& form, const std::string& key) {
  auto it = form.find(key);
  return it == form.end() ? std::string() : it->second;
}

std::string RandomToken(size_t bytes) {
  std::string raw(bytes, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(raw.size()));
  std::string s = Base64UrlEncode(raw);
  std::replace(s.begin(), s.end(), '-', '.');
  return s;
}

}  // namespace

std::string Base64UrlEncode(std::string_view bytes) {
  std::string s = Base64Encode(AsBytes(bytes));
  while (!s.empty() && s.back() == '=') s.pop_back();
  for (char& c : s) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return s;
}

bool Base64UrlDecode(std::string_view text, std::string* out) {
  std::string s(text);
  for (char& c : s) {
    if (c == '-') c = '+';
    else if (c == '_') c = '/';
  }
  while (s.size() % 4 != 0) s.push_back('=');
  const auto bytes = Base64Decode(s);
  if (!bytes) return false;
  out->assign(bytes->begin(), bytes->end());
  return true;
}

OAuthServer::OAuthServer(const Org& org, OAuthConfig config) : org_(org), config_(std::move(config)) {}

std::string OAuthServer::NewTokenLocked(const UserInfo& user, TimeMs wall_now) {
  // Salesforce access tokens start with the 15-character org id and '!'.
  std::string token = org_.config().org_id.substr(0, 15) + "!AQ" + RandomToken(72);
  tokens_[token] = IssuedToken{&user, wall_now, 0, ++serial_};
  // At most N live tokens per user: the oldest are revoked.
  std::vector<std::pair<uint64_t, std::string>> mine;
  for (const auto& [t, info] : tokens_) {
    if (info.user == &user) mine.emplace_back(info.serial, t);
  }
  if (config_.max_tokens_per_user > 0 && mine.size() > config_.max_tokens_per_user) {
    std::sort(mine.begin(), mine.end());
    for (size_t i = 0; i + config_.max_tokens_per_user < mine.size(); ++i) tokens_.erase(mine[i].second);
  }
  return token;
}

std::string OAuthServer::IssueToken(const UserInfo& user, TimeMs wall_now) {
  std::lock_guard lock(mu_);
  return NewTokenLocked(user, wall_now);
}

std::string OAuthServer::IssueRefreshToken(const UserInfo& user) {
  std::lock_guard lock(mu_);
  std::string token = "5Aep861" + RandomToken(60);
  refresh_tokens_[token] = &user;
  return token;
}

void OAuthServer::RevokeAll() {
  std::lock_guard lock(mu_);
  tokens_.clear();
}

const UserInfo* OAuthServer::Authenticate(std::string_view bearer, TimeMs wall_now) {
  std::lock_guard lock(mu_);
  auto it = tokens_.find(bearer);
  if (it == tokens_.end()) return nullptr;
  IssuedToken& t = it->second;
  if (wall_now - t.issued >= config_.token_ttl_ms ||
      (config_.token_max_requests > 0 && t.requests >= config_.token_max_requests)) {
    tokens_.erase(it);
    return nullptr;
  }
  ++t.requests;
  return t.user;
}

std::string OAuthServer::IdentityUrl(const UserInfo& user) const {
  return config_.login_url + "/id/" + org_.config().org_id + "/" + user.id;
}

OAuthAnswer OAuthServer::Success(const UserInfo& user, TimeMs wall_now, bool with_refresh,
                                 const std::string& refresh_token) {
  std::string token;
  {
    std::lock_guard lock(mu_);
    token = NewTokenLocked(user, wall_now);
  }
  const std::string id = IdentityUrl(user);
  const std::string issued_at = std::to_string(wall_now);
  // Salesforce signs id + issued_at with the consumer secret (HMAC-SHA256, base64).
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  const std::string signed_text = id + issued_at;
  HMAC(EVP_sha256(), config_.client_secret.data(), static_cast<int>(config_.client_secret.size()),
       reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size(), mac, &mac_len);
  std::vector<std::pair<std::string, std::string>> fields = {{"access_token", token}};
  if (with_refresh) fields.emplace_back("refresh_token", refresh_token);
  fields.insert(fields.end(), {{"signature", Base64Encode(std::span<const std::uint8_t>(mac, mac_len))},
                               {"scope", with_refresh ? "refresh_token api" : "api"},
                               {"instance_url", config_.instance_url},
                               {"id", id},
                               {"token_type", "Bearer"},
                               {"issued_at", issued_at}});
  return OAuthAnswer{200, Json(fields)};
}

OAuthAnswer OAuthServer::Token(const std::multimap<std::string, std::string>& form, bool on_login_host,
                               TimeMs wall_now) {
  const std::string grant = Param(form, "grant_type");
  if (grant == "urn:ietf:params:oauth:grant-type:jwt-bearer") {
    return JwtBearer(Param(form, "assertion"), wall_now);
  }
  if (grant == "client_credentials" || grant == "password" || grant == "refresh_token") {
    const std::string client_id = Param(form, "client_id");
    if (client_id.empty()) {
      return Error("invalid_client_id", "client identifier invalid");
    }
    if (client_id != config_.client_id) return Error("invalid_client_id", "client identifier invalid");
    const std::string secret = Param(form, "client_secret");
    if (grant == "client_credentials") {
      if (on_login_host) return Error("invalid_grant", "request not supported on this domain");
      if (secret != config_.client_secret) return Error("invalid_client", "invalid client credentials");
      return Success(org_.IntegrationUser(), wall_now, false, "");
    }
    if (grant == "password") {
      if (secret != config_.client_secret) return Error("invalid_client", "invalid client credentials");
      const UserInfo* user = org_.FindUserByUsername(Param(form, "username"));
      if (user == nullptr || !user->active || Param(form, "password") != config_.password) {
        return Error("invalid_grant", "authentication failure");
      }
      return Success(*user, wall_now, false, "");
    }
    // refresh_token: the secret is optional, but a wrong one is refused.
    if (!secret.empty() && secret != config_.client_secret) {
      return Error("invalid_client", "invalid client credentials");
    }
    const std::string refresh = Param(form, "refresh_token");
    const UserInfo* user = nullptr;
    std::string next;
    {
      std::lock_guard lock(mu_);
      auto it = refresh_tokens_.find(refresh);
      if (it == refresh_tokens_.end()) return Error("invalid_grant", "expired access/refresh token");
      user = it->second;
      if (config_.rotate_refresh_tokens) {
        refresh_tokens_.erase(it);
        next = "5Aep861" + RandomToken(60);
        refresh_tokens_[next] = user;
      }
    }
    return Success(*user, wall_now, config_.rotate_refresh_tokens, next);
  }
  return Error("unsupported_grant_type", "grant type not supported");
}

OAuthAnswer OAuthServer::JwtBearer(std::string_view assertion, TimeMs wall_now) {
  const size_t dot1 = assertion.find('.');
  const size_t dot2 = dot1 == std::string_view::npos ? dot1 : assertion.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || assertion.find('.', dot2 + 1) != std::string_view::npos) {
    return Error("invalid_grant", "invalid assertion");
  }
  std::string header;
  std::string claims;
  std::string signature;
  if (!Base64UrlDecode(assertion.substr(0, dot1), &header) ||
      !Base64UrlDecode(assertion.substr(dot1 + 1, dot2 - dot1 - 1), &claims) ||
      !Base64UrlDecode(assertion.substr(dot2 + 1), &signature)) {
    return Error("invalid_grant", "invalid assertion");
  }
  rapidjson::Document h;
  rapidjson::Document c;
  if (h.Parse(header.c_str()).HasParseError() || !h.IsObject() || c.Parse(claims.c_str()).HasParseError() ||
      !c.IsObject()) {
    return Error("invalid_grant", "invalid assertion");
  }
  // Salesforce accepts RS256 only.
  if (!h.HasMember("alg") || !h["alg"].IsString() || std::string_view(h["alg"].GetString()) != "RS256") {
    return Error("invalid_grant", "invalid assertion");
  }
  const std::string_view signed_part = assertion.substr(0, dot2);
  bool verified = false;
  if (config_.jwt_public_key != nullptr) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    verified = ctx != nullptr &&
               EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, config_.jwt_public_key) == 1 &&
               EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                                reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size()) == 1;
    EVP_MD_CTX_free(ctx);
  }
  if (!verified) return Error("invalid_grant", "invalid assertion");
  auto str = [&](const char* k) -> std::string {
    return c.HasMember(k) && c[k].IsString() ? std::string(c[k].GetString()) : std::string();
  };
  if (str("iss") != config_.client_id) return Error("invalid_client_id", "client identifier invalid");
  const std::string aud = str("aud");
  if (std::find(config_.audiences.begin(), config_.audiences.end(), aud) == config_.audiences.end()) {
    return Error("invalid_grant", "audience is invalid");
  }
  if (!c.HasMember("exp") || !c["exp"].IsNumber()) return Error("invalid_grant", "invalid assertion");
  const double exp_ms = c["exp"].GetDouble() * 1000.0;
  if (exp_ms + static_cast<double>(config_.jwt_clock_skew_ms) < static_cast<double>(wall_now)) {
    return Error("invalid_grant", "expired authorization code");
  }
  const UserInfo* user = org_.FindUserByUsername(str("sub"));
  if (user == nullptr || !user->active) return Error("invalid_grant", "user hasn't approved this consumer");
  return Success(*user, wall_now, false, "");
}

std::string OAuthServer::UserInfoJson(const UserInfo& user) const {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  const std::string version = "62.0";
  const std::string base = config_.instance_url + "/services/data/v{version}/";
  w.StartObject();
  w.Key("sub"); w.String(IdentityUrl(user).c_str());
  w.Key("user_id"); w.String(user.id.c_str());
  w.Key("organization_id"); w.String(org_.config().org_id.c_str());
  w.Key("preferred_username"); w.String(user.username.c_str());
  w.Key("nickname"); w.String(user.username.substr(0, user.username.find('@')).c_str());
  w.Key("name"); w.String(user.name.c_str());
  w.Key("email"); w.String(user.email.c_str());
  w.Key("email_verified"); w.Bool(true);
  w.Key("given_name"); w.String(user.first_name.c_str());
  w.Key("family_name"); w.String(user.last_name.c_str());
  w.Key("zoneinfo"); w.String(user.time_zone.c_str());
  w.Key("active"); w.Bool(user.active);
  w.Key("user_type"); w.String("STANDARD");
  w.Key("is_salesforce_integration_user"); w.Bool(user.is_integration);
  w.Key("urls");
  w.StartObject();
  for (const char* kind : {"enterprise", "metadata", "partner", "rest", "sobjects", "search", "query"}) {
    w.Key(kind);
    std::string url = base;
    if (std::string_view(kind) == "sobjects") url += "sobjects/";
    if (std::string_view(kind) == "query") url += "query/";
    if (std::string_view(kind) == "search") url += "search/";
    w.String(url.c_str());
  }
  w.EndObject();
  w.EndObject();
  return buf.GetString();
}

std::string OAuthServer::IdentityJson(const UserInfo& user) const {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("id"); w.String(IdentityUrl(user).c_str());
  w.Key("user_id"); w.String(user.id.c_str());
  w.Key("organization_id"); w.String(org_.config().org_id.c_str());
  w.Key("username"); w.String(user.username.c_str());
  w.Key("display_name"); w.String(user.name.c_str());
  w.Key("email"); w.String(user.email.c_str());
  w.Key("timezone"); w.String(user.time_zone.c_str());
  w.Key("active"); w.Bool(user.active);
  w.Key("urls");
  w.StartObject();
  w.Key("rest"); w.String((config_.instance_url + "/services/data/v{version}/").c_str());
  w.Key("query"); w.String((config_.instance_url + "/services/data/v{version}/query/").c_str());
  w.EndObject();
  w.EndObject();
  return buf.GetString();
}

}  // namespace custody::sim
