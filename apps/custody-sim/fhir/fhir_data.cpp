#include "fhir/fhir_data.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/encoding.h"
#include "fhir/fhir_time.h"
#include "org/rng.h"

namespace custody::sim::fhir {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;
using gen::Hash;
using gen::Rng;

// Draw streams of the FHIR server (part of the determinism contract: renumbering changes the data).
enum : uint64_t {
  kStreamGroup = 0xF100,   // per pair of indexes: BALP client/server pair or not
  kStreamEvent,            // per generated event
  kStreamInsert,           // per inserted event
  kStreamId,               // id suffixes
};

constexpr const char* kDcm = "http://dicom.nema.org/resources/ontology/DCM";
constexpr const char* kEventType = "http://terminology.hl7.org/CodeSystem/audit-event-type";
constexpr const char* kRestful = "http://hl7.org/fhir/restful-interaction";
constexpr const char* kEntityType = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
constexpr const char* kObjectRole = "http://terminology.hl7.org/CodeSystem/object-role";
constexpr const char* kSourceType = "http://terminology.hl7.org/CodeSystem/security-source-type";
constexpr const char* kParticipation = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
constexpr const char* kBalpEntity = "https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType";
constexpr const char* kActionSystem = "http://hl7.org/fhir/audit-event-action";
constexpr const char* kOutcomeR4 = "http://hl7.org/fhir/audit-event-outcome";
constexpr const char* kOutcomeR5 = "http://terminology.hl7.org/CodeSystem/audit-event-outcome";
constexpr const char* kIssueSeverity = "http://hl7.org/fhir/issue-severity";
constexpr const char* kServerBase = "https://ehr.example.org/fhir";
constexpr const char* kServerDevice = "Device/ehr-fhir-server";

enum class Kind : uint8_t {
  kClientSearch,  // BALP PatientQuery as the client records it
  kServerSearch,  // ... as the server records it
  kClientRead,
  kServerRead,
  kLogin,
  kLogout,
  kCreate,
  kUpdate,
  kDelete,
};

// Everything one generated AuditEvent says, drawn from (seed, origin, index).
struct Spec {
  Kind kind = Kind::kLogin;
  int64_t recorded_us = 0;
  int64_t width_us = 1;
  int offset_min = 0;
  bool zulu = true;
  int digits = 3;
  int64_t last_updated_ms = 0;
  uint32_t user = 0;
  bool user_identifier_only = false;
  uint32_t patient = 0;
  uint32_t workstation = 0;
  int ip = 1;               // 0: no network, 1: IPv4, 2: IPv6 compressed, 3: IPv6 full form
  uint64_t request_hi = 0, request_lo = 0;
  uint32_t data_type = 0;   // index into kDataTypes
  uint32_t data_id = 0;
  int outcome = 0;          // 0, 4, 8, 12
  int64_t period_start_us = 0;  // create/update/delete: when the work began (period / occurredPeriod)
  const ehr::CrossSystemEvent* step = nullptr;  // a scenario step: its actor, address and X-Request-Id
};

constexpr const char* kDataTypes[] = {"Observation", "Condition", "MedicationRequest", "Encounter", "DocumentReference"};
constexpr const char* kDataIds[] = {"obs", "cond", "medrx", "enc", "doc"};
constexpr int kOffsets[] = {120, 330, 660, 60, -300, -480, -210, -240};
constexpr uint32_t kUsers = 300;
constexpr uint32_t kPatients = 5000;
constexpr uint32_t kWorkstations = 60;

std::string Uuid(uint64_t hi, uint64_t lo) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08" PRIx64 "-%04" PRIx64 "-4%03" PRIx64 "-%04" PRIx64 "-%012" PRIx64, hi >> 32,
                (hi >> 16) & 0xffff, hi & 0xfff, 0x8000 | ((lo >> 48) & 0x3fff), static_cast<uint64_t>(lo & 0xffffffffffffULL));
  return buf;
}

std::string Address(const Spec& s) {
  if (s.step != nullptr) return s.step->source_ip;
  char buf[64];
  const uint32_t w = s.workstation;
  if (s.ip == 1) {
    std::snprintf(buf, sizeof buf, "10.%u.%u.%u", 20 + w / 200, (w * 7) % 250 + 1, w % 250 + 2);
  } else if (s.ip == 2) {
    std::snprintf(buf, sizeof buf, "2001:db8:%x::%x", 0x100 + w / 16, w + 0x10);
  } else {
    std::snprintf(buf, sizeof buf, "2001:0db8:%04x:0000:0000:8a2e:0370:%04x", 0x100 + w / 16, w + 0x10);
  }
  return buf;
}

std::string Workstation(const Spec& s) {
  if (s.step != nullptr) return s.step->actor;
  return "ws" + std::to_string(s.workstation) + ".clinic.example.org"; }
