#include <catch2/catch.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <rapidjson/document.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "server/oauth.h"
#include "support/sim_process.h"

using custody::sim::Base64UrlEncode;
using custody::test::DeterministicArgs;
using custody::test::SimProcess;

namespace {

rapidjson::Document ParseJson(const std::string& body) {
  rapidjson::Document d;
  d.Parse(body.c_str());
  REQUIRE(!d.HasParseError());
  return d;
}

std::string Field(const std::string& body, const char* key) {
  auto d = ParseJson(body);
  REQUIRE(d.IsObject());
  REQUIRE(d.HasMember(key));
  return d[key].GetString();
}

httplib::Result PostToken(httplib::Client& c, const httplib::Params& form) {
  return c.Post("/services/oauth2/token", form);
}

EVP_PKEY* LoadKey(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  REQUIRE(f != nullptr);
  EVP_PKEY* key = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  REQUIRE(key != nullptr);
  return key;
}

std::string SignJwt(EVP_PKEY* key, const std::string& header, const std::string& claims) {
  const std::string input = Base64UrlEncode(header) + "." + Base64UrlEncode(claims);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t len = 0;
  REQUIRE(EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1);
  REQUIRE(EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1);
  std::string sig(len, '\0');
  REQUIRE(EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                         reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1);
  sig.resize(len);
  EVP_MD_CTX_free(ctx);
  return input + "." + Base64UrlEncode(sig);
}

int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string Claims(const SimProcess&, const std::string& iss, const std::string& sub, const std::string& aud,
                   int64_t exp) {
  return "{\"iss\":\"" + iss + "\",\"sub\":\"" + sub + "\",\"aud\":\"" + aud + "\",\"exp\":" + std::to_string(exp) + "}";
}

void ExpectOAuthError(const httplib::Result& r, const std::string& error, const std::string& description) {
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(Field(r->body, "error") == error);
  CHECK(Field(r->body, "error_description") == description);
}

}  // namespace

TEST_CASE("the JWT bearer grant checks the RS256 signature, iss, aud, exp and sub", "[sim][e2e][oauth]") {
  SimProcess sim(DeterministicArgs());
  auto login = sim.Login();
  EVP_PKEY* key = LoadKey(sim.Get("jwt_private_key"));
  const std::string header = "{\"alg\":\"RS256\"}";
  const std::string iss = sim.Get("client_id");
  const std::string sub = sim.Get("username");
  const std::string aud = sim.Get("jwt_audience");
  auto grant = [&](const std::string& jwt) {
    return PostToken(*login, {{"grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"}, {"assertion", jwt}});
  };

  auto ok = grant(SignJwt(key, header, Claims(sim, iss, sub, aud, UnixNow() + 180)));
  REQUIRE(ok);
  REQUIRE(ok->status == 200);
  const std::string token = Field(ok->body, "access_token");
  CHECK(Field(ok->body, "instance_url") == sim.Get("instance_url"));
  CHECK(Field(ok->body, "token_type") == "Bearer");
  CHECK(Field(ok->body, "id").find("/id/" + sim.Get("org_id") + "/") != std::string::npos);
  CHECK(ParseJson(ok->body).HasMember("issued_at"));
  CHECK_FALSE(ParseJson(ok->body).HasMember("refresh_token"));
  auto limits = sim.Instance()->Get(sim.ApiPath("limits").c_str(), {{"Authorization", "Bearer " + token}});
  REQUIRE(limits);
  CHECK(limits->status == 200);

  EVP_PKEY* other = EVP_RSA_gen(2048);
  ExpectOAuthError(grant(SignJwt(other, header, Claims(sim, iss, sub, aud, UnixNow() + 180))), "invalid_grant",
                   "invalid assertion");
  EVP_PKEY_free(other);
  ExpectOAuthError(grant(SignJwt(key, header, Claims(sim, iss, sub, aud, UnixNow() - 3600))), "invalid_grant",
                   "expired authorization code");
  ExpectOAuthError(grant(SignJwt(key, header, Claims(sim, iss, sub, "https://evil.example", UnixNow() + 180))),
                   "invalid_grant", "audience is invalid");
  ExpectOAuthError(grant(SignJwt(key, header, Claims(sim, "3MVG9wrong", sub, aud, UnixNow() + 180))),
                   "invalid_client_id", "client identifier invalid");
  ExpectOAuthError(grant(SignJwt(key, header, Claims(sim, iss, "nobody@nowhere.example", aud, UnixNow() + 180))),
                   "invalid_grant", "user hasn't approved this consumer");
  ExpectOAuthError(grant(SignJwt(key, "{\"alg\":\"HS256\"}", Claims(sim, iss, sub, aud, UnixNow() + 180))),
                   "invalid_grant", "invalid assertion");
  ExpectOAuthError(grant("not.a-jwt"), "invalid_grant", "invalid assertion");
  ExpectOAuthError(grant(""), "invalid_grant", "invalid assertion");
  EVP_PKEY_free(key);
}

