// lib/auth end to end against the real custody-sim: each grant through a small test-only
// Transport over httplib::Client, then the token used on the REST API.

#include <catch2/catch.hpp>
#include <httplib.h>

#include <map>

#include "auth/salesforce_auth.h"
#include "core/encoding.h"
#include "support/sim_process.h"

namespace custody::auth {
namespace {

struct ParsedUrl {
  std::string origin;  // scheme://host:port
  std::string path;    // /path?query
};

ParsedUrl SplitUrl(const std::string& url) {
  const size_t scheme = url.find("://");
  REQUIRE(scheme != std::string::npos);
  const size_t slash = url.find('/', scheme + 3);
  if (slash == std::string::npos) return {url, "/"};
  return {url.substr(0, slash), url.substr(slash)};
}

// A test-only Transport: one httplib::Client per origin, the whole body delivered in one chunk.
class HttplibTransport final : public http::Transport {
 public:
  explicit HttplibTransport(std::string ca_file = "") : ca_file_(std::move(ca_file)) {}

  Result<http::Response> Perform(const http::Request& request, http::BodySink& sink) override {
    const ParsedUrl url = SplitUrl(request.url);
    httplib::Client client(url.origin);
    client.set_connection_timeout(10);
    client.set_read_timeout(60);
    if (!ca_file_.empty()) {
      client.set_ca_cert_path(ca_file_.c_str());
      client.enable_server_certificate_verification(true);
    }
    httplib::Headers headers;
    std::string content_type;
    for (const auto& [name, value] : request.headers) {
      if (name == "Content-Type") {
        content_type = value;
      } else {
        headers.emplace(name, value);
      }
    }
    httplib::Result result = request.method == "POST"
                                 ? client.Post(url.path.c_str(), headers, request.body, content_type.c_str())
                                 : client.Get(url.path.c_str(), headers);
    if (!result) {
      return Error(ErrorCode::kNetwork, request.method + " " + request.url + ": " + httplib::to_string(result.error()));
    }
    http::ResponseHead head;
    head.status = result->status;
    head.reason = result->reason;
    for (const auto& [name, value] : result->headers) head.headers.emplace_back(name, value);
    CUSTODY_RETURN_IF_ERROR(sink.OnHead(head));
    CUSTODY_RETURN_IF_ERROR(sink.OnBody(AsBytes(result->body)));
    http::Response response;
    response.head = head;
    response.body_bytes = result->body.size();
    response.http_version = "1.1";
    return response;
  }