std::string UserRef(const Spec& s) { return "Practitioner/pr-" + std::to_string(s.user); }
std::string PatientRef(const Spec& s) { return "Patient/pt-" + std::to_string(s.patient); }
std::string DataRef(const Spec& s) {
  return std::string(kDataTypes[s.data_type]) + "/" + kDataIds[s.data_type] + "-" + std::to_string(s.data_id);
}
std::string RequestId(const Spec& s) {
  return s.step != nullptr ? s.step->x_request_id : Uuid(s.request_hi, s.request_lo);
}
std::string QueryText(const Spec& s) {
  if (s.step != nullptr) {
    // The scenario's search: every Patient of the EHR, in large pages.
    return "GET " + std::string(kServerBase) + "/Patient?_count=1000\nAccept: application/fhir+json\nX-Request-Id: " +
           s.step->x_request_id;
  }
  return "GET " + std::string(kServerBase) + "/" + kDataTypes[s.data_type] + "?patient=pt-" + std::to_string(s.patient) +
         "&_count=50\nAccept: application/fhir+json\nX-Request-Id: " + Uuid(s.request_hi, s.request_lo);
}

bool IsBalp(Kind k) {
  return k == Kind::kClientSearch || k == Kind::kServerSearch || k == Kind::kClientRead || k == Kind::kServerRead;
}
bool IsSearch(Kind k) { return k == Kind::kClientSearch || k == Kind::kServerSearch; }
bool IsClient(Kind k) { return k == Kind::kClientSearch || k == Kind::kClientRead; }

// Draws the time representation and the non-pair parts shared by all origins.
void DrawShape(Rng& r, Spec* s) {
  s->zulu = r.Below(2) == 0;
  s->offset_min = s->zulu ? 0 : kOffsets[r.Below(std::size(kOffsets))];
  const uint64_t d = r.Below(100);
  s->digits = d < 35 ? 3 : d < 70 ? 0 : 6;
  s->width_us = s->digits == 0 ? kUsPerSecond : s->digits == 3 ? 1000 : 1;
  s->recorded_us -= ((s->recorded_us % s->width_us) + s->width_us) % s->width_us;
  const uint64_t lag = r.Below(100);
  const int64_t recorded_ms = s->recorded_us / 1000;
  s->last_updated_ms = recorded_ms + (lag < 90   ? static_cast<int64_t>(r.Below(5000))
                                      : lag < 99 ? 60000 + static_cast<int64_t>(r.Below(540000))
                                                 : 86400000 + static_cast<int64_t>(r.Below(2 * 86400000ULL)));
  s->ip = static_cast<int>(r.Below(100));
  s->ip = s->ip < 10 ? 0 : s->ip < 65 ? 1 : s->ip < 85 ? 2 : 3;
  s->user_identifier_only = r.Below(5) == 0;
  const uint64_t o = r.Below(100);
  s->outcome = o < 94 ? 0 : o < 98 ? 4 : o < 99 ? 8 : 12;
}

void DrawSolo(Rng& r, Spec* s) {
  const uint64_t k = r.Below(100);
  s->kind = k < 25   ? Kind::kLogin
            : k < 40 ? Kind::kLogout
            : k < 60 ? Kind::kServerRead
            : k < 70 ? Kind::kCreate
            : k < 85 ? Kind::kUpdate
            : k < 90 ? Kind::kDelete
                     : Kind::kServerSearch;
  s->user = static_cast<uint32_t>(r.Below(kUsers));
  s->patient = static_cast<uint32_t>(r.Below(kPatients));
  s->workstation = static_cast<uint32_t>(r.Below(kWorkstations));
  s->data_type = static_cast<uint32_t>(r.Below(std::size(kDataTypes)));
  s->data_id = static_cast<uint32_t>(r.Below(100000));
  s->request_hi = r.Next();
  s->request_lo = r.Next();
  s->period_start_us = s->recorded_us - static_cast<int64_t>(r.Below(30)) * kUsPerSecond - 1000;
}

// A server whose clock is off stamps with its own clock: every time it writes moves by the
// offset after all draws are made, so ids, kinds, zones and precision stay what the seed gives
// and only the instants move. A shifted `recorded` is cut to its precision again, as the server
// would write it (exact for an offset in whole seconds).
Spec Stamped(const DataConfig& c, Spec s) {
  if (c.clock_offset_ms == 0) return s;
  const int64_t offset_us = c.clock_offset_ms * 1000;
  s.recorded_us += offset_us;
  s.recorded_us -= ((s.recorded_us % s.width_us) + s.width_us) % s.width_us;
  s.period_start_us += offset_us;
  s.last_updated_ms += c.clock_offset_ms;
  return s;
}

