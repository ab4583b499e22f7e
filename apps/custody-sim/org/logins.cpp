#include "org/logins.h"

#include <algorithm>
#include <bit>

#include "org/ids.h"
#include "org/rng.h"

namespace custody::sim::gen {
namespace {

constexpr double kLoginsPerPresentHour = 0.35;
constexpr TimeMs kGrantPeriod = 2 * kHour;
constexpr TimeMs kSessionLookback = 4 * kHour;
constexpr uint32_t kIntegrationUsers[2] = {kUserMirth, kUserEhrSync};
constexpr const char* kIntegrationIps[2] = {"198.51.100.12", "198.51.100.15"};

struct LoginClassDef {
  LoginKind kind;
  uint8_t shift;  // buckets until the recorded logout; 0 = none recorded
};
constexpr uint32_t kClassCount = 32;
constexpr uint32_t kFirstLogoutClass = 1;
constexpr uint32_t kLastLogoutClass = 13;
constexpr LoginClassDef kClasses[kClassCount] = {
    {LoginKind::kFailed, 0},   {LoginKind::kBrowser, 1},  {LoginKind::kBrowser, 2},  {LoginKind::kBrowser, 2},
    {LoginKind::kBrowser, 3},  {LoginKind::kBrowser, 3},  {LoginKind::kBrowser, 4},  {LoginKind::kBrowser, 5},
    {LoginKind::kBrowser, 6},  {LoginKind::kBrowser, 8},  {LoginKind::kBrowser, 10}, {LoginKind::kBrowser, 12},
    {LoginKind::kBrowser, 16}, {LoginKind::kBrowser, 24}, {LoginKind::kBrowser, 0},  {LoginKind::kBrowser, 0},
    {LoginKind::kBrowser, 0},  {LoginKind::kBrowser, 0},  {LoginKind::kBrowser, 0},  {LoginKind::kBrowser, 0},
    {LoginKind::kBrowser, 0},  {LoginKind::kBrowser, 0},  {LoginKind::kBrowser, 0},  {LoginKind::kBrowser, 0},
    {LoginKind::kBrowser, 0},  {LoginKind::kBrowser, 0},  {LoginKind::kMobile, 0},   {LoginKind::kMobile, 0},
    {LoginKind::kMobile, 0},   {LoginKind::kMobile, 0},   {LoginKind::kMobile, 0},   {LoginKind::kMobile, 0},
};

int IntegrationSlot(uint32_t user) { return user == kUserMirth ? 0 : 1; }

}  // namespace

uint64_t LoginKeySecret(uint64_t seed) { return Hash(seed, kStreamLoginKey, ~0ULL); }

std::string MakeLoginKey(uint64_t seed, LoginKeyKind kind, uint64_t index, uint64_t noise) {
  return EncodeKey((static_cast<uint64_t>(kind) << 56) | index, LoginKeySecret(seed), noise);
}

Timeline::Timeline(const World& world) {
  const uint32_t n = static_cast<uint32_t>(world.days()) * static_cast<uint32_t>(kDay / kBucketLen);
  presence_.resize(n);
  max_presence_ = 0;
  for (uint32_t b = 0; b < n; ++b) {
    presence_[b] = world.Presence(world.start() + static_cast<TimeMs>(b) * kBucketLen + kBucketLen / 2);
    max_presence_ = std::max(max_presence_, presence_[b]);
  }
  if (max_presence_ <= 0) max_presence_ = 1;
}

void FillLoginGeo(int site, LoginActivity* login) {
  const Site& s = SiteAt(site);
  login->country_iso = std::string(s.country_iso);
  login->country = std::string(s.country);
  login->city = std::string(s.city);
  login->subdivision = std::string(s.subdivision);
  login->latitude = s.latitude;
  login->longitude = s.longitude;
}

LoginModel::LoginModel(const World& world, const Timeline& timeline) : world_(world) {
  const uint32_t n = timeline.buckets();
  const uint64_t seed = world.seed();
  key_secret_ = LoginKeySecret(seed);
  humans_.resize(n);
  grant_mask_.assign(n, 0);
  for (uint32_t b = 0; b < n; ++b) {
    const double expected = timeline.presence()[b] * kLoginsPerPresentHour * 0.25;
    humans_[b] = static_cast<uint32_t>(expected + Rng(seed, kStreamGridCount + 1, b).Unit());
  }
  for (int j = 0; j < 2; ++j) {
    phase_[j] = static_cast<TimeMs>(Hash(seed, kStreamLogin, 1000 + static_cast<uint64_t>(j)) %
                                    static_cast<uint64_t>(kGrantPeriod));
    for (int64_t g = 0;; ++g) {
      const TimeMs t = GrantTime(j, g);
      if (t >= world.end()) break;
      grant_mask_[static_cast<size_t>((t - world.start()) / kBucketLen)] |= static_cast<uint8_t>(1 << j);
    }
  }
  std::vector<uint32_t> counts(n);
  for (uint32_t b = 0; b < n; ++b) counts[b] = humans_[b] + static_cast<uint32_t>(std::popcount(grant_mask_[b]));
  grid_ = Grid::FromCounts(world.start(), kBucketLen, counts, Hash(seed, kStreamLogin, ~0ULL));

  std::vector<uint32_t> logout_counts(n, 0);
  for (uint32_t big_b = 0; big_b < n; ++big_b) {
    for (uint32_t c = kFirstLogoutClass; c <= kLastLogoutClass; ++c) {
      if (big_b >= kClasses[c].shift) logout_counts[big_b] += HumanCountOfClass(big_b - kClasses[c].shift, c);
    }
  }
  logout_grid_ = Grid::FromCounts(world.start(), kBucketLen, logout_counts, Hash(seed, kStreamLogout, ~0ULL));
  perms_.reserve(n);
  logout_perms_.reserve(n);
  for (uint32_t b = 0; b < n; ++b) {
    perms_.emplace_back(grid_.count(b), Hash(seed, kStreamPerm, 2 * static_cast<uint64_t>(b)));
    logout_perms_.emplace_back(logout_grid_.count(b), Hash(seed, kStreamLogout, b));
  }
}

TimeMs LoginModel::GrantTime(int j, int64_t n) const {
  return world_.start() + phase_[j] + n * kGrantPeriod;
}

uint32_t LoginModel::ClassOffset(uint32_t b) const {
  return static_cast<uint32_t>(Hash(world_.seed(), kStreamPerm, 2 * static_cast<uint64_t>(b) + 1) % kClassCount);
}

uint32_t LoginModel::FirstRankOfClass(uint32_t b, uint32_t c) const {
  return (c + kClassCount - ClassOffset(b)) % kClassCount;
}

uint32_t LoginModel::HumanCountOfClass(uint32_t b, uint32_t c) const {
  const uint32_t q0 = FirstRankOfClass(b, c);
  return humans_[b] > q0 ? (humans_[b] - 1 - q0) / kClassCount + 1 : 0;
}

uint64_t LoginModel::TokenHash(uint64_t i) const { return Hash(world_.seed(), kStreamLoginKey, i); }

std::string LoginModel::MakeLoginKey(LoginKeyKind kind, uint64_t index, uint64_t noise) const {
  return EncodeKey((static_cast<uint64_t>(kind) << 56) | index, key_secret_, noise);
}

uint64_t LoginModel::GrantIndex(int j, int64_t n) const {
  const TimeMs t = GrantTime(j, n);
  const uint32_t b = static_cast<uint32_t>((t - world_.start()) / kBucketLen);
  const uint32_t rank = static_cast<uint32_t>(std::popcount(static_cast<unsigned>(grant_mask_[b] & ((1u << j) - 1))));
  return grid_.first(b) + perms_[b].Invert(humans_[b] + rank);
}

uint32_t LoginModel::PickUser(uint64_t i, TimeMs t) const {
  return world_.PickPresentUser(t, Rng(world_.seed(), kStreamLogin, i).Next());
}

LoginCore LoginModel::Core(uint64_t i, bool with_user) const {
  LoginCore core;
  core.index = i;
  const auto [b, k] = grid_.Locate(i);
  core.time = grid_.Time(b, k);
  const uint32_t role = static_cast<uint32_t>(perms_[b].Apply(k));
  Rng r(world_.seed(), kStreamLogin, i);
  if (role < humans_[b]) {
    const uint32_t c = (role + ClassOffset(b)) % kClassCount;
    core.login_class = c;
    core.kind = kClasses[c].kind;
    const uint64_t user_h = r.Next();
    if (with_user) core.user = world_.PickPresentUser(core.time, user_h);
    const uint32_t shift = kClasses[c].shift;
    if (shift > 0 && b + shift < grid_.buckets()) {
      const uint32_t big_b = b + shift;
      uint64_t e = (role - FirstRankOfClass(b, c)) / kClassCount;
      for (uint32_t c2 = kFirstLogoutClass; c2 < c; ++c2) {
        if (big_b >= kClasses[c2].shift) e += HumanCountOfClass(big_b - kClasses[c2].shift, c2);
      }
      const uint32_t r_in_bucket = static_cast<uint32_t>(logout_perms_[big_b].Invert(e));
      core.logout_recorded = true;
      core.logout_index = logout_grid_.first(big_b) + r_in_bucket;
      core.session_end = logout_grid_.Time(big_b, r_in_bucket);
    } else if (core.kind == LoginKind::kBrowser) {
      core.session_end = core.time + 45 * kMinute + static_cast<TimeMs>(r.Below(5 * kHour));
    } else if (core.kind == LoginKind::kMobile) {
      core.session_end = core.time + 10 * kMinute + static_cast<TimeMs>(r.Below(40 * kMinute));
    } else {
      core.session_end = core.time;
    }
  } else {
    uint32_t rank = role - humans_[b];
    int j = 0;
    for (; j < 2; ++j) {
      if ((grant_mask_[b] >> j) & 1) {
        if (rank == 0) break;
        --rank;
      }
    }
    core.kind = LoginKind::kIntegration;
    core.user = kIntegrationUsers[std::min(j, 1)];
    core.session_end = core.time + kGrantPeriod;
  }
  return core;
}

LoginCore LoginModel::LoginOfLogout(uint64_t logout_index) const {
  const auto [big_b, r_in_bucket] = logout_grid_.Locate(logout_index);
  uint64_t e = logout_perms_[big_b].Apply(r_in_bucket);
  for (uint32_t c = kFirstLogoutClass; c <= kLastLogoutClass; ++c) {
    if (big_b < kClasses[c].shift) continue;
    const uint32_t b = big_b - kClasses[c].shift;
    const uint32_t cnt = HumanCountOfClass(b, c);
    if (e < cnt) {
      const uint64_t q = FirstRankOfClass(b, c) + kClassCount * e;
      return Core(grid_.first(b) + perms_[b].Invert(q));
    }
    e -= cnt;
  }
  return Core(0);  // unreachable for valid indexes
}

void LoginModel::FillSession(const LoginCore& core, Session* s, uint64_t* tls_h) const {
  s->user = core.user;
  Rng t(TokenHash(core.index));
  t.Next();  // request id
  t.Next();  // event identifier
  const uint64_t session_h = t.Next();
  const uint64_t key_noise = t.Next();
  const uint64_t ip_h = t.Next();
  if (tls_h != nullptr) *tls_h = t.Next();
  s->mobile = core.kind == LoginKind::kMobile;
  if (core.kind == LoginKind::kIntegration) {
    s->client_ip = kIntegrationIps[IntegrationSlot(core.user)];
  } else {
    s->client_ip = world_.UserIp(core.user, ip_h, s->mobile);
  }
  if (core.kind != LoginKind::kFailed) {
    s->session_key = SessionKey(session_h);
    s->login_key = MakeLoginKey(kKeyBaseLogin, core.index, key_noise);
  }
  s->login_history_id = MakeId("0Ya", 0, core.index);
}

Session LoginModel::SessionOf(const LoginCore& core) const {
  Session s;
  FillSession(core, &s, nullptr);
  return s;
}

LoginActivity LoginModel::Build(const LoginCore& core) const {
  LoginActivity a;
  Session s;
  uint64_t tls_h = 0;
  FillSession(core, &s, &tls_h);
  Rng t(TokenHash(core.index));
  a.request_id = RequestId(t.Next());
  a.event_identifier = Uuid(t.Next());
  a.time = core.time;
  a.user = core.user;
  a.client_ip = std::move(s.client_ip);
  a.session_key = std::move(s.session_key);
  a.login_key = std::move(s.login_key);
  a.login_history_id = std::move(s.login_history_id);
  a.is_logout_recorded = core.logout_recorded;
  a.api_type = "N/A";
  a.api_version = "N/A";
  a.status = core.kind == LoginKind::kFailed ? "Invalid Password" : "Success";
  const SimUser& u = world_.user(core.user);
  const bool tls13 = tls_h % 100 < 85;
  a.tls_protocol = tls13 ? "TLS 1.3" : "TLS 1.2";
  a.cipher_suite = tls13 ? "TLS_AES_256_GCM_SHA384" : "ECDHE-RSA-AES256-GCM-SHA384";
  switch (core.kind) {
    case LoginKind::kFailed:
    case LoginKind::kBrowser:
      a.login_type = "Application";
      a.login_type_code = "A";
      a.login_sub_type = "UsernamePasswordUiLogin";
      a.login_url = world_.InstanceHost();
      a.application = "Browser";
      a.browser = u.browser;
      a.platform = u.platform;
      a.uri = "/index.jsp";
      FillLoginGeo(u.site, &a);
      break;
    case LoginKind::kMobile:
      a.login_type = "Remote Access 2.0";
      a.login_type_code = "i";
      a.login_sub_type = "OauthRefreshToken";
      a.login_url = "login.salesforce.com";
      a.application = "Salesforce for iOS";
      a.browser = "Unknown";
      a.platform = "iOS/iPhone";
      a.uri = "/services/oauth2/token";
      FillLoginGeo(kSiteMobile, &a);
      break;
    case LoginKind::kIntegration: {
      const bool mirth = core.user == kUserMirth;
      a.login_type = "Remote Access 2.0";
      a.login_type_code = "i";
      a.login_sub_type = mirth ? "OauthUsernamePassword" : "OauthClientCredentials";
      a.login_url = mirth ? "login.salesforce.com" : world_.InstanceHost();
      a.application = mirth ? "Mirth Connect" : "EHR Sync";
      a.browser = "Unknown";
      a.platform = "Unknown";
      a.uri = "/services/oauth2/token";
      a.tls_protocol = mirth ? "TLS 1.2" : "TLS 1.3";
      a.cipher_suite = mirth ? "ECDHE-RSA-AES256-GCM-SHA384" : "TLS_AES_256_GCM_SHA384";
      FillLoginGeo(kSiteDataCenter, &a);
      break;
    }
  }
  return a;
}

Session LoginModel::HumanSessionAt(TimeMs t, uint64_t h, bool allow_mobile) const {
  const uint64_t lo = grid_.LowerBound(t - kSessionLookback);
  const uint64_t hi = grid_.LowerBound(t);
  Rng r(h);
  auto usable = [&](const LoginCore& c) {
    return (c.kind == LoginKind::kBrowser || (allow_mobile && c.kind == LoginKind::kMobile)) && c.time < t &&
           c.session_end > t;
  };
  if (hi > lo) {
    auto accept = [&](LoginCore c) {
      c.user = PickUser(c.index, c.time);
      return SessionOf(c);
    };
    for (int attempt = 0; attempt < 8; ++attempt) {
      const LoginCore c = Core(lo + r.Below(hi - lo), false);
      if (usable(c)) return accept(c);
    }
    for (uint64_t i = hi, steps = 0; i > lo && steps < 48; ++steps) {
      --i;
      const LoginCore c = Core(i, false);
      if (usable(c)) return accept(c);
    }
  }
  // A session that began before the window (or before the lookback): no LoginHistory row.
  Session s;
  s.user = world_.PickPresentUser(t, r.Next());
  s.client_ip = world_.UserIp(s.user, r.Next(), false);
  s.session_key = SessionKey(r.Next());
  s.login_key = MakeLoginKey(kKeyOrphan, r.Next() & 0xffffffffffffULL, r.Next());
  return s;
}

Session LoginModel::IntegrationSessionAt(uint32_t user, TimeMs t) const {
  const int j = IntegrationSlot(user);
  int64_t n = (t - world_.start() - phase_[j]) / kGrantPeriod;
  if (t < world_.start() + phase_[j]) n = -1;
  for (; n >= 0; --n) {
    if (GrantTime(j, n) >= world_.end()) continue;
    const LoginCore c = Core(GrantIndex(j, n));
    if (c.time <= t) return SessionOf(c);
  }
  Session s;
  s.user = user;
  Rng r(world_.seed(), kStreamSession, 7000 + static_cast<uint64_t>(j));
  s.client_ip = kIntegrationIps[j];
  s.session_key = SessionKey(r.Next());
  s.login_key = MakeLoginKey(kKeyOrphan, 0xfff000 + static_cast<uint64_t>(j), r.Next());
  return s;
}

Session LoginModel::OrphanSession(uint32_t user, uint64_t h) const {
  Rng r(h);
  Session s;
  s.user = user;
  s.client_ip = world_.UserIp(user, r.Next(), false);
  s.session_key = SessionKey(r.Next());
  s.login_key = MakeLoginKey(kKeyOrphan, r.Next() & 0xffffffffffffULL, r.Next());
  return s;
}

LogoutActivity LogoutModel::At(uint64_t i) const {
  const LoginCore core = logins_.LoginOfLogout(i);
  const Session s = logins_.SessionOf(core);
  LogoutActivity a;
  a.time = logins_.LogoutTime(i);
  a.user = core.user;
  a.client_ip = s.client_ip;
  a.session_key = s.session_key;
  a.login_key = s.login_key;
  Rng r(Hash(logins_.key_secret(), kStreamLogout, i));
  a.request_id = RequestId(r.Next());
  a.event_identifier = Uuid(r.Next());
  a.session_type = "UI";
  a.session_level = "STANDARD";
  a.user_initiated = r.Below(10) != 0;
  return a;
}

}  // namespace custody::sim::gen
