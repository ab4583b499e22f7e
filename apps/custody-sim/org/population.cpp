#include "org/population.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "org/ids.h"
#include "org/names.h"
#include "org/rng.h"

namespace custody::sim::gen {
namespace {

// Synthetic sites: real city names for plausible geo, documentation-range IPs (RFC 5737, RFC 3849).
const Site kSites[kSiteCount] = {
    {"Main Campus", "Boston", "Massachusetts", "02114", "US", "United States", 42.3626, -71.0693,
     "192.0.2.", 10, 120},
    {"North Clinic", "Worcester", "Massachusetts", "01608", "US", "United States", 42.2626, -71.8023,
     "192.0.2.", 140, 200},
    {"South Clinic", "Providence", "Rhode Island", "02903", "US", "United States", 41.824, -71.4128,
     "198.51.100.", 70, 120},
    {"Data Center", "Marlborough", "Massachusetts", "01752", "US", "United States", 42.3459, -71.5523,
     "198.51.100.", 10, 20},
    {"Remote Access VPN", "Boston", "Massachusetts", "02110", "US", "United States", 42.3601, -71.0589,
     "203.0.113.", 10, 40},
    {"Remote (Chicago)", "Chicago", "Illinois", "60601", "US", "United States", 41.8864, -87.6186,
     "203.0.113.", 70, 89},
    {"Remote (Denver)", "Denver", "Colorado", "80202", "US", "United States", 39.7525, -104.9995,
     "203.0.113.", 90, 104},
    {"Remote (Portland)", "Portland", "Oregon", "97205", "US", "United States", 45.5202, -122.6742,
     "203.0.113.", 105, 120},
    {"Mobile Carrier", "Boston", "Massachusetts", "02108", "US", "United States", 42.3572, -71.0649,
     "2001:db8:4c1:", 4096, 65535},
    {"Unexpected (Bucharest)", "Bucharest", "Bucuresti", "010011", "RO", "Romania", 44.4268, 26.1025,
     "203.0.113.", 217, 217},
    {"Unexpected (Amsterdam)", "Amsterdam", "North Holland", "1012", "NL", "Netherlands", 52.3676, 4.9041,
     "203.0.113.", 189, 189},
    {"Unexpected (Sao Paulo)", "Sao Paulo", "Sao Paulo", "01310", "BR", "Brazil", -23.5505, -46.6333,
     "203.0.113.", 66, 66},
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

const char* const kBrowsers[] = {"Chrome 124", "Chrome 124", "Chrome 123", "Edge 124", "Edge 123", "Firefox 125",
                                 "Safari 17"};
const char* const kPlatforms[] = {"Windows 10", "Windows 10", "Windows 11", "Windows 11", "Mac OSX"};

}  // namespace

const Site& SiteAt(int site) { return kSites[std::clamp(site, 0, kSiteCount - 1)]; }

double PresenceFraction(Schedule schedule, int weekday, double hour) {
  const bool weekend = weekday == 0 || weekday == 6;
  switch (schedule) {
    case Schedule::kOffice:
      if (weekend) return 0.03;
      if (hour >= 8 && hour < 17) return hour >= 12 && hour < 13 ? 0.6 : 1.0;
      if ((hour >= 7 && hour < 8) || (hour >= 17 && hour < 18)) return 0.35;
      return 0.02;
    case Schedule::kPhysician:
      if (weekend) return hour >= 8 && hour < 16 ? 0.2 : 0.03;
      if (hour >= 7 && hour < 18) return 0.9;
      if (hour >= 18 && hour < 21) return 0.3;
      return 0.04;
    case Schedule::kNurseDay:
      return hour >= 7 && hour < 19 ? 0.45 : 0.02;
    case Schedule::kNurseNight:
      return hour >= 19 || hour < 7 ? 0.45 : 0.02;
    case Schedule::kAlways:
      return 1.0;
  }
  return 0;
}

World::World(const OrgConfig& config) : config_(config) {
  if (config_.days < 1) config_.days = 1;
  if (config_.users < kMinUsers) config_.users = kMinUsers;
  if (config_.patients < 10) config_.patients = 10;
  patients_ = config_.patients;
  accounts_ = std::max<uint64_t>(20, patients_ / 40);
  cases_pre_ = std::max<uint64_t>(10, patients_ / 4);

  const char* const profile_names[kProfileCount] = {"System Administrator", "Integration User", "Clinician",
                                                    "Scheduler", "Billing Specialist", "Care Coordinator"};
  const char* const profile_descriptions[kProfileCount] = {
      "Full access to setup and all data", "API-only access for system integrations",
      "Physicians and nurses: patient records, appointments, medications",
      "Patient scheduling and registration", "Claims, payers and patient billing",
      "Care plans, cases and patient outreach"};
  for (int p = 0; p < kProfileCount; ++p) {
    profiles_.push_back(Profile{MakeId("00e", 0, static_cast<uint64_t>(p) + 1), profile_names[p], "Standard",
                                profile_descriptions[p]});
  }
  BuildUsers();
}

void World::BuildUsers() {
  const uint64_t n = config_.users;
  std::set<std::string> taken;
  const std::string domain = EmailDomain();
  for (uint64_t i = 0; i < n; ++i) {
    Rng r(config_.seed, kStreamUserShape, i);
    SimUser u;
    std::string first;
    std::string last;
    std::string local;
    if (i == kUserMirth) {
      u.role = Role::kIntegration;
      first = "Mirth Connect";
      last = "Integration";
      local = "mirth.integration";
    } else if (i == kUserEhrSync) {
      u.role = Role::kIntegration;
      first = "EHR Sync";
      last = "Integration";
      local = "ehr.sync";
    } else {
      if (i == kUserAdmin || i == kUserAdmin2) {
        u.role = Role::kAdmin;
      } else if (i < kFirstHuman + 4) {
        // At least one of each everyday role.
        const Role fixed[] = {Role::kPhysician, Role::kNurse, Role::kScheduler, Role::kBilling};
        u.role = fixed[i - kFirstHuman];
      } else {
        const double x = r.Unit();
        u.role = x < 0.2    ? Role::kPhysician
                 : x < 0.55 ? Role::kNurse
                 : x < 0.75 ? Role::kScheduler
                 : x < 0.9  ? Role::kBilling
                            : Role::kCareCoordinator;
      }
      Rng names(config_.seed, kStreamUserNames, i);
      first = std::string(Pick(kFirstNames, names.Next()));
      last = std::string(Pick(kLastNames, names.Next()));
      local = Lower(first) + "." + Lower(last);
    }
    std::string candidate = local;
    for (int suffix = 2; taken.count(candidate) != 0; ++suffix) candidate = local + std::to_string(suffix);
    taken.insert(candidate);
    const std::string username = candidate + "@" + domain;

    switch (u.role) {
      case Role::kAdmin:
        u.schedule = Schedule::kOffice;
        u.profile = kProfileAdmin;
        u.title = "Salesforce Administrator";
        u.department = "Information Services";
        u.site = kSiteMainCampus;
        break;
      case Role::kIntegration:
        u.schedule = Schedule::kAlways;
        u.profile = kProfileIntegration;
        u.title = "Integration";
        u.department = "Information Services";
        u.site = kSiteDataCenter;
        break;
      case Role::kPhysician:
        u.schedule = Schedule::kPhysician;
        u.profile = kProfileClinician;
        u.title = "Physician";
        u.department = r.Chance(0.5) ? "Internal Medicine" : (r.Chance(0.5) ? "Cardiology" : "Family Medicine");
        u.site = static_cast<int>(r.Below(3));
        break;
      case Role::kNurse:
        u.schedule = r.Chance(0.65) ? Schedule::kNurseDay : Schedule::kNurseNight;
        u.profile = kProfileClinician;
        u.title = "Registered Nurse";
        u.department = r.Chance(0.5) ? "Inpatient Nursing" : "Ambulatory Care";
        u.site = static_cast<int>(r.Below(3));
        break;
      case Role::kScheduler:
        u.schedule = Schedule::kOffice;
        u.profile = kProfileScheduler;
        u.title = "Patient Access Specialist";
        u.department = "Patient Access";
        u.site = static_cast<int>(r.Below(3));
        break;
      case Role::kBilling:
        u.schedule = Schedule::kOffice;
        u.profile = kProfileBilling;
        u.title = "Billing Specialist";
        u.department = "Revenue Cycle";
        u.site = r.Chance(0.5) ? kSiteMainCampus : kSiteRemoteChicago + static_cast<int>(r.Below(3));
        break;
      case Role::kCareCoordinator:
        u.schedule = Schedule::kOffice;
        u.profile = kProfileCareCoordinator;
        u.title = "Care Coordinator";
        u.department = "Care Management";
        u.site = r.Chance(0.7) ? static_cast<int>(r.Below(3)) : kSiteVpn;
        break;
    }
    u.tz = u.site == kSiteRemoteChicago   ? TimeZone::kChicago
           : u.site == kSiteRemoteDenver  ? TimeZone::kDenver
           : u.site == kSiteRemotePortland ? TimeZone::kLosAngeles
                                           : TimeZone::kNewYork;
    const Site& site = SiteAt(u.site);
    u.host = site.host_lo + static_cast<int>(r.Below(static_cast<uint64_t>(site.host_hi - site.host_lo + 1)));
    u.browser = u.role == Role::kIntegration ? "Unknown" : kBrowsers[r.Below(std::size(kBrowsers))];
    u.platform = u.role == Role::kIntegration ? "Unknown" : kPlatforms[r.Below(std::size(kPlatforms))];
    if (u.browser == "Safari 17") u.platform = "Mac OSX";
    u.alias = (Lower(first).substr(0, 1) + Lower(last)).substr(0, 8);
    u.created = config_.start - 400 * kDay + static_cast<TimeMs>(i) * 3 * kHour + r.Range(0, 3599) * kSecond;

    UserInfo& info = u.info;
    info.id = MakeId("005", 0, i + 1);
    info.username = username;
    info.first_name = first;
    info.last_name = last;
    info.name = first + " " + last;
    info.email = username;
    info.profile = profiles_[static_cast<size_t>(u.profile)].name;
    info.user_type = "Standard";
    info.time_zone = TimeZoneId(u.tz);
    info.is_integration = u.role == Role::kIntegration;
    info.view_all_data = u.role == Role::kAdmin || i == kUserEhrSync;
    info.active = true;

    const uint32_t index = static_cast<uint32_t>(i);
    if (u.role == Role::kPhysician) physicians_.push_back(index);
    if (u.role != Role::kIntegration) {
      humans_.push_back(index);
      groups_[static_cast<int>(u.tz)][static_cast<int>(u.schedule)].push_back(index);
    }
    users_.push_back(std::move(u));
  }
  for (const SimUser& u : users_) user_infos_.push_back(u.info);
}

double World::Presence(TimeMs t) const {
  double total = 0;
  for (int tz = 0; tz < kTimeZoneCount; ++tz) {
    const LocalTime local = ToLocal(static_cast<TimeZone>(tz), t);
    for (int s = 0; s < kScheduleCount; ++s) {
      const auto& group = groups_[tz][s];
      if (group.empty()) continue;
      total += static_cast<double>(group.size()) *
               PresenceFraction(static_cast<Schedule>(s), local.weekday, local.hour);
    }
  }
  return total;
}

uint32_t World::PickPresentUser(TimeMs t, uint64_t h) const {
  double weights[kTimeZoneCount][kScheduleCount] = {};
  double total = 0;
  for (int tz = 0; tz < kTimeZoneCount; ++tz) {
    const LocalTime local = ToLocal(static_cast<TimeZone>(tz), t);
    for (int s = 0; s < kScheduleCount; ++s) {
      const auto& group = groups_[tz][s];
      if (group.empty()) continue;
      weights[tz][s] = static_cast<double>(group.size()) *
                       PresenceFraction(static_cast<Schedule>(s), local.weekday, local.hour);
      total += weights[tz][s];
    }
  }
  Rng r(h);
  double x = r.Unit() * total;
  for (int tz = 0; tz < kTimeZoneCount; ++tz) {
    for (int s = 0; s < kScheduleCount; ++s) {
      const auto& group = groups_[tz][s];
      if (group.empty() || weights[tz][s] <= 0) continue;
      if (x < weights[tz][s]) return group[r.Below(group.size())];
      x -= weights[tz][s];
    }
  }
  return humans_.empty() ? kUserAdmin : humans_[r.Below(humans_.size())];
}

std::string World::UserIp(uint32_t user, uint64_t h, bool mobile) const {
  const SimUser& u = users_[user];
  if (mobile) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "2001:db8:4c1:%x:%x:%x:%x:%x", static_cast<unsigned>(0x10 + user % 0xff0),
                  static_cast<unsigned>((h >> 16) & 0xffff), static_cast<unsigned>((h >> 32) & 0xffff),
                  static_cast<unsigned>((h >> 48) & 0xffff), static_cast<unsigned>((h & 0xfff0) | 1));
    return buf;
  }
  const Site& site = SiteAt(u.site);
  int host = u.host;
  // Now and then a user works from a neighbouring workstation.
  if ((h & 7) == 0 && site.host_hi > site.host_lo) {
    host = site.host_lo + static_cast<int>((h >> 8) % static_cast<uint64_t>(site.host_hi - site.host_lo + 1));
  }
  return std::string(site.ip_prefix) + std::to_string(host);
}