Spec DrawnGeneratedSpec(const DataConfig& c, uint64_t i) {
  Spec s;
  const int64_t start = c.window_start_ms * 1000;
  const int64_t span = (c.window_end_ms - c.window_start_ms) * 1000;
  const uint64_t n = std::max<uint64_t>(c.events, 1);
  // Event i lives in its own slot of the window, so the generated events are spread evenly.
  const int64_t slot_lo = start + static_cast<int64_t>((static_cast<gen::U128>(span) * i) / n);
  const int64_t slot_hi = start + static_cast<int64_t>((static_cast<gen::U128>(span) * (i + 1)) / n);
  Rng r(c.seed, kStreamEvent, i);
  s.recorded_us = slot_lo + static_cast<int64_t>(r.Below(static_cast<uint64_t>(std::max<int64_t>(slot_hi - slot_lo, 1))));
  DrawShape(r, &s);
  const uint64_t g = i / 2;
  Rng pair(c.seed, kStreamGroup, g);
  const bool is_pair = pair.Below(100) < 35 && 2 * g + 1 < c.events;
  if (!is_pair) {
    DrawSolo(r, &s);
    return s;
  }
  // A BALP pair: the client's and the server's record of one request, sharing its X-Request-Id.
  const bool search = pair.Below(2) == 0;
  const bool client = i % 2 == 0;
  s.kind = search ? (client ? Kind::kClientSearch : Kind::kServerSearch)
                  : (client ? Kind::kClientRead : Kind::kServerRead);
  s.user = static_cast<uint32_t>(pair.Below(kUsers));
  s.patient = static_cast<uint32_t>(pair.Below(kPatients));
  s.workstation = static_cast<uint32_t>(pair.Below(kWorkstations));
  s.data_type = static_cast<uint32_t>(pair.Below(std::size(kDataTypes)));
  s.data_id = static_cast<uint32_t>(pair.Below(100000));
  s.request_hi = pair.Next();
  s.request_lo = pair.Next();
  s.user_identifier_only = pair.Below(5) == 0;
  s.outcome = 0;
  if (s.ip == 0) s.ip = 1;  // BALP always carries the client's network address
  return s;
}

Spec DrawnInsertedSpec(const DataConfig& c, uint64_t j) {
  Spec s;
  Rng r(c.seed, kStreamInsert, j);
  const int64_t start = c.window_start_ms * 1000;
  const int64_t span = (c.window_end_ms - c.window_start_ms) * 1000;
  s.recorded_us = start + static_cast<int64_t>(r.Below(static_cast<uint64_t>(std::max<int64_t>(span, 1))));
  DrawShape(r, &s);
  DrawSolo(r, &s);
  return s;
}

Spec GeneratedSpec(const DataConfig& c, uint64_t i) { return Stamped(c, DrawnGeneratedSpec(c, i)); }
// An inserted event's lastUpdated is the moment of insertion (EventStore::Insert's now_ms, already
// the server's clock), set by the caller.
Spec InsertedSpec(const DataConfig& c, uint64_t j) { return Stamped(c, DrawnInsertedSpec(c, j)); }

// Record k of the scenario's "ehr-patient-search" steps: 2j is the server's record of step j,
// 2j+1 the client's, logged when the answer arrived.
Spec ScenarioSpec(const DataConfig& c, const std::vector<size_t>& steps, uint64_t k) {
  const ehr::CrossSystemEvent& step = c.scenario[steps[k / 2]];
  Spec s;
  s.step = &step;
  const bool client = k % 2 == 1;
  s.kind = client ? Kind::kClientSearch : Kind::kServerSearch;
  s.recorded_us = (step.time + c.clock_offset_ms + (client ? 1284 : 0)) * 1000;
  s.width_us = 1000;
  s.zulu = true;
  s.digits = 3;
  s.last_updated_ms = step.time + c.clock_offset_ms + (client ? 1951 : 212);
  s.ip = 1;
  s.outcome = 0;
  return s;
}

std::string Hex8(uint64_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08" PRIx64, static_cast<uint64_t>(v & 0xffffffffULL));
  return buf;
}

// --- JSON writing helpers -------------------------------------------------------------------

void Str(Writer& w, std::string_view s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }
void Key(Writer& w, const char* k) { w.Key(k); }
void KV(Writer& w, const char* k, std::string_view v) {
  w.Key(k);
  Str(w, v);
}

void CodingBody(Writer& w, const char* system, std::string_view code, std::string_view display) {
  w.StartObject();
  KV(w, "system", system);
  KV(w, "code", code);
  if (!display.empty()) KV(w, "display", display);
  w.EndObject();
}
void CodeableConcept(Writer& w, const char* system, std::string_view code, std::string_view display) {
  w.StartObject();
  Key(w, "coding");
  w.StartArray();
  CodingBody(w, system, code, display);
  w.EndArray();
  w.EndObject();
}
void Reference(Writer& w, std::string_view ref, std::string_view display = {}) {
  w.StartObject();
  KV(w, "reference", ref);
  if (!display.empty()) KV(w, "display", display);
  w.EndObject();
}
void DisplayOnly(Writer& w, std::string_view display) {
  w.StartObject();
  KV(w, "display", display);
  w.EndObject();
}

struct TypeCodes {
  const char* type_system;
  const char* type_code;
  const char* type_display;
  const char* sub_system;
  const char* sub_code;
  const char* sub_display;
  char action;
};

TypeCodes CodesOf(Kind k) {
  switch (k) {
    case Kind::kClientSearch:
    case Kind::kServerSearch:
      return {kEventType, "rest", "Restful Operation", kRestful, "search", "search", 'E'};
    case Kind::kClientRead:
    case Kind::kServerRead:
      return {kEventType, "rest", "Restful Operation", kRestful, "read", "read", 'R'};
    case Kind::kLogin:
      return {kDcm, "110114", "User Authentication", kDcm, "110122", "Login", 'E'};
    case Kind::kLogout:
      return {kDcm, "110114", "User Authentication", kDcm, "110123", "Logout", 'E'};
    case Kind::kCreate:
      return {kEventType, "rest", "Restful Operation", kRestful, "create", "create", 'C'};
    case Kind::kUpdate:
      return {kEventType, "rest", "Restful Operation", kRestful, "update", "update", 'U'};
    case Kind::kDelete:
      return {kEventType, "rest", "Restful Operation", kRestful, "delete", "delete", 'D'};
  }
  return {kDcm, "110114", "User Authentication", kDcm, "110122", "Login", 'E'};
}