TEST_CASE("client credentials work on the instance host and are refused on the login host", "[sim][e2e][oauth]") {
  SimProcess sim(DeterministicArgs());
  const httplib::Params form{{"grant_type", "client_credentials"},
                             {"client_id", sim.Get("client_id")},
                             {"client_secret", sim.Get("client_secret")}};
  auto ok = PostToken(*sim.Instance(), form);
  REQUIRE(ok);
  REQUIRE(ok->status == 200);
  CHECK(Field(ok->body, "access_token").size() > 20);
  ExpectOAuthError(PostToken(*sim.Login(), form), "invalid_grant", "request not supported on this domain");
  ExpectOAuthError(PostToken(*sim.Instance(), {{"grant_type", "client_credentials"},
                                               {"client_id", sim.Get("client_id")},
                                               {"client_secret", "wrong"}}),
                   "invalid_client", "invalid client credentials");
  ExpectOAuthError(PostToken(*sim.Instance(), {{"grant_type", "client_credentials"}, {"client_id", "nope"}}),
                   "invalid_client_id", "client identifier invalid");
  ExpectOAuthError(PostToken(*sim.Instance(), {{"grant_type", "authorization_code"}}), "unsupported_grant_type",
                   "grant type not supported");
}

TEST_CASE("password and refresh-token grants, with rotation making refresh tokens single-use", "[sim][e2e][oauth]") {
  auto args = DeterministicArgs();
  args.push_back("--rotate-refresh-tokens");
  SimProcess sim(args);
  auto login = sim.Login();
  auto pw = PostToken(*login, {{"grant_type", "password"},
                               {"client_id", sim.Get("client_id")},
                               {"client_secret", sim.Get("client_secret")},
                               {"username", sim.Get("username")},
                               {"password", sim.Get("password")}});
  REQUIRE(pw);
  CHECK(pw->status == 200);
  ExpectOAuthError(PostToken(*login, {{"grant_type", "password"},
                                      {"client_id", sim.Get("client_id")},
                                      {"client_secret", sim.Get("client_secret")},
                                      {"username", sim.Get("username")},
                                      {"password", "wrong"}}),
                   "invalid_grant", "authentication failure");

  const httplib::Params refresh{{"grant_type", "refresh_token"},
                                {"client_id", sim.Get("client_id")},
                                {"refresh_token", sim.Get("refresh_token")}};
  auto first = PostToken(*login, refresh);
  REQUIRE(first);
  REQUIRE(first->status == 200);
  const std::string next = Field(first->body, "refresh_token");
  CHECK(next != sim.Get("refresh_token"));
  ExpectOAuthError(PostToken(*login, refresh), "invalid_grant", "expired access/refresh token");
  auto second = PostToken(*login, {{"grant_type", "refresh_token"},
                                   {"client_id", sim.Get("client_id")},
                                   {"refresh_token", next}});
  REQUIRE(second);
  CHECK(second->status == 200);
}

TEST_CASE("userinfo and the identity URL describe the token's user", "[sim][e2e][oauth]") {
  SimProcess sim(DeterministicArgs());
  auto info = sim.Login()->Get("/services/oauth2/userinfo", sim.Auth());
  REQUIRE(info);
  REQUIRE(info->status == 200);
  CHECK(Field(info->body, "preferred_username") == sim.Get("username"));
  CHECK(Field(info->body, "organization_id") == sim.Get("org_id"));
  const std::string id_url = Field(info->body, "sub");
  const std::string path = id_url.substr(sim.Get("login_url").size());
  auto identity = sim.Login()->Get(path.c_str(), sim.Auth());
  REQUIRE(identity);
  REQUIRE(identity->status == 200);
  CHECK(Field(identity->body, "username") == sim.Get("username"));
  auto bad = sim.Login()->Get("/services/oauth2/userinfo", {{"Authorization", "Bearer nope"}});
  REQUIRE(bad);
  CHECK(bad->status == 403);
}

TEST_CASE("tokens expire by request count and by time, then every call answers INVALID_SESSION_ID",
          "[sim][e2e][oauth]") {
  auto args = DeterministicArgs();
  args.insert(args.end(), {"--token-requests", "3"});
  SimProcess sim(args);
  auto api = sim.Instance();
  for (int i = 0; i < 3; ++i) {
    auto r = api->Get(sim.ApiPath("limits").c_str(), sim.Auth());
    REQUIRE(r);
    CHECK(r->status == 200);
  }
  auto expired = api->Get(sim.ApiPath("limits").c_str(), sim.Auth());
  REQUIRE(expired);
  CHECK(expired->status == 401);
  CHECK(expired->body == R"([{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}])");

  auto ttl_args = DeterministicArgs();
  ttl_args.insert(ttl_args.end(), {"--token-ttl", "1"});
  SimProcess short_lived(ttl_args);
  auto fresh = short_lived.Instance()->Get(short_lived.ApiPath("limits").c_str(), short_lived.Auth());
  REQUIRE(fresh);
  CHECK(fresh->status == 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  auto stale = short_lived.Instance()->Get(short_lived.ApiPath("limits").c_str(), short_lived.Auth());
  REQUIRE(stale);
  CHECK(stale->status == 401);
}