std::string World::PersonFirst(uint64_t person) const {
  return std::string(Pick(kFirstNames, Hash(config_.seed, kStreamRecord, person * 2)));
}

std::string World::PersonLast(uint64_t person) const {
  return std::string(Pick(kLastNames, Hash(config_.seed, kStreamRecord, person * 2 + 1)));
}

std::string World::Mrn(uint64_t patient) const {
  // "MRN-%08llu" without printf (this runs for every PHI-bearing URI of a LogFile row).
  std::string out = "MRN-00000000";
  uint64_t v = 10000000 + patient * 7 % 89999999;
  for (size_t i = out.size(); v != 0 && i > 4; v /= 10) out[--i] = static_cast<char>('0' + v % 10);
  return out;
}

int64_t World::BirthDays(uint64_t person) const {
  return DaysFromCivil(1938, 1, 1) + static_cast<int64_t>(Hash(config_.seed, kStreamRecord + 8, person) % 31000);
}

std::string World::AccountName(uint64_t account) const {
  const uint64_t h = Hash(config_.seed, kStreamRecord + 16, account);
  if (account % 5 == 0) return std::string(Pick(kPayerNames, h)) + (account >= 60 ? " " + std::to_string(account / 60) : "");
  static const char* const kKinds[] = {"Family Medicine", "Pediatrics", "Cardiology Associates",
                                       "Orthopedics", "Women's Health", "Internal Medicine",
                                       "Physical Therapy", "Dermatology"};
  return std::string(Pick(kPracticeWords, h)) + " " + kKinds[(h >> 20) % 8];
}