const char* OutcomeR5Code(int outcome) {
  return outcome == 0 ? "success" : outcome == 4 ? "error" : "fatal";
}
const char* OutcomeR5Display(int outcome) {
  return outcome == 0 ? "Success" : outcome == 4 ? "Error" : "Fatal";
}
const char* OutcomeDesc(const Spec& s) {
  if (s.kind == Kind::kLogin) return s.outcome == 4 ? "Invalid username or password" : "Account locked";
  return s.outcome == 4 ? "Resource version conflict" : "Internal server error";
}

const char* ProfileOf(Kind k) {
  switch (k) {
    case Kind::kClientSearch:
    case Kind::kServerSearch:
      return "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientQuery";
    case Kind::kClientRead:
    case Kind::kServerRead:
      return "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientRead";
    case Kind::kCreate:
      return "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientCreate";
    case Kind::kUpdate:
      return "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientUpdate";
    case Kind::kDelete:
      return "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientDelete";
    default:
      return nullptr;
  }
}

// One agent, R4 or R5 shape.
struct AgentOut {
  const char* type_system;
  const char* type_code;
  const char* type_display;
  std::string who_ref;       // one of these three
  std::string who_display;
  std::string who_identifier;
  bool requestor = false;
  std::string address;       // empty: no network
  const char* network_type = "2";  // "2" IP, "5" URI, "1" machine name
};

void WriteAgent(Writer& w, const AgentOut& a, bool r5) {
  w.StartObject();
  Key(w, "type");
  CodeableConcept(w, a.type_system, a.type_code, a.type_display);
  Key(w, "who");
  if (!a.who_ref.empty()) {
    Reference(w, a.who_ref);
  } else if (!a.who_identifier.empty()) {
    w.StartObject();
    Key(w, "identifier");
    w.StartObject();
    KV(w, "system", "urn:oid:2.16.840.1.113883.3.72.5.30");
    KV(w, "value", a.who_identifier);
    w.EndObject();
    w.EndObject();
  } else {
    DisplayOnly(w, a.who_display);
  }
  Key(w, "requestor");
  w.Bool(a.requestor);
  if (!a.address.empty()) {
    if (r5) {
      KV(w, std::string_view(a.network_type) == "5" ? "networkUri" : "networkString", a.address);
    } else {
      Key(w, "network");
      w.StartObject();
      KV(w, "address", a.address);
      KV(w, "type", a.network_type);
      w.EndObject();
    }
  }
  w.EndObject();
}

struct EntityOut {
  std::string what_ref;
  std::string what_identifier;  // X-Request-Id
  const char* type_code = nullptr;  // audit-entity-type, or nullptr for the XrequestId entity
  const char* type_display = nullptr;
  const char* role_code = nullptr;
  const char* role_display = nullptr;
  std::string query_text;  // role 24: description + base64 query
};

void WriteEntity(Writer& w, const EntityOut& e, bool r5) {
  w.StartObject();
  if (!e.what_ref.empty()) {
    Key(w, "what");
    Reference(w, e.what_ref);
  } else if (!e.what_identifier.empty()) {
    Key(w, "what");
    w.StartObject();
    Key(w, "identifier");
    w.StartObject();
    if (r5) {
      // R5 dropped entity.type; the X-Request-Id kind moves to the identifier's type.
      Key(w, "type");
      CodeableConcept(w, kBalpEntity, "XrequestId", "");
    }
    KV(w, "value", e.what_identifier);
    w.EndObject();
    w.EndObject();
  }
  if (!r5) {
    Key(w, "type");
    if (e.type_code != nullptr) CodingBody(w, kEntityType, e.type_code, e.type_display);
    else CodingBody(w, kBalpEntity, "XrequestId", "");
  }
  if (e.role_code != nullptr) {
    Key(w, "role");
    if (r5) CodeableConcept(w, kObjectRole, e.role_code, e.role_display);
    else CodingBody(w, kObjectRole, e.role_code, e.role_display);
  }
  if (!e.query_text.empty()) {
    if (!r5) KV(w, "description", e.query_text);
    KV(w, "query", Base64Encode(AsBytes(e.query_text)));
  }
  w.EndObject();
}

