#include "normalize/ehr_map.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <string>
#include <vector>

#include "core/encoding.h"
#include "normalize/ehr_time.h"

namespace custody::normalize {

namespace {

using Value = rapidjson::Value;

// Numbers are kept as their text: ids and epoch milliseconds must not pass through a double.
constexpr unsigned kParseFlags = rapidjson::kParseNumbersAsStringsFlag;
static_assert(kParseFlags == kMirthParseFlags, "the Value mappers expect what ParseObject makes");

// Parses one JSON object; why says what is wrong when it is not one.
bool ParseObject(std::string_view text, rapidjson::Document& doc, std::string& why) {
  doc.Parse<kParseFlags>(text.data(), text.size());
  if (doc.HasParseError()) {
    why = "not JSON (byte offset " + std::to_string(doc.GetErrorOffset()) + ": " +
          rapidjson::GetParseError_En(doc.GetParseError()) + ")";
    return false;
  }
  if (!doc.IsObject()) {
    why = "not a JSON object";
    return false;
  }
  return true;
}

const Value* Member(const Value* v, const char* name) {
  if (v == nullptr || !v->IsObject()) return nullptr;
  const auto it = v->FindMember(name);
  if (it == v->MemberEnd() || it->value.IsNull()) return nullptr;
  return &it->value;
}

// Strings, numbers (as their text) and booleans; nullopt for null, objects and arrays.
std::optional<std::string> Text(const Value* v) {
  if (v == nullptr) return std::nullopt;
  if (v->IsString()) return std::string(v->GetString(), v->GetStringLength());
  if (v->IsBool()) return std::string(v->GetBool() ? "true" : "false");
  return std::nullopt;
}

std::optional<std::string> TextAt(const Value* v, const char* a) { return Text(Member(v, a)); }
std::optional<std::string> TextAt(const Value* v, const char* a, const char* b) { return Text(Member(Member(v, a), b)); }

// An array's elements, or a lone value as a one-element list (Mirth's XML-to-JSON collapsing).
std::vector<const Value*> Items(const Value* v) {
  std::vector<const Value*> out;
  if (v == nullptr) return out;
  if (v->IsArray()) {
    for (const Value& e : v->GetArray()) out.push_back(&e);
  } else {
    out.push_back(v);
  }
  return out;
}

const Value* First(const Value* v) {
  const auto items = Items(v);
  return items.empty() ? nullptr : items[0];
}

std::string Lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

void AddPart(std::string& message, const std::string& part) {
  if (part.empty()) return;
  if (!message.empty()) message += "; ";
  message += part;
}

void SetTime(Record& r, const ParsedTime& t) {
  r.time_status = t.status;
  r.timestamp_ms = t.status == TimeStatus::kOk ? t.utc_ms : std::nullopt;
  if (t.status != TimeStatus::kMissing && t.status != TimeStatus::kUnparseable) {
    r.timestamp_precision = t.fraction_digits;
  }
}

// ---------------------------------------------------------------------------------------------
// FHIR AuditEvent

constexpr const char* kBalpEntityType = "https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType";
constexpr const char* kRestfulInteraction = "http://hl7.org/fhir/restful-interaction";

// The code of a Coding, or of the first coding of a CodeableConcept.
std::optional<std::string> CodeOf(const Value* v) {
  if (v == nullptr) return std::nullopt;
  if (auto c = TextAt(v, "code")) return c;
  if (const Value* coding = First(Member(v, "coding"))) return TextAt(coding, "code");
  return std::nullopt;
}

// A Coding or CodeableConcept with this system and code (any coding of a concept).
bool HasCoding(const Value* v, std::string_view system, std::string_view code) {
  if (v == nullptr) return false;
  if (TextAt(v, "system") == std::optional<std::string>(system) && TextAt(v, "code") == std::optional<std::string>(code)) {
    return true;
  }
  for (const Value* c : Items(Member(v, "coding"))) {
    if (TextAt(c, "system") == std::optional<std::string>(system) && TextAt(c, "code") == std::optional<std::string>(code)) {
      return true;
    }
  }
  return false;
}

struct Reference {
  std::optional<std::string> object;     // "Patient"
  std::optional<std::string> record_id;  // "example" (history dropped), or "#o1" for a contained one
};

// "Patient/123", "Patient/123/_history/2", "https://host/fhir/Patient/123", "#contained".
Reference SplitReference(const std::string& ref) {
  Reference out;
  if (ref.empty()) return out;
  if (ref[0] == '#') {
    out.record_id = ref;
    return out;
  }
  std::vector<std::string> parts;
  size_t start = 0;
  std::string_view s = ref;
  const size_t q = s.find_first_of("?#");
  if (q != std::string_view::npos) s = s.substr(0, q);
  while (start <= s.size()) {
    size_t end = s.find('/', start);
    if (end == std::string_view::npos) end = s.size();
    parts.emplace_back(s.substr(start, end - start));
    start = end + 1;
  }
  if (parts.size() >= 4 && parts[parts.size() - 2] == "_history") parts.resize(parts.size() - 2);
  if (parts.size() >= 2) {
    out.object = parts[parts.size() - 2];
    out.record_id = parts.back();
  } else {
    out.record_id = ref;
  }
  return out;
}

bool IsPatientReference(const std::string& ref) {
  return ref.rfind("Patient/", 0) == 0 || ref.find("/Patient/") != std::string::npos;
}

// The Patient reference without a version ("Patient/1/_history/2" → "Patient/1").
std::string PatientReference(const std::string& ref) {
  const size_t h = ref.find("/_history/");
  return h == std::string::npos ? ref : ref.substr(0, h);
}

std::string FirstLine(const std::string& s) {
  const size_t nl = s.find_first_of("\r\n");
  return nl == std::string::npos ? s : s.substr(0, nl);
}

std::string VerbOf(const std::string& code) {
  if (code == "C") return "create";
  if (code == "R") return "read";
  if (code == "U") return "update";
  if (code == "D") return "delete";
  if (code == "E") return "execute";
  return code.empty() ? "unknown" : "action-" + code;
}

// R4 "0"/"4"/"8"/"12"; R5 outcome.code with the same codes (some servers write words).
std::string OutcomeOf(const std::string& code) {
  if (code == "0" || Lower(code) == "success") return "success";
  if (code == "4" || code == "8" || code == "12" || Lower(code) == "failure") return "failure";
  return "unknown";
}

bool AgentIs(const Value* agent, const std::string& identity) {
  if (identity.empty()) return false;
  const Value* who = Member(agent, "who");
  for (const auto& v : {TextAt(who, "identifier", "value"), TextAt(who, "display"), TextAt(agent, "altId"),
                        TextAt(agent, "name")}) {
    if (v && *v == identity) return true;
  }
  if (auto ref = TextAt(who, "reference")) {
    if (*ref == identity) return true;
    if (ref->size() > identity.size() && ref->compare(ref->size() - identity.size(), identity.size(), identity) == 0 &&
        (*ref)[ref->size() - identity.size() - 1] == '/') {
      return true;
    }
  }
  return false;
}

std::optional<std::string> NetworkOf(const Value* agent) {
  if (auto a = TextAt(agent, "network", "address")) return a;  // R4
  if (auto a = TextAt(agent, "networkString")) return a;       // R5
  if (auto a = TextAt(agent, "networkAddress")) return a;
  return std::nullopt;
}

Record MapAuditEventValue(const EhrContext& ctx, const Value& ae) {
  Record r;
  r.source = ctx.source;
  r.stream = ctx.stream;
  r.timestamp_field = "recorded";
  r.event_id = TextAt(&ae, "id");
  std::vector<std::string> notes;

  // Time: recorded (instant, 1..1 in R4 and R5). occurred[x]/period is the activity window and
  // goes to the message, never to @timestamp.
  if (auto recorded = TextAt(&ae, "recorded")) {
    r.timestamp_original = *recorded;
    const ParsedTime t = ParseIsoInstant(*recorded);
    SetTime(r, t);
    if (t.status != TimeStatus::kOk) notes.push_back("recorded: " + t.detail);
  }
  if (auto occurred = TextAt(&ae, "occurredDateTime")) notes.push_back("occurred " + *occurred);
  for (const char* name : {"occurredPeriod", "period"}) {
    if (const Value* p = Member(&ae, name)) {
      notes.push_back(std::string("occurred ") + TextAt(p, "start").value_or("?") + " to " + TextAt(p, "end").value_or("?"));
    }
  }

  // Type: R4 type (Coding) + subtype (Coding*); R5 category (CodeableConcept*) + code
  // (CodeableConcept). The post-R5 CI build has type/subtype again, so look at both.
  std::optional<std::string> type_code;
  const Value* subtype = nullptr;
  if (const Value* type = Member(&ae, "type"); type != nullptr && type->IsObject()) type_code = CodeOf(type);
  if (!type_code) type_code = CodeOf(First(Member(&ae, "category")));
  subtype = First(Member(&ae, "subtype"));
  if (subtype == nullptr) subtype = Member(&ae, "code");
  std::optional<std::string> sub_code = CodeOf(subtype);
  r.event_type = "AuditEvent:" + type_code.value_or("") + (sub_code ? "/" + *sub_code : "");
  if (r.event_type == "AuditEvent:") r.event_type = "AuditEvent";

  // Outcome: R4 a code string, R5 {code: Coding, detail: [CodeableConcept]}.
  std::optional<std::string> outcome_code;
  std::optional<std::string> outcome_text = TextAt(&ae, "outcomeDesc");
  if (const Value* o = Member(&ae, "outcome")) {
    if (o->IsString()) {
      outcome_code = Text(o);
    } else if (o->IsObject()) {
      outcome_code = CodeOf(Member(o, "code"));
      if (!outcome_text) {
        const Value* detail = First(Member(o, "detail"));
        outcome_text = TextAt(detail, "text");
        if (!outcome_text) outcome_text = TextAt(First(Member(detail, "coding")), "display");
      }
    }
  }
  if (outcome_code) r.outcome = OutcomeOf(*outcome_code);

  // Action: the verb of `action`, refined by a RESTful interaction or a DICOM login/logout.
  const std::string action_code = TextAt(&ae, "action").value_or("");
  std::string action = VerbOf(action_code);
  const bool restful = subtype != nullptr && (HasCoding(subtype, kRestfulInteraction, sub_code.value_or("")));
  if (sub_code == "110122") {
    action = r.outcome == "failure" ? "login-failed" : "login";
  } else if (sub_code == "110123") {
    action = "logout";
  } else if (restful && sub_code && *sub_code != action) {
    action += ":" + *sub_code;
  }
  r.action = action;

  // Agents: the requestor is the actor (when none says so, the first agent).
  const std::vector<const Value*> agents = Items(Member(&ae, "agent"));
  const Value* actor = nullptr;
  for (const Value* a : agents) {
    if (const Value* req = Member(a, "requestor"); req != nullptr && req->IsBool() && req->GetBool()) {
      actor = a;
      break;
    }
  }
  if (actor == nullptr && !agents.empty()) {
    actor = agents[0];
    notes.push_back("no requestor agent; actor is the first agent");
  }
  if (actor != nullptr) {
    const Value* who = Member(actor, "who");
    r.actor_user_id = TextAt(who, "identifier", "value");
    if (!r.actor_user_id) r.actor_user_id = TextAt(who, "reference");
    if (!r.actor_user_id) r.actor_user_id = TextAt(actor, "altId");
    r.actor_username = TextAt(who, "display");
    if (!r.actor_username) r.actor_username = TextAt(actor, "name");
    r.client_ip = NetworkOf(actor);
  }
  // The requestor (a user) often has no address of its own. BALP puts the client's on the Source
  // Role agent (DCM 110153); R4 examples on an agent whose network.type is 2 (IP address). The
  // Destination Role agent (DCM 110152) is the server side: never the client's address.
  constexpr const char* kDcm = "http://dicom.nema.org/resources/ontology/DCM";
  if (!r.client_ip) {
    for (const Value* a : agents) {
      const auto net_type = TextAt(a, "network", "type");
      if (HasCoding(Member(a, "type"), kDcm, "110153") && (!net_type || *net_type == "2") && NetworkOf(a)) {
        r.client_ip = NetworkOf(a);
        break;
      }
    }
  }
  if (!r.client_ip) {
    for (const Value* a : agents) {
      if (!HasCoding(Member(a, "type"), kDcm, "110152") && TextAt(a, "network", "type") == std::optional<std::string>("2")) {
        r.client_ip = NetworkOf(a);
        break;
      }
    }
  }
  for (const Value* a : agents) {
    if (AgentIs(a, ctx.collector_identity)) r.collector_activity = true;
  }

  // Entities: X-Request-Id, the patient, the target and a query.
  std::optional<std::string> query_line;
  const Value* target = nullptr;
  const Value* patient_entity = nullptr;
  for (const Value* e : Items(Member(&ae, "entity"))) {
    const Value* what = Member(e, "what");
    // R4 types the entity; R5 dropped entity.type, so BALP's kind moves to what.identifier.type.
    if (HasCoding(Member(e, "type"), kBalpEntityType, "XrequestId") ||
        HasCoding(Member(e, "role"), kBalpEntityType, "XrequestId") ||
        HasCoding(Member(Member(what, "identifier"), "type"), kBalpEntityType, "XrequestId")) {
      if (!r.x_request_id) r.x_request_id = TextAt(what, "identifier", "value");
      continue;
    }
    if (!query_line) {
      if (auto q = TextAt(e, "query")) {
        if (auto bytes = Base64Decode(*q)) {
          query_line = FirstLine(std::string(bytes->begin(), bytes->end()));
        }
      }
    }
    const auto ref = TextAt(what, "reference");
    if (!ref) continue;
    const bool patient = IsPatientReference(*ref);
    if (patient && patient_entity == nullptr) patient_entity = e;
    // The patient is its own column; the target is what was acted on, the patient only when
    // nothing else was named.
    const bool patient_role = HasCoding(Member(e, "role"), "http://terminology.hl7.org/CodeSystem/object-role", "1") ||
                              CodeOf(Member(e, "role")) == std::optional<std::string>("1");
    if (target == nullptr && !patient_role) target = e;
  }
  if (target == nullptr) target = patient_entity;
  if (target != nullptr) {
    const std::string ref = *TextAt(Member(target, "what"), "reference");
    Reference parts = SplitReference(ref);
    if (!parts.object && ref[0] == '#') parts.object = CodeOf(Member(target, "type"));
    r.target_object = parts.object;
    r.target_record_id = parts.record_id;
  }
  // R5 names the patient directly; otherwise a Patient entity, or a Patient agent.
  if (auto p = TextAt(&ae, "patient", "reference")) {
    r.patient_id = PatientReference(*p);
  } else if (patient_entity != nullptr) {
    r.patient_id = PatientReference(*TextAt(Member(patient_entity, "what"), "reference"));
  } else {
    for (const Value* a : agents) {
      if (auto ref = TextAt(a, "who", "reference"); ref && IsPatientReference(*ref)) {
        r.patient_id = PatientReference(*ref);
        break;
      }
    }
  }

  // One human line.
  std::string message = r.action;
  if (r.target_object || r.target_record_id) {
    message += " " + (r.target_object ? *r.target_object + "/" : std::string()) + r.target_record_id.value_or("");
  }
  const auto who = r.actor_username ? r.actor_username : r.actor_user_id;
  if (who) message += " by " + *who;
  if (r.client_ip) message += " from " + *r.client_ip;
  if (outcome_code) {
    std::string part = "outcome " + *outcome_code;
    if (outcome_text) part += " (" + *outcome_text + ")";
    AddPart(message, part);
  }
  if (query_line) AddPart(message, "query: " + *query_line);
  if (r.x_request_id) AddPart(message, "X-Request-Id " + *r.x_request_id);
  if (auto rt = TextAt(&ae, "resourceType"); rt && *rt != "AuditEvent") AddPart(message, "resourceType " + *rt);
  for (const auto& n : notes) AddPart(message, n);
  r.message = message;
  return r;
}

// A record for text that is not an event at all: kept in the timeline with the reason.
Record Unreadable(const EhrContext& ctx, const char* event_type, const char* time_field, const std::string& why) {
  Record r;
  r.source = ctx.source;
  r.stream = ctx.stream;
  r.event_type = event_type;
  r.action = "unparseable";
  r.timestamp_field = time_field;
  r.message = why;
  return r;
}

// ---------------------------------------------------------------------------------------------
// Mirth

// Attribute values often end in "\n" (Mirth appends it when it serializes request parameters).
std::string TrimValue(std::string v) {
  while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.pop_back();
  return v;
}

struct Attribute {
  std::string key;
  std::optional<std::string> value;
};

// {"@class":"linked-hash-map","entry": one | [..]} where an entry is {"string":[key, value]}
// ({"string":[key, null]} for a null), or {"string":key, "<type>":value} when the value is not a
// String, or {"string":key,"null":..} for an XStream <null/>.
std::vector<Attribute> MirthMap(const Value* map) {
  std::vector<Attribute> out;
  for (const Value* entry : Items(Member(map, "entry"))) {
    if (entry == nullptr || !entry->IsObject()) continue;
    const auto s = entry->FindMember("string");
    if (s == entry->MemberEnd()) continue;
    if (s->value.IsArray()) {
      const auto& pair = s->value.GetArray();
      if (pair.Size() == 0) continue;
      Attribute a{Text(&pair[0]).value_or(""), std::nullopt};
      if (pair.Size() > 1) a.value = Text(&pair[1]);
      if (a.value) a.value = TrimValue(*a.value);
      out.push_back(std::move(a));
      continue;
    }
    Attribute a{Text(&s->value).value_or(""), std::nullopt};
    for (auto it = entry->MemberBegin(); it != entry->MemberEnd(); ++it) {
      if (std::string_view(it->name.GetString()) == "string" || std::string_view(it->name.GetString()) == "null") continue;
      a.value = Text(&it->value);
      if (a.value) a.value = TrimValue(*a.value);
      break;
    }
    out.push_back(std::move(a));
  }
  return out;
}

std::optional<std::string> Find(const std::vector<Attribute>& attrs, std::string_view key) {
  for (const auto& a : attrs) {
    if (a.key == key) return a.value;
  }
  return std::nullopt;
}

// "Channel[id=<uuid>,name=<name>]" (the channel attribute of a server event).
void ParseChannel(const std::string& s, std::optional<std::string>& id, std::optional<std::string>& name) {
  const size_t i = s.find("id=");
  const size_t n = s.find(",name=");
  if (s.rfind("Channel[", 0) != 0 || i == std::string::npos || n == std::string::npos || n < i) return;
  id = s.substr(i + 3, n - i - 3);
  std::string rest = s.substr(n + 6);
  if (!rest.empty() && rest.back() == ']') rest.pop_back();
  name = rest;
}

// A Calendar {time, timezone}: the epoch is the time; the zone is kept in the original text.
void SetCalendar(Record& r, const Value* cal, const char* field, std::vector<std::string>& notes) {
  r.timestamp_field = field;
  if (cal == nullptr) return;  // missing
  const auto time = TextAt(cal, "time");
  const auto zone = TextAt(cal, "timezone");
  r.timestamp_original = time.value_or("") + (zone ? " " + *zone : std::string());
  if (!time) {
    r.time_status = TimeStatus::kUnparseable;
    notes.push_back(std::string(field) + " has no time");
    return;
  }
  const ParsedTime epoch = ParseEpoch(*time, EpochUnit::kMilliseconds);
  if (epoch.status != TimeStatus::kOk) {
    SetTime(r, epoch);
    notes.push_back(std::string(field) + ": " + epoch.detail);
    return;
  }
  SetTime(r, ParseMirthCalendar(*epoch.utc_ms, zone.value_or("")));
}

// A lone {"event": {...}} / {"message": {...}} wrapper (a single item as the API returns it).
const Value* Unwrap(const Value& v, const char* name) {
  if (v.IsObject() && v.MemberCount() == 1) {
    if (const Value* inner = Member(&v, name); inner != nullptr && inner->IsObject()) return inner;
  }
  return &v;
}

std::string Slug(const std::string& name) {
  std::string out;
  for (char c : Lower(name)) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (keep) {
      out.push_back(c);
    } else if (!out.empty() && out.back() != '-') {
      out.push_back('-');
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "unknown" : out;
}

}  // namespace

std::optional<Record> MapFhirBundleEntry(const EhrContext& ctx, std::string_view entry_json, std::string* skipped) {
  auto skip = [&](std::string why) -> std::optional<Record> {
    if (skipped != nullptr) *skipped = std::move(why);
    return std::nullopt;
  };
  rapidjson::Document doc;
  std::string why;
  if (!ParseObject(entry_json, doc, why)) return skip("bundle entry " + why);
  return MapFhirBundleEntryValue(ctx, doc, skipped);
}

std::optional<Record> MapFhirBundleEntryValue(const EhrContext& ctx, const rapidjson::Value& entry,
                                              std::string* skipped) {
  auto skip = [&](std::string why) -> std::optional<Record> {
    if (skipped != nullptr) *skipped = std::move(why);
    return std::nullopt;
  };
  if (!entry.IsObject()) return skip("bundle entry is not a JSON object");
  const Value* resource = Member(&entry, "resource");
  const auto mode = TextAt(&entry, "search", "mode");
  const auto type = TextAt(resource, "resourceType");
  if (resource == nullptr) return skip("bundle entry without a resource");
  if (type == std::optional<std::string>("AuditEvent") && mode != std::optional<std::string>("outcome")) {
    return MapAuditEventValue(ctx, *resource);
  }
  std::string what = type.value_or("resource without resourceType");
  if (mode) what += " (search.mode " + *mode + ")";
  // The issues of an OperationOutcome say why a search returned what it did.
  for (const Value* issue : Items(Member(resource, "issue"))) {
    std::string line = TextAt(issue, "severity").value_or("?");
    if (auto code = TextAt(issue, "code")) line += " " + *code;
    auto text = TextAt(issue, "diagnostics");
    if (!text) text = TextAt(issue, "details", "text");
    if (text) line += ": " + *text;
    what += "; " + line;
  }
  return skip(what);
}

Record MapFhirAuditEvent(const EhrContext& ctx, std::string_view resource_json) {
  rapidjson::Document doc;
  std::string why;
  if (!ParseObject(resource_json, doc, why)) return Unreadable(ctx, "AuditEvent", "recorded", "AuditEvent " + why);
  return MapAuditEventValue(ctx, doc);
}

Record MapMirthServerEvent(const EhrContext& ctx, std::string_view event_json) {
  rapidjson::Document doc;
  std::string why;
  if (!ParseObject(event_json, doc, why)) return Unreadable(ctx, "ServerEvent", "eventTime", "server event " + why);
  return MapMirthServerEventValue(ctx, doc);
}

Record MapMirthServerEventValue(const EhrContext& ctx, const rapidjson::Value& doc) {
  if (!doc.IsObject()) return Unreadable(ctx, "ServerEvent", "eventTime", "server event not a JSON object");
  const Value* ev = Unwrap(doc, "event");
  Record r;
  r.source = ctx.source;
  r.stream = ctx.stream;
  std::vector<std::string> notes;
  // eventTime is the event (DATE_CREATED); dateTime/nanoTime are when the response was built.
  SetCalendar(r, Member(ev, "eventTime"), "eventTime", notes);
  r.event_id = TextAt(ev, "id");

  const std::string name = TextAt(ev, "name").value_or("");
  const auto outcome = TextAt(ev, "outcome");
  if (outcome) r.outcome = *outcome == "SUCCESS" ? "success" : *outcome == "FAILURE" ? "failure" : "unknown";
  r.event_type = name.empty() ? "ServerEvent" : "ServerEvent:" + name;
  if (name == "Login") {
    r.action = r.outcome == "failure" ? "login-failed" : "login";
  } else if (name == "Logout") {
    r.action = "logout";
  } else {
    r.action = Slug(name);
  }

  const std::vector<Attribute> attrs = MirthMap(Member(ev, "attributes"));
  r.actor_user_id = TextAt(ev, "userId");
  r.actor_username = Find(attrs, "username");
  r.client_ip = TextAt(ev, "ipAddress");

  // Channel, message and patient: 4.2+ fields, else the attributes they are derived from.
  std::optional<std::string> channel_id = TextAt(ev, "channelId");
  std::optional<std::string> channel_name = TextAt(ev, "channelName");
  if (auto ch = Find(attrs, "channel"); ch && (!channel_id || !channel_name)) {
    std::optional<std::string> id, nm;
    ParseChannel(*ch, id, nm);
    if (!channel_id) channel_id = id;
    if (!channel_name) channel_name = nm;
  }
  if (!channel_id) channel_id = Find(attrs, "channelId");
  std::optional<std::string> message_id = TextAt(ev, "messageId");
  if (!message_id) message_id = Find(attrs, "messageId");
  r.patient_id = TextAt(ev, "patientId");
  if (!r.patient_id) r.patient_id = Find(attrs, "patientId");
  if (message_id) {
    r.target_object = "Message";
    r.target_record_id = channel_id ? *channel_id + "-" + *message_id : *message_id;
  } else if (channel_id) {
    r.target_object = "Channel";
    r.target_record_id = channel_id;
  }

  const std::string& me = ctx.collector_identity;
  if (!me.empty() && (r.actor_username == me)) r.collector_activity = true;
  if (!ctx.collector_user_id.empty() && r.actor_user_id == ctx.collector_user_id) r.collector_activity = true;

  std::string message = name.empty() ? "server event" : name;
  const auto level = TextAt(ev, "level");
  if (level || outcome) message += " (" + level.value_or("?") + ", " + outcome.value_or("?") + ")";
  if (r.actor_username) {
    message += " by " + *r.actor_username;
  } else if (r.actor_user_id) {
    message += *r.actor_user_id == "0" ? " by system" : " by user " + *r.actor_user_id;
  }
  if (r.client_ip) message += " from " + *r.client_ip;
  if (channel_name) AddPart(message, "channel " + *channel_name);
  if (auto server = TextAt(ev, "serverId")) AddPart(message, "server " + *server);
  for (const auto& n : notes) AddPart(message, n);
  r.message = message;
  return r;
}

Record MapMirthMessage(const EhrContext& ctx, std::string_view message_json) {
  rapidjson::Document doc;
  std::string why;
  if (!ParseObject(message_json, doc, why)) return Unreadable(ctx, "Message", "receivedDate", "message " + why);
  return MapMirthMessageValue(ctx, doc);
}

Record MapMirthMessageValue(const EhrContext& ctx, const rapidjson::Value& doc) {
  if (!doc.IsObject()) return Unreadable(ctx, "Message", "receivedDate", "message not a JSON object");
  const Value* m = Unwrap(doc, "message");
  Record r;
  r.source = ctx.source;
  r.stream = ctx.stream;
  r.event_type = "Message";
  r.action = "message-received";
  std::vector<std::string> notes;
  SetCalendar(r, Member(m, "receivedDate"), "receivedDate", notes);

  const auto channel_id = TextAt(m, "channelId");
  const auto message_id = TextAt(m, "messageId");
  if (message_id) r.event_id = channel_id ? *channel_id + "-" + *message_id : *message_id;
  r.target_object = "Message";
  r.target_record_id = r.event_id;
  r.patient_id = TextAt(m, "patientId");

  // Connector messages: {"@class":"linked-hash-map","entry": one | [{"int": metaDataId,
  // "connectorMessage": {...}}]}. Metadata only; content blocks are never read here.
  std::optional<std::string> channel_name;
  std::vector<std::string> statuses;
  bool any_error = false;
  bool all_done = true;
  for (const Value* entry : Items(Member(Member(m, "connectorMessages"), "entry"))) {
    const Value* cm = Member(entry, "connectorMessage");
    if (cm == nullptr) continue;
    const auto meta = TextAt(cm, "metaDataId");
    const auto status = TextAt(cm, "status").value_or("?");
    if (!channel_name || meta == std::optional<std::string>("0")) {
      if (auto n = TextAt(cm, "channelName")) channel_name = n;
    }
    if (!r.patient_id) {
      for (const auto& a : MirthMap(Member(cm, "metaDataMap"))) {
        if (Lower(a.key) == "patientid" && a.value && !a.value->empty()) r.patient_id = a.value;
      }
    }
    std::string line = meta.value_or("?") + " " + status;
    if (auto ec = TextAt(cm, "errorCode"); ec && *ec != "0") line += " error " + *ec;
    statuses.push_back(line);
    if (status == "ERROR") any_error = true;
    if (status != "SENT" && status != "FILTERED" && status != "TRANSFORMED") all_done = false;
  }
  const auto processed = TextAt(m, "processed");
  if (any_error) {
    r.outcome = "failure";
  } else if (!statuses.empty() && all_done && processed == std::optional<std::string>("true")) {
    r.outcome = "success";
  } else {
    r.outcome = "unknown";
  }

  std::string message = "message " + message_id.value_or("?");
  if (channel_name) message += " on channel " + *channel_name;
  if (processed) AddPart(message, "processed " + *processed);
  if (!statuses.empty()) {
    std::string list;
    for (const auto& s : statuses) list += (list.empty() ? "" : ", ") + s;
    AddPart(message, "connectors: " + list);
  }
  if (auto o = TextAt(m, "originalId")) AddPart(message, "original " + *o);
  if (auto i = TextAt(m, "importId")) AddPart(message, "import " + *i);
  if (auto server = TextAt(m, "serverId")) AddPart(message, "server " + *server);
  for (const auto& n : notes) AddPart(message, n);
  r.message = message;
  return r;
}

}  // namespace custody::normalize