std::string World::AccountType(uint64_t account) const {
  if (account % 5 == 0) return "Payer";
  const uint64_t h = Hash(config_.seed, kStreamRecord + 17, account);
  return (h & 3) == 0 ? "Vendor" : ((h & 3) == 1 ? "Clinic" : "Referring Practice");
}

std::string World::Phone(uint64_t h) const {
  static const char* const kAreas[] = {"617", "508", "401", "774", "978", "781"};
  // 555-01xx is reserved for fictional use.
  std::string out = "(000) 555-01xx";
  out.replace(1, 3, kAreas[h % 6]);
  const unsigned last = static_cast<unsigned>((h >> 8) % 100);
  out[12] = static_cast<char>('0' + last / 10);
  out[13] = static_cast<char>('0' + last % 10);
  return out;
}

std::string World::PersonEmail(uint64_t person, uint64_t h) const {
  static const char* const kDomains[] = {"example.com", "example.net", "example.org"};
  return Lower(PersonFirst(person)) + "." + Lower(PersonLast(person)) + std::to_string(person % 97) + "@" +
         kDomains[h % 3];
}

std::string World::StreetAddress(uint64_t h) const {
  char buf[160];
  const std::string street(Pick(kStreetNames, h >> 8));
  const std::string kind(Pick(kStreetKinds, h >> 16));
  const std::string town(Pick(kTownNames, h >> 24));
  std::snprintf(buf, sizeof buf, "%u %s %s, %s, MA 0%04u", static_cast<unsigned>(1 + h % 980), street.c_str(),
                kind.c_str(), town.c_str(), static_cast<unsigned>(1000 + (h >> 32) % 2800));
  return buf;
}

std::string World::CaseSubject(uint64_t c) const {
  static const char* const kSubjects[] = {
      "Prescription refill request",     "Billing question about statement",  "Referral status inquiry",
      "Request for medical records",     "Appointment reschedule request",    "Insurance eligibility check",
      "Prior authorization follow-up",   "Lab results question",              "Portal access problem",
      "Care plan follow-up call",        "Durable medical equipment order",   "Transportation assistance"};
  return kSubjects[Hash(config_.seed, kStreamRecord + 32, c) % std::size(kSubjects)];
}

std::string World::OpportunityName(uint64_t o) const {
  static const char* const kDeals[] = {"Referral Partnership", "Capitated Care Contract", "Telehealth Pilot",
                                       "Employer Wellness Program", "Value-Based Care Agreement",
                                       "Lab Services Agreement"};
  return AccountName(o / 2) + " - " + kDeals[Hash(config_.seed, kStreamRecord + 48, o) % std::size(kDeals)];
}

std::string World::MedicationName(uint64_t m) const {
  return std::string(Pick(kMedications, Hash(config_.seed, kStreamRecord + 64, m)));
}

}  // namespace custody::sim::gen