std::vector<AgentOut> AgentsOf(const Spec& s) {
  std::vector<AgentOut> agents;
  const std::string user_id = "u" + std::to_string(s.user);
  auto user = [&]() {
    AgentOut a{kParticipation, "IRCP", "information recipient", "", "", "", true, "", "2"};
    if (s.user_identifier_only) a.who_identifier = user_id;
    else a.who_ref = UserRef(s);
    if (s.step != nullptr) {
      a.who_ref.clear();
      a.who_identifier.clear();
      a.who_display = s.step->actor;
    }
    return a;
  };
  const std::string address = s.ip == 0 ? std::string() : Address(s);
  if (IsBalp(s.kind)) {
    // The examples: a read flows server -> client (client is Destination 110152), a search
    // request flows client -> server (client is Source 110153).
    const bool read = !IsSearch(s.kind);
    AgentOut client{kDcm, read ? "110152" : "110153", read ? "Destination Role ID" : "Source Role ID",
                    "", Workstation(s), "", false, address, "2"};
    AgentOut server{kDcm, read ? "110153" : "110152", read ? "Source Role ID" : "Destination Role ID",
                    kServerDevice, "", "", false, kServerBase, "5"};
    agents.push_back(client);
    agents.push_back(server);
    agents.push_back(user());
    return agents;
  }
  if (s.kind == Kind::kLogin || s.kind == Kind::kLogout) {
    AgentOut a = user();
    a.type_system = "http://terminology.hl7.org/CodeSystem/extra-security-role-type";
    a.type_code = "humanuser";
    a.type_display = "human user";
    a.address = address;
    agents.push_back(a);
    agents.push_back(AgentOut{kDcm, "110150", "Application", "Device/sso-gateway", "", "", false, "", "2"});
    return agents;
  }
  AgentOut a = user();
  a.type_system = "http://terminology.hl7.org/CodeSystem/extra-security-role-type";
  a.type_code = "humanuser";
  a.type_display = "human user";
  a.address = address;
  agents.push_back(a);
  agents.push_back(AgentOut{kDcm, "110150", "Application", "Device/clinic-app", "", "", false, "", "2"});
  return agents;
}

std::vector<EntityOut> EntitiesOf(const Spec& s) {
  std::vector<EntityOut> out;
  const std::string request_id = RequestId(s);
  if (IsSearch(s.kind)) {
    out.push_back(EntityOut{"", "", "2", "System Object", "24", "Query", QueryText(s)});
  } else if (s.kind != Kind::kLogin && s.kind != Kind::kLogout) {
    out.push_back(EntityOut{DataRef(s), "", "2", "System Object", "4", "Domain Resource", ""});
  }
  if (s.kind != Kind::kLogin && s.kind != Kind::kLogout && s.step == nullptr) {
    out.push_back(EntityOut{PatientRef(s), "", "1", "Person", "1", "Patient", ""});
  }
  if (IsBalp(s.kind)) out.push_back(EntityOut{"", request_id, nullptr, nullptr, nullptr, nullptr, ""});
  return out;
}

std::string RenderSpec(const Spec& s, const std::string& id, bool r5) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  const TypeCodes codes = CodesOf(s.kind);
  w.StartObject();
  KV(w, "resourceType", "AuditEvent");
  KV(w, "id", id);
  Key(w, "meta");
  w.StartObject();
  KV(w, "versionId", "1");
  KV(w, "lastUpdated", FormatMsZ(s.last_updated_ms));
  if (const char* profile = s.step != nullptr ? "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.Query"
                                              : ProfileOf(s.kind)) {
    Key(w, "profile");
    w.StartArray();
    Str(w, profile);
    w.EndArray();
  }
  w.EndObject();
  const std::string recorded = FormatInstant(s.recorded_us, s.offset_min, s.zulu, s.digits);
  const bool has_period = s.kind == Kind::kCreate || s.kind == Kind::kUpdate || s.kind == Kind::kDelete;
  const std::string period_start =
      has_period ? FormatInstant(s.period_start_us, s.offset_min, s.zulu, s.digits) : std::string();
  const char action[2] = {codes.action, '\0'};
  if (r5) {
    Key(w, "category");
    w.StartArray();
    CodeableConcept(w, codes.type_system, codes.type_code, codes.type_display);
    w.EndArray();
    Key(w, "code");
    CodeableConcept(w, codes.sub_system, codes.sub_code, codes.sub_display);
    KV(w, "action", action);
    if (has_period) {
      Key(w, "occurredPeriod");
      w.StartObject();
      KV(w, "start", period_start);
      KV(w, "end", recorded);
      w.EndObject();
    }
    KV(w, "recorded", recorded);
    Key(w, "outcome");
    w.StartObject();
    Key(w, "code");
    CodingBody(w, s.outcome == 0 ? kOutcomeR5 : kIssueSeverity, OutcomeR5Code(s.outcome), OutcomeR5Display(s.outcome));
    if (s.outcome != 0) {
      Key(w, "detail");
      w.StartArray();
      w.StartObject();
      KV(w, "text", OutcomeDesc(s));
      w.EndObject();
      w.EndArray();
    }
    w.EndObject();
    if (s.kind != Kind::kLogin && s.kind != Kind::kLogout && s.step == nullptr) {
      Key(w, "patient");
      Reference(w, PatientRef(s));
    }
  } else {
    Key(w, "type");
    CodingBody(w, codes.type_system, codes.type_code, codes.type_display);
    Key(w, "subtype");
    w.StartArray();
    CodingBody(w, codes.sub_system, codes.sub_code, codes.sub_display);
    w.EndArray();
    KV(w, "action", action);
    if (has_period) {
      Key(w, "period");
      w.StartObject();
      KV(w, "start", period_start);
      KV(w, "end", recorded);
      w.EndObject();
    }
    KV(w, "recorded", recorded);
    KV(w, "outcome", std::to_string(s.outcome));
    if (s.outcome != 0) KV(w, "outcomeDesc", OutcomeDesc(s));
  }
  Key(w, "agent");
  w.StartArray();
  for (const AgentOut& a : AgentsOf(s)) WriteAgent(w, a, r5);
  w.EndArray();
  Key(w, "source");
  w.StartObject();
  if (IsClient(s.kind)) {
    Key(w, "observer");
    DisplayOnly(w, Workstation(s));
    Key(w, "type");
    w.StartArray();
    if (r5) CodeableConcept(w, kSourceType, "1", "User Device");
    else CodingBody(w, kSourceType, "1", "User Device");
    w.EndArray();
  } else {
    const bool sso = s.kind == Kind::kLogin || s.kind == Kind::kLogout;
    KV(w, "site", sso ? "sso.example.org" : "ehr.example.org");
    Key(w, "observer");
    if (sso) DisplayOnly(w, "sso.example.org");
    else Reference(w, kServerDevice);
    Key(w, "type");
    w.StartArray();
    if (r5) CodeableConcept(w, kSourceType, "4", "Application Server");
    else CodingBody(w, kSourceType, "4", "Application Server");
    w.EndArray();
  }
  w.EndObject();
  const std::vector<EntityOut> entities = EntitiesOf(s);
  if (!entities.empty()) {
    Key(w, "entity");
    w.StartArray();
    for (const EntityOut& e : entities) WriteEntity(w, e, r5);
    w.EndArray();
  }
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

