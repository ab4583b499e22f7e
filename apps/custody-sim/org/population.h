#pragma once
// The org's people and places: users (with roles, shifts, time zones and home sites), profiles,
// network sites with their documentation-range IPs and geo, data-object sizes, and the names of
// generated records. Everything is a pure function of the OrgConfig. All names, emails, phone
// numbers and IPs are synthetic.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model.h"
#include "org/calendar.h"

namespace custody::sim::gen {

enum class Role : uint8_t { kAdmin, kIntegration, kPhysician, kNurse, kScheduler, kBilling, kCareCoordinator };
enum class Schedule : uint8_t { kOffice, kPhysician, kNurseDay, kNurseNight, kAlways };
inline constexpr int kScheduleCount = 5;

struct Site {
  std::string_view name;
  std::string_view city;
  std::string_view subdivision;
  std::string_view postal_code;
  std::string_view country_iso;
  std::string_view country;
  double latitude;
  double longitude;
  std::string_view ip_prefix;  // "192.0.2." or "2001:db8:4c1:" (IPv6, host appended in hex)
  int host_lo;
  int host_hi;
};

enum SiteIndex : int {
  kSiteMainCampus,
  kSiteNorthClinic,
  kSiteSouthClinic,
  kSiteDataCenter,
  kSiteVpn,
  kSiteRemoteChicago,
  kSiteRemoteDenver,
  kSiteRemotePortland,
  kSiteMobile,
  kSiteForeignBucharest,
  kSiteForeignAmsterdam,
  kSiteForeignSaoPaulo,
  kSiteCount,
};
const Site& SiteAt(int site);

struct Profile {
  std::string id;
  std::string name;
  std::string user_type;
  std::string description;
};

enum ProfileIndex : int {
  kProfileAdmin,
  kProfileIntegration,
  kProfileClinician,
  kProfileScheduler,
  kProfileBilling,
  kProfileCareCoordinator,
  kProfileCount,
};

struct SimUser {
  UserInfo info;
  Role role = Role::kNurse;
  Schedule schedule = Schedule::kOffice;
  TimeZone tz = TimeZone::kNewYork;
  int site = kSiteMainCampus;
  int profile = kProfileClinician;
  int host = 10;           // workstation's last IPv4 octet at the home site
  std::string alias;
  std::string title;
  std::string department;
  std::string browser;     // "Chrome 124"
  std::string platform;    // "Windows 10"
  TimeMs created = 0;
};

// Fixed user indexes (MakeOrg guarantees at least kMinUsers users).
inline constexpr uint32_t kUserAdmin = 0;
inline constexpr uint32_t kUserAdmin2 = 1;
inline constexpr uint32_t kUserMirth = 2;      // "Mirth Connect Integration"
inline constexpr uint32_t kUserEhrSync = 3;    // "EHR Sync Integration", the client_credentials Run-As user
inline constexpr uint32_t kFirstHuman = 4;
inline constexpr uint64_t kMinUsers = 8;

class World {
 public:
  explicit World(const OrgConfig& config);

  const OrgConfig& config() const { return config_; }
  uint64_t seed() const { return config_.seed; }
  TimeMs start() const { return config_.start; }
  TimeMs end() const { return config_.start + static_cast<TimeMs>(config_.days) * kDay; }
  int days() const { return config_.days; }
  std::string EmailDomain() const { return config_.my_domain + ".example"; }
  std::string InstanceHost() const { return config_.my_domain + ".my.salesforce.com"; }

  const std::vector<SimUser>& users() const { return users_; }
  const std::vector<UserInfo>& user_infos() const { return user_infos_; }
  const SimUser& user(uint32_t i) const { return users_[i]; }
  const std::vector<Profile>& profiles() const { return profiles_; }
  const std::vector<uint32_t>& physicians() const { return physicians_; }
  const std::vector<uint32_t>& humans() const { return humans_; }

  // Expected number of human users at work at t (sum of shift presence over users).
  double Presence(TimeMs t) const;
  // A human user drawn with probability proportional to presence at t.
  uint32_t PickPresentUser(TimeMs t, uint64_t h) const;
  // The IPv4/IPv6 a user's workstation (or phone, mobile=true) uses; `h` varies the host a little.
  std::string UserIp(uint32_t user, uint64_t h, bool mobile) const;
  int UserSiteFor(uint32_t user, bool mobile) const { return mobile ? kSiteMobile : users_[user].site; }

  // Data-object sizes.
  uint64_t patients() const { return patients_; }
  uint64_t accounts() const { return accounts_; }
  uint64_t contacts() const { return patients_; }  // one Contact per patient, same person
  uint64_t cases_before_window() const { return cases_pre_; }
  uint64_t opportunities() const { return accounts_ * 2; }
  uint64_t appointments() const { return patients_ * 3; }
  uint64_t medications() const { return patients_ * 2; }

  // Names of generated records (synthetic).
  std::string PersonFirst(uint64_t person) const;  // patients and their contacts share `person`
  std::string PersonLast(uint64_t person) const;
  std::string PersonName(uint64_t person) const { return PersonFirst(person) + " " + PersonLast(person); }
  std::string Mrn(uint64_t patient) const;
  int64_t BirthDays(uint64_t person) const;  // date of birth, days since epoch
  std::string AccountName(uint64_t account) const;
  std::string AccountType(uint64_t account) const;
  std::string Phone(uint64_t h) const;          // "(617) 555-0134"
  std::string PersonEmail(uint64_t person, uint64_t h) const;
  std::string StreetAddress(uint64_t h) const;  // "42 Juniper Ln, Millbrook, MA 01234"
  std::string CaseSubject(uint64_t c) const;
  std::string OpportunityName(uint64_t o) const;
  std::string MedicationName(uint64_t m) const;

 private:
  void BuildUsers();

  OrgConfig config_;
  std::vector<SimUser> users_;
  std::vector<UserInfo> user_infos_;
  std::vector<Profile> profiles_;
  std::vector<uint32_t> physicians_;
  std::vector<uint32_t> humans_;
  // Humans grouped by (time zone, schedule) for presence-weighted draws.
  std::vector<uint32_t> groups_[kTimeZoneCount][kScheduleCount];
  uint64_t patients_ = 0;
  uint64_t accounts_ = 0;
  uint64_t cases_pre_ = 0;
};

// Share of a schedule's users at work at a local time.
double PresenceFraction(Schedule schedule, int weekday, double hour);

}  // namespace custody::sim::gen
