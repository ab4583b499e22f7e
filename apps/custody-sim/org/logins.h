#pragma once
// Logins, logouts and the sessions other activities run in.
//
// Logins sit on a 15-minute Grid. Bucket b holds h(b) human logins (expected count from the users'
// shift presence in their own time zones) and the integration users' token grants that fall in it
// (each integration user re-authenticates every two hours at a fixed phase). An affine permutation
// of the bucket's strata decides which stratum is which, so the mix looks random yet each role is
// addressable both ways. A human login's class ((rank + bucket offset) mod 32) fixes whether it failed,
// is a mobile login, or is a browser session with or without a recorded logout, and after how many
// buckets. Logouts then form their own Grid: bucket B holds the classed logins of buckets B - shift,
// again permuted, so login <-> logout is O(1) in both directions and both sequences ascend in time.
//
// Any activity at time t can borrow a real session: HumanSessionAt samples a login of the previous
// hours that is still open at t (same user, IP, SESSION_KEY and LOGIN_KEY as that login).

#include <cstdint>
#include <string>
#include <vector>

#include "activity.h"
#include "org/grid.h"
#include "org/population.h"
#include "org/sequence.h"

namespace custody::sim::gen {

inline constexpr TimeMs kBucketLen = 15 * kMinute;

// Human presence per 15-minute bucket of the window.
class Timeline {
 public:
  explicit Timeline(const World& world);
  uint32_t buckets() const { return static_cast<uint32_t>(presence_.size()); }
  const std::vector<double>& presence() const { return presence_; }
  double max_presence() const { return max_presence_; }

 private:
  std::vector<double> presence_;
  double max_presence_ = 1;
};

enum class LoginKind : uint8_t { kFailed, kBrowser, kMobile, kIntegration };

struct Session {
  uint32_t user = 0;
  std::string client_ip;
  std::string session_key;
  std::string login_key;
  std::string login_history_id;  // "" when the session began before the window
  bool mobile = false;
};

struct LoginCore {
  uint64_t index = 0;
  TimeMs time = 0;
  uint32_t user = 0;
  LoginKind kind = LoginKind::kBrowser;
  uint32_t login_class = 0;
  TimeMs session_end = 0;
  bool logout_recorded = false;
  uint64_t logout_index = 0;
};

// What a login key encodes (DecodeKey payload >> 56).
enum LoginKeyKind : uint64_t { kKeyBaseLogin = 1, kKeyScenarioLogin = 2, kKeyOrphan = 3 };

// The secret login keys are encoded under (see ids.h EncodeKey).
uint64_t LoginKeySecret(uint64_t seed);
std::string MakeLoginKey(uint64_t seed, LoginKeyKind kind, uint64_t index, uint64_t noise);

class LoginModel final : public Source<LoginActivity> {
 public:
  LoginModel(const World& world, const Timeline& timeline);
  uint64_t Size() const override { return grid_.size(); }
  TimeMs TimeAt(uint64_t i) const override { return grid_.TimeAt(i); }
  LoginActivity At(uint64_t i) const override { return Build(Core(i)); }
  uint64_t LowerBound(TimeMs t) const override { return grid_.LowerBound(t); }

  // with_user=false skips the (costlier) user draw; core.user is then 0.
  LoginCore Core(uint64_t i, bool with_user = true) const;
  LoginActivity Build(const LoginCore& core) const;
  Session SessionOf(const LoginCore& core) const;

  // A human session open at t, begun within the last hours; a synthesized pre-window session when
  // none qualifies. Deterministic in (t, h).
  Session HumanSessionAt(TimeMs t, uint64_t h, bool allow_mobile) const;
  // The integration user's latest token grant at or before t.
  Session IntegrationSessionAt(uint32_t user, TimeMs t) const;
  // A session of a given human user that began before the window (no LoginHistory row).
  Session OrphanSession(uint32_t user, uint64_t h) const;

  const Grid& logout_grid() const { return logout_grid_; }
  LoginCore LoginOfLogout(uint64_t logout_index) const;
  TimeMs LogoutTime(uint64_t logout_index) const { return logout_grid_.TimeAt(logout_index); }

  // Login keys encode (kind << 56 | index) under this secret; see ids.h EncodeKey.
  uint64_t key_secret() const { return key_secret_; }
  std::string MakeLoginKey(LoginKeyKind kind, uint64_t index, uint64_t noise) const;

 private:
  uint32_t HumanCountOfClass(uint32_t b, uint32_t c) const;
  uint32_t FirstRankOfClass(uint32_t b, uint32_t c) const;
  uint32_t ClassOffset(uint32_t b) const;
  uint64_t GrantIndex(int j, int64_t n) const;
  TimeMs GrantTime(int j, int64_t n) const;
  uint64_t TokenHash(uint64_t i) const;
  uint32_t PickUser(uint64_t i, TimeMs t) const;
  void FillSession(const LoginCore& core, Session* s, uint64_t* tls_h) const;

  const World& world_;
  std::vector<uint32_t> humans_;      // human logins per bucket
  std::vector<uint8_t> grant_mask_;   // bit j: integration user j has a grant in the bucket
  Grid grid_;
  Grid logout_grid_;
  std::vector<AffinePerm> perms_;         // per login bucket: stratum -> role
  std::vector<AffinePerm> logout_perms_;  // per logout bucket: stratum -> enumeration
  TimeMs phase_[2] = {0, 0};
  uint64_t key_secret_ = 0;
};

class LogoutModel final : public Source<LogoutActivity> {
 public:
  explicit LogoutModel(const LoginModel& logins) : logins_(logins) {}
  uint64_t Size() const override { return logins_.logout_grid().size(); }
  TimeMs TimeAt(uint64_t i) const override { return logins_.LogoutTime(i); }
  LogoutActivity At(uint64_t i) const override;
  uint64_t LowerBound(TimeMs t) const override { return logins_.logout_grid().LowerBound(t); }

 private:
  const LoginModel& logins_;
};

// Fills the login fields that depend only on where and how (site geo, TLS, client).
void FillLoginGeo(int site, LoginActivity* login);

}  // namespace custody::sim::gen