SearchFacts FactsOfSpec(const Spec& s, bool r5) {
  SearchFacts f;
  const TypeCodes codes = CodesOf(s.kind);
  f.type.push_back({codes.type_system, codes.type_code});
  f.subtype.push_back({codes.sub_system, codes.sub_code});
  f.action = {kActionSystem, std::string(1, codes.action)};
  if (r5) f.outcome = {s.outcome == 0 ? kOutcomeR5 : kIssueSeverity, OutcomeR5Code(s.outcome)};
  else f.outcome = {kOutcomeR4, std::to_string(s.outcome)};
  for (const AgentOut& a : AgentsOf(s)) {
    if (!a.who_ref.empty()) f.agent.push_back(a.who_ref);
    if (!a.address.empty()) f.address.push_back(a.address);
  }
  for (const EntityOut& e : EntitiesOf(s)) {
    if (!e.what_ref.empty()) f.entity.push_back(e.what_ref);
  }
  if (s.kind != Kind::kLogin && s.kind != Kind::kLogout && s.step == nullptr) f.patient.push_back(PatientRef(s));
  if (!IsClient(s.kind)) {
    f.site = (s.kind == Kind::kLogin || s.kind == Kind::kLogout) ? "sso.example.org" : "ehr.example.org";
  }
  return f;
}

// --- fixtures ---------------------------------------------------------------------------------