 private:
  std::string ca_file_;
};

class CollectSink final : public http::BodySink {
 public:
  Status OnHead(const http::ResponseHead& head) override {
    status = head.status;
    return Status::Ok();
  }
  Status OnBody(std::span<const std::uint8_t> chunk) override {
    body.append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
    return Status::Ok();
  }
  int status = 0;
  std::string body;
};

// Nothing from the process environment leaks into these tests.
EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

SalesforceAuthConfig JwtConfig(const test::SimProcess& sim) {
  SalesforceAuthConfig config;
  config.mode = SalesforceAuthMode::kJwt;
  config.instance_url = sim.Get("instance_url");
  config.login_url = sim.Get("login_url") + "/";
  config.client_id = sim.Get("client_id");
  config.username = sim.Get("username");
  config.jwt_key_file = sim.Get("jwt_private_key");
  config.jwt_audience = sim.Get("jwt_audience");
  return config;
}

std::unique_ptr<TokenProvider> Provider(const SalesforceAuthConfig& config, const EnvLookup& env,
                                        Redactor* redactor = nullptr) {
  static SystemClock clock;  // the simulator checks exp against its wall clock
  auto secrets = LoadSalesforceSecrets(config, env);
  INFO((secrets ? std::string() : secrets.error().message()));
  REQUIRE(secrets);
  auto provider = MakeSalesforceTokenProvider(config, std::move(*secrets), clock, redactor);
  INFO((provider ? std::string() : provider.error().message()));
  REQUIRE(provider);
  return std::move(*provider);
}

// GET <instance>/services/data/v62.0/limits with the token.
int LimitsStatus(http::Transport& transport, const test::SimProcess& sim, const Token& token) {
  http::Request request;
  request.url = token.instance_url + sim.ApiPath("limits");
  request.headers = {{"Authorization", "Bearer " + token.access_token.reveal()}};
  CollectSink sink;
  auto response = transport.Perform(request, sink);
  REQUIRE(response);
  return response->head.status;
}

}  // namespace

TEST_CASE("sim: the jwt-bearer grant with the simulator's key gets a working token", "[auth][sim][jwt]") {
  test::SimProcess sim(test::DeterministicArgs());
  HttplibTransport transport;
  auto provider = Provider(JwtConfig(sim), Env({}));
  auto token = provider->Current(transport);
  INFO((token ? std::string() : token.error().message()));
  REQUIRE(token);
  CHECK(token->generation == 1);
  CHECK(token->instance_url == sim.Get("instance_url"));
  CHECK_THAT(token->identity_url, Catch::Contains("/id/" + sim.Get("org_id") + "/"));
  CHECK_FALSE(token->issued_at.empty());
  CHECK(LimitsStatus(transport, sim, *token) == 200);

  auto renewed = provider->Renew(transport, token->generation);
  REQUIRE(renewed);
  CHECK(renewed->generation == 2);
  CHECK(LimitsStatus(transport, sim, *renewed) == 200);
  auto grants = provider->Grants();
  REQUIRE(grants.size() == 2);
  CHECK(grants[1].token_url == sim.Get("login_url") + "/services/oauth2/token");
  CHECK(grants[1].http_status == 200);
}

TEST_CASE("sim: the jwt-bearer grant is refused for a wrong username or client id", "[auth][sim][jwt]") {
  test::SimProcess sim(test::DeterministicArgs());
  HttplibTransport transport;
  const std::string token_url = sim.Get("login_url") + "/services/oauth2/token";
  SECTION("wrong username") {
    SalesforceAuthConfig config = JwtConfig(sim);
    config.username = "nobody@nowhere.example";
    auto token = Provider(config, Env({}))->Current(transport);
    REQUIRE_FALSE(token);
    CHECK(token.error().code() == ErrorCode::kAuth);
    CHECK(token.error().message() == "salesforce jwt-bearer grant refused by " + token_url +
                                         ": invalid_grant: user hasn't approved this consumer");
  }
  SECTION("wrong client id") {
    SalesforceAuthConfig config = JwtConfig(sim);
    config.client_id = "3MVG9wrong";
    auto provider = Provider(config, Env({}));
    auto token = provider->Current(transport);
    REQUIRE_FALSE(token);
    CHECK(token.error().code() == ErrorCode::kAuth);
    CHECK(token.error().message() == "salesforce jwt-bearer grant refused by " + token_url +
                                         ": invalid_client_id: client identifier invalid");
    auto grants = provider->Grants();
    REQUIRE(grants.size() == 1);
    CHECK(grants[0].http_status == 400);
    CHECK(grants[0].error == "invalid_client_id: client identifier invalid");
  }
  SECTION("wrong audience") {
    SalesforceAuthConfig config = JwtConfig(sim);
    config.jwt_audience = "https://evil.example";
    auto token = Provider(config, Env({}))->Current(transport);
    REQUIRE_FALSE(token);
    CHECK_THAT(token.error().message(), Catch::EndsWith("invalid_grant: audience is invalid"));
  }
}

TEST_CASE("sim: client credentials work on the instance URL and are refused on the login URL", "[auth][sim]") {
  test::SimProcess sim(test::DeterministicArgs());
  HttplibTransport transport;
  const std::string secret = sim.Get("client_secret");
  SalesforceAuthConfig config;
  config.mode = SalesforceAuthMode::kClientCredentials;
  config.instance_url = sim.Get("instance_url");
  config.client_id = sim.Get("client_id");
  Redactor redactor;
  auto provider = Provider(config, Env({{"SF_CLIENT_SECRET", secret}}), &redactor);
  auto token = provider->Current(transport);
  INFO((token ? std::string() : token.error().message()));
  REQUIRE(token);
  CHECK(token->instance_url == sim.Get("instance_url"));
  CHECK(LimitsStatus(transport, sim, *token) == 200);
  CHECK(redactor.Apply("secret " + secret) == "secret [REDACTED]");

  config.instance_url = sim.Get("login_url");
  auto on_login = Provider(config, Env({{"SF_CLIENT_SECRET", secret}}))->Current(transport);
  REQUIRE_FALSE(on_login);
  CHECK(on_login.error().code() == ErrorCode::kAuth);
  CHECK(on_login.error().message() == "salesforce client_credentials grant refused by " + sim.Get("login_url") +
                                          "/services/oauth2/token: invalid_grant: request not supported on this "
                                          "domain");
  CHECK(on_login.error().message().find(secret) == std::string::npos);

  config.instance_url = sim.Get("instance_url");
  auto wrong = Provider(config, Env({{"SF_CLIENT_SECRET", "wrong-secret"}}))->Current(transport);
  REQUIRE_FALSE(wrong);
  CHECK_THAT(wrong.error().message(), Catch::EndsWith("invalid_client: invalid client credentials"));
}

TEST_CASE("sim: the refresh_token grant works and follows refresh-token rotation", "[auth][sim]") {
  auto args = test::DeterministicArgs();
  args.push_back("--rotate-refresh-tokens");
  test::SimProcess sim(args);
  HttplibTransport transport;
  SalesforceAuthConfig config;
  config.mode = SalesforceAuthMode::kRefreshToken;
  config.instance_url = sim.Get("instance_url");
  config.login_url = sim.Get("login_url");
  config.client_id = sim.Get("client_id");
  Redactor redactor;
  auto provider = Provider(config, Env({{"SF_REFRESH_TOKEN", sim.Get("refresh_token")}}), &redactor);
  auto token = provider->Current(transport);
  INFO((token ? std::string() : token.error().message()));
  REQUIRE(token);
  CHECK(LimitsStatus(transport, sim, *token) == 200);
  // With rotation the first refresh token is spent: only the rotated one makes the next grant work.
  for (std::uint64_t generation = 1; generation <= 2; ++generation) {
    auto renewed = provider->Renew(transport, generation);
    INFO((renewed ? std::string() : renewed.error().message()));
    REQUIRE(renewed);
    CHECK(renewed->generation == generation + 1);
    CHECK(LimitsStatus(transport, sim, *renewed) == 200);
  }
  CHECK(provider->Grants().size() == 3);
  CHECK(redactor.Apply(sim.Get("refresh_token")) == "[REDACTED]");

  // A second provider still holding the spent token is refused with the simulator's text.
  auto stale = Provider(config, Env({{"SF_REFRESH_TOKEN", sim.Get("refresh_token")}}))->Current(transport);
  REQUIRE_FALSE(stale);
  CHECK(stale.error().code() == ErrorCode::kAuth);
  CHECK_THAT(stale.error().message(), Catch::EndsWith("invalid_grant: expired access/refresh token"));
  CHECK(stale.error().message().find(sim.Get("refresh_token")) == std::string::npos);
}

TEST_CASE("sim: a token from SF_ACCESS_TOKEN is used as is", "[auth][sim]") {
  test::SimProcess sim(test::DeterministicArgs());
  HttplibTransport transport;
  SalesforceAuthConfig config;
  config.mode = SalesforceAuthMode::kToken;
  config.instance_url = sim.Get("instance_url") + "/";
  auto provider = Provider(config, Env({{"SF_ACCESS_TOKEN", sim.Get("access_token")}}));
  auto token = provider->Current(transport);
  REQUIRE(token);
  CHECK(LimitsStatus(transport, sim, *token) == 200);
  CHECK(provider->Grants().empty());
}

}  // namespace custody::auth