std::string StrMember(const rapidjson::Value& v, const char* name) {
  if (!v.IsObject()) return {};
  auto it = v.FindMember(name);
  if (it == v.MemberEnd() || !it->value.IsString()) return {};
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

Coding CodingOf(const rapidjson::Value& v) { return {StrMember(v, "system"), StrMember(v, "code")}; }

std::string RefOf(const rapidjson::Value& obj, const char* member) {
  if (!obj.IsObject()) return {};
  auto it = obj.FindMember(member);
  if (it == obj.MemberEnd()) return {};
  return StrMember(it->value, "reference");
}

Result<Fixture> ReadFixture(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  if (!in) return Error(ErrorCode::kIo, "custody-sim fhir: cannot read " + path.string());
  Fixture f;
  f.file = path.string();
  f.raw = ss.str();
  size_t b = 0, e = f.raw.size();
  while (b < e && std::isspace(static_cast<unsigned char>(f.raw[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(f.raw[e - 1]))) --e;
  f.resource = f.raw.substr(b, e - b);
  rapidjson::Document d;
  d.Parse(f.resource.data(), f.resource.size());
  if (d.HasParseError() || !d.IsObject()) return Error(ErrorCode::kParse, "custody-sim fhir: " + f.file + ": not JSON");
  if (StrMember(d, "resourceType") != "AuditEvent") return f;  // skipped by the caller (id stays empty)
  f.id = StrMember(d, "id");
  std::string why;
  TimeRange rec;
  if (!ParseFhirTime(StrMember(d, "recorded"), &rec, &why)) {
    return Error(ErrorCode::kParse, "custody-sim fhir: " + f.file + ": recorded: " + why);
  }
  f.recorded_lo = rec.lo;
  f.recorded_hi = rec.hi;
  f.recorded = StrMember(d, "recorded");
  if (d.HasMember("meta")) {
    const std::string lu = StrMember(d["meta"], "lastUpdated");
    TimeRange r;
    if (!lu.empty() && ParseFhirTime(lu, &r, &why)) f.last_updated_ms = r.lo / 1000;
  }
  SearchFacts& facts = f.facts;
  if (d.HasMember("type")) facts.type.push_back(CodingOf(d["type"]));
  if (d.HasMember("subtype") && d["subtype"].IsArray()) {
    for (const auto& c : d["subtype"].GetArray()) facts.subtype.push_back(CodingOf(c));
  }
  facts.action = {kActionSystem, StrMember(d, "action")};
  facts.outcome = {kOutcomeR4, StrMember(d, "outcome")};
  if (d.HasMember("agent") && d["agent"].IsArray()) {
    for (const auto& a : d["agent"].GetArray()) {
      const std::string ref = RefOf(a, "who");
      if (!ref.empty()) {
        facts.agent.push_back(ref);
        if (ref.rfind("Patient/", 0) == 0) facts.patient.push_back(ref);
      }
      if (a.IsObject() && a.HasMember("network")) {
        const std::string address = StrMember(a["network"], "address");
        if (!address.empty()) facts.address.push_back(address);
      }
    }
  }
  if (d.HasMember("entity") && d["entity"].IsArray()) {
    for (const auto& ent : d["entity"].GetArray()) {
      const std::string ref = RefOf(ent, "what");
      if (!ref.empty()) {
        facts.entity.push_back(ref);
        if (ref.rfind("Patient/", 0) == 0) facts.patient.push_back(ref);
      }
    }
  }
  if (d.HasMember("source")) facts.site = StrMember(d["source"], "site");
  return f;
}

}  // namespace

Result<std::vector<Fixture>> LoadFixtures(const std::string& root) {
  std::vector<Fixture> out;
  if (root.empty()) return out;
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  std::error_code ec;
  const fs::path core = fs::path(root) / "fhir-r4-core-examples";
  const fs::path balp = fs::path(root) / "ihe-balp-1.1.x";
  if (!fs::is_directory(core, ec) || !fs::is_directory(balp, ec)) {
    return Error(ErrorCode::kNotFound, "custody-sim fhir: fixtures not found under " + root +
                                           " (expected fhir-r4-core-examples/ and ihe-balp-1.1.x/)");
  }
  for (const fs::path& dir : {core, balp}) {
    std::vector<fs::path> here;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      const std::string name = entry.path().filename().string();
      if (name.size() < 5 || name.substr(name.size() - 5) != ".json") continue;
      if (dir == core && name.rfind("AuditEvent-", 0) != 0) continue;
      here.push_back(entry.path());
    }
    std::sort(here.begin(), here.end());
    files.insert(files.end(), here.begin(), here.end());
  }
  for (const fs::path& p : files) {
    auto f = ReadFixture(p);
    if (!f) return f.error();
    if (f->id.empty()) continue;
    out.push_back(std::move(*f));
  }
  return out;
}

EventStore::EventStore(DataConfig config, std::vector<Fixture> fixtures)
    : config_(config), fixtures_(std::move(fixtures)) {
  events_.reserve(config_.events + fixtures_.size());
  for (uint64_t i = 0; i < config_.events; ++i) {
    const Spec s = GeneratedSpec(config_, i);
    events_.push_back(StoredEvent{s.recorded_us, s.recorded_us + s.width_us, s.last_updated_ms,
                                  static_cast<uint32_t>(i), StoredEvent::kGenerated});
  }
  // Fixtures are R4 resources; an R5 server does not hold them.
  if (!config_.r5) {
    for (size_t i = 0; i < fixtures_.size(); ++i) {
      const Fixture& f = fixtures_[i];
      events_.push_back(StoredEvent{f.recorded_lo, f.recorded_hi, f.last_updated_ms, static_cast<uint32_t>(i),
                                    StoredEvent::kFixture});
    }
  }
  for (size_t i = 0; i < config_.scenario.size(); ++i) {
    if (config_.scenario[i].kind == "ehr-patient-search") scenario_steps_.push_back(i);
  }
  for (uint64_t k = 0; k < 2 * scenario_steps_.size(); ++k) {
    const Spec s = ScenarioSpec(config_, scenario_steps_, k);
    events_.push_back(StoredEvent{s.recorded_us, s.recorded_us + s.width_us, s.last_updated_ms, static_cast<uint32_t>(k),
                                  StoredEvent::kScenario});
  }
  by_recorded_.resize(events_.size());
  for (size_t i = 0; i < events_.size(); ++i) by_recorded_[i] = static_cast<uint32_t>(i);
  std::stable_sort(by_recorded_.begin(), by_recorded_.end(), [this](uint32_t a, uint32_t b) {
    return events_[a].recorded_lo < events_[b].recorded_lo;
  });
}

void EventStore::Insert(uint64_t count, int64_t now_ms) {
  for (uint64_t k = 0; k < count; ++k) {
    const uint64_t j = inserted_++;
    Spec s = InsertedSpec(config_, j);
    inserted_last_updated_.push_back(now_ms);
    const uint32_t pos = static_cast<uint32_t>(events_.size());
    inserted_pos_.push_back(pos);
    events_.push_back(StoredEvent{s.recorded_us, s.recorded_us + s.width_us, now_ms, static_cast<uint32_t>(j),
                                  StoredEvent::kInserted});
    auto it = std::upper_bound(by_recorded_.begin(), by_recorded_.end(), pos, [this](uint32_t a, uint32_t b) {
      return events_[a].recorded_lo < events_[b].recorded_lo;
    });
    by_recorded_.insert(it, pos);
  }
  ++version_;
}

std::string EventStore::Id(size_t pos) const {
  const StoredEvent& e = events_[pos];
  switch (e.origin) {
    case StoredEvent::kFixture:
      return fixtures_[e.ref].id;
    case StoredEvent::kGenerated:
      return "g" + std::to_string(e.ref) + "-" + Hex8(Hash(config_.seed, kStreamId, e.ref));
    case StoredEvent::kInserted:
      return "n" + std::to_string(e.ref) + "-" + Hex8(Hash(config_.seed, kStreamId + 1, e.ref));
    case StoredEvent::kScenario:
      return "s" + std::to_string(e.ref) + "-" + Hex8(Hash(config_.seed, kStreamId + 2, e.ref));
  }
  return {};
}

std::optional<size_t> EventStore::Find(std::string_view id) const {
  if (id.size() > 2 && (id[0] == 'g' || id[0] == 'n')) {
    const size_t dash = id.find('-');
    uint64_t n = 0;
    bool ok = dash != std::string_view::npos && dash > 1 && dash < 12;
    for (size_t i = 1; ok && i < dash; ++i) {
      ok = id[i] >= '0' && id[i] <= '9';
      n = n * 10 + static_cast<uint64_t>(id[i] - '0');
    }
    if (ok) {
      if (id[0] == 'g' && n < config_.events) {
        if (Id(n) == id) return static_cast<size_t>(n);
      } else if (id[0] == 'n' && n < inserted_) {
        const size_t pos = inserted_pos_[n];
        if (Id(pos) == id) return pos;
      }
    }
  }
  for (size_t pos = config_.events; pos < events_.size(); ++pos) {
    const StoredEvent& e = events_[pos];
    if (e.origin == StoredEvent::kFixture && fixtures_[e.ref].id == id) return pos;
    if (e.origin == StoredEvent::kScenario && Id(pos) == id) return pos;
  }
  return std::nullopt;
}

std::string EventStore::Render(size_t pos) const {
  const StoredEvent& e = events_[pos];
  switch (e.origin) {
    case StoredEvent::kFixture:
      return fixtures_[e.ref].resource;
    case StoredEvent::kGenerated:
      return RenderSpec(GeneratedSpec(config_, e.ref), Id(pos), config_.r5);
    case StoredEvent::kInserted: {
      Spec s = InsertedSpec(config_, e.ref);
      s.last_updated_ms = inserted_last_updated_[e.ref];
      return RenderSpec(s, Id(pos), config_.r5);
    }
    case StoredEvent::kScenario:
      return RenderSpec(ScenarioSpec(config_, scenario_steps_, e.ref), Id(pos), config_.r5);
  }
  return {};
}

std::vector<ScenarioRecord> EventStore::ScenarioRecords() const {
  std::vector<ScenarioRecord> out;
  for (size_t pos = 0; pos < events_.size(); ++pos) {
    const StoredEvent& e = events_[pos];
    if (e.origin != StoredEvent::kScenario) continue;
    const ehr::CrossSystemEvent& step = config_.scenario[scenario_steps_[e.ref / 2]];
    out.push_back({Id(pos), step.label + (e.ref % 2 == 0 ? " (the FHIR server's AuditEvent)" : " (the FHIR client's AuditEvent)"),
                   e.recorded_lo / 1000});
  }
  return out;
}

std::string EventStore::RawText(size_t pos) const {
  const StoredEvent& e = events_[pos];
  return e.origin == StoredEvent::kFixture ? fixtures_[e.ref].raw : Render(pos);
}

std::string EventStore::Recorded(size_t pos) const {
  const StoredEvent& e = events_[pos];
  Spec s;
  switch (e.origin) {
    case StoredEvent::kFixture:
      return fixtures_[e.ref].recorded;
    case StoredEvent::kGenerated:
      s = GeneratedSpec(config_, e.ref);
      break;
    case StoredEvent::kInserted:
      s = InsertedSpec(config_, e.ref);
      break;
    case StoredEvent::kScenario:
      s = ScenarioSpec(config_, scenario_steps_, e.ref);
      break;
  }
  return FormatInstant(s.recorded_us, s.offset_min, s.zulu, s.digits);
}

SearchFacts EventStore::Facts(size_t pos) const {
  const StoredEvent& e = events_[pos];
  switch (e.origin) {
    case StoredEvent::kFixture:
      return fixtures_[e.ref].facts;
    case StoredEvent::kGenerated:
      return FactsOfSpec(GeneratedSpec(config_, e.ref), config_.r5);
    case StoredEvent::kInserted:
      return FactsOfSpec(InsertedSpec(config_, e.ref), config_.r5);
    case StoredEvent::kScenario:
      return FactsOfSpec(ScenarioSpec(config_, scenario_steps_, e.ref), config_.r5);
  }
  return {};
}

}  // namespace custody::sim::fhir
