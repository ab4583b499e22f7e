#include "normalize/salesforce_map.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cctype>
#include <initializer_list>

#include "normalize/sf_time.h"

namespace custody::normalize {

namespace {

// ---------------------------------------------------------------------------------------------
// Field access

// A field's value when present and not empty. ELF and Bulk CSV write an absent value as "", REST
// as null; both mean "not given", so they map to a null member rather than an empty string.
std::optional<std::string> Value(const FieldGetter& get, std::string_view name) {
  auto v = get(name);
  if (!v || v->empty()) return std::nullopt;
  return v;
}

std::optional<std::string> First(const FieldGetter& get, std::initializer_list<std::string_view> names) {
  for (std::string_view name : names) {
    if (auto v = Value(get, name)) return v;
  }
  return std::nullopt;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// "ApexExecution" -> "apex-execution", "URIEvent" -> "uri-event": the action of an event type
// we have no specific verb for, still readable and stable.
std::string Kebab(std::string_view s) {
  std::string out;
  auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  auto lower = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '_' || c == ' ') {
      if (!out.empty() && out.back() != '-') out.push_back('-');
      continue;
    }
    if (upper(c) && i > 0 && !out.empty() && out.back() != '-' &&
        (lower(s[i - 1]) || (i + 1 < s.size() && upper(s[i - 1]) && lower(s[i + 1])))) {
      out.push_back('-');
    }
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? std::string("event") : out;
}

// One line: values may hold newlines (long text, ELF MESSAGE columns); a timeline message must
// not. Long values are cut so the message stays a summary; the full value is in target.
std::string OneLine(std::string_view s, size_t max = 120) {
  std::string out;
  for (char c : s) {
    if (out.size() >= max) {
      out += "...";
      break;
    }
    out.push_back(c == '\n' || c == '\r' || c == '\t' ? ' ' : c);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Object families

enum class Family {
  kFieldHistory,        // <X>History, OpportunityFieldHistory, <Name>__History
  kFieldHistoryArchive,
  kLoginHistory,
  kRtem,                // Real-Time Event Monitoring storage objects (EventDate)
  kEventLogObject,      // <X>EventLog objects (Timestamp)
  kSetupAuditTrail,
  kElf,
  kOther,
};

Family FamilyOf(std::string_view object) {
  if (object == "EventLogFile") return Family::kElf;
  if (object == "LoginHistory") return Family::kLoginHistory;  // before the <X>History rule
  if (object == "FieldHistoryArchive") return Family::kFieldHistoryArchive;
  if (object == "SetupAuditTrail") return Family::kSetupAuditTrail;
  if (EndsWith(object, "History") && object.size() > 7) return Family::kFieldHistory;
  if (EndsWith(object, "EventLog")) return Family::kEventLogObject;
  if (EndsWith(object, "Event") || EndsWith(object, "EventStore")) return Family::kRtem;
  return Family::kOther;
}

// The object whose fields a history object tracks: AccountHistory -> Account,
// OpportunityFieldHistory -> Opportunity (ActivityFieldHistory alike), Patient__History -> Patient__c,
// ns__Obj__History -> ns__Obj__c (the custom object's API name keeps its namespace).
std::string HistoryParent(std::string_view object) {
  if (EndsWith(object, "FieldHistory") && object.size() > 12) return std::string(object.substr(0, object.size() - 12));
  if (EndsWith(object, "__History")) return std::string(object.substr(0, object.size() - 9)) + "__c";
  return std::string(object.substr(0, object.size() - 7));
}

// ---------------------------------------------------------------------------------------------
// Time

using Parser = std::optional<std::int64_t> (*)(std::string_view);

// Fills the time members from one field. The original text is always kept; an unparseable value
// keeps it and says so, and is never replaced by another field's value.
void SetTime(Record& r, const FieldGetter& get, const char* field, Parser parse) {
  r.timestamp_field = field;
  const auto text = get(field);
  r.timestamp_original = text.value_or("");
  if (r.timestamp_original.empty()) {
    r.time_status = TimeStatus::kMissing;
    r.timestamp_ms.reset();
    return;
  }
  if (auto ms = parse(r.timestamp_original)) {
    r.time_status = TimeStatus::kOk;
    r.timestamp_ms = *ms;
  } else {
    r.time_status = TimeStatus::kUnparseable;
    r.timestamp_ms.reset();
  }
}

// ---------------------------------------------------------------------------------------------
// Messages

std::string Who(const Record& r) {
  if (r.actor_username) return *r.actor_username;
  if (r.actor_user_id) return *r.actor_user_id;
  return "unknown user";
}

std::string From(const Record& r) { return r.client_ip ? " from " + *r.client_ip : std::string(); }

std::string Quoted(const std::optional<std::string>& v) { return v ? "\"" + OneLine(*v, 60) + "\"" : "null"; }

void HistoryMessage(Record& r) {
  std::string m = r.actor_user_id.value_or("unknown user");
  const std::string what = r.target_object.value_or("?") + " " + r.target_record_id.value_or("?");
  if (r.action == "created") {
    m += " created " + what;
  } else if (r.action == "deleted") {
    m += " deleted " + what;
  } else {
    m += " changed " + what + " " + r.target_field.value_or("?");
    if (r.old_value || r.new_value) m += ": " + Quoted(r.old_value) + " -> " + Quoted(r.new_value);
  }
  r.message = OneLine(m, 400);
}

// ---------------------------------------------------------------------------------------------
// Mappers per family

std::string HistoryAction(const std::optional<std::string>& field) {
  // "created" (and "deleted" where an org records it) are picklist values of Field that stand for
  // the whole record, not a field (research §2.1).
  if (field) {
    const std::string f = Lower(*field);
    if (f == "created") return "created";
    if (f == "deleted") return "deleted";
  }
  return "field-changed";
}

// CreatedBy.Name is a display name ("Jane Doe"), not a login: it goes in actor_username only
// when the row has no real username (CreatedBy.Username, when the query asked for it), so a
// reader sees who acted; actor_user_id stays the authoritative key.
std::optional<std::string> CreatorName(const FieldGetter& get) {
  return First(get, {"CreatedBy.Username", "CreatedBy.Name"});
}

void MapFieldHistory(Record& r, const RowContext& ctx, const FieldGetter& get) {
  SetTime(r, get, "CreatedDate", ParseIsoDateTime);
  r.actor_user_id = Value(get, "CreatedById");
  r.actor_username = CreatorName(get);
  const std::string parent = HistoryParent(ctx.object);
  r.target_object = parent;
  // Standard objects name the parent key after the parent (AccountId, OpportunityId); custom
  // objects use ParentId.
  r.target_record_id = First(get, {parent + "Id", "ParentId"});
  r.target_field = Value(get, "Field");
  r.old_value = Value(get, "OldValue");
  r.new_value = Value(get, "NewValue");
  r.event_id = Value(get, "Id");
  r.action = HistoryAction(r.target_field);
  HistoryMessage(r);
}

void MapFieldHistoryArchive(Record& r, const FieldGetter& get) {
  // CreatedDate is when the change happened; ArchiveTimestamp only when it was archived.
  SetTime(r, get, "CreatedDate", ParseIsoDateTime);
  r.actor_user_id = Value(get, "CreatedById");
  r.actor_username = CreatorName(get);
  r.target_object = First(get, {"FieldHistoryType", "ArchiveParentType"});
  r.target_record_id = Value(get, "ParentId");
  // For a deleted field, Field holds the field's id; ArchiveFieldName keeps its name.
  r.target_field = First(get, {"Field", "ArchiveFieldName"});
  r.old_value = Value(get, "OldValue");
  r.new_value = Value(get, "NewValue");
  r.event_id = Value(get, "Id");
  r.action = HistoryAction(Value(get, "Field"));
  HistoryMessage(r);
}

// "login" for "Success", "login-failed" for any other status; a row without a status is
// "login-attempt" rather than a guess either way.
std::string LoginAction(const std::optional<std::string>& status) {
  if (!status) return "login-attempt";
  return *status == "Success" ? "login" : "login-failed";
}

void LoginMessage(Record& r, const std::optional<std::string>& status) {
  std::string m = r.action == "login-attempt" ? "login attempt" : "login";
  m += " by " + Who(r) + From(r);
  if (status) m += ": " + *status;
  r.message = OneLine(m, 400);
}

void MapLoginHistory(Record& r, const FieldGetter& get) {
  SetTime(r, get, "LoginTime", ParseIsoDateTime);
  r.actor_user_id = Value(get, "UserId");
  r.actor_username = First(get, {"Username", "User.Username"});
  r.client_ip = Value(get, "SourceIp");
  r.event_id = Value(get, "Id");
  const auto status = Value(get, "Status");
  r.action = LoginAction(status);
  LoginMessage(r, status);
}

void MapRtem(Record& r, const RowContext& ctx, const FieldGetter& get) {
  SetTime(r, get, "EventDate", ParseIsoDateTime);
  r.actor_user_id = Value(get, "UserId");
  r.actor_username = Value(get, "Username");
  r.client_ip = Value(get, "SourceIp");
  r.request_id = Value(get, "RequestIdentifier");
  r.login_key = Value(get, "LoginKey");
  r.session_key = Value(get, "SessionKey");
  // Storage rows all share Id 000000000000000AAA; EventIdentifier is the unique key.
  r.event_id = First(get, {"EventIdentifier", "Id"});
  const std::string& o = ctx.object;
  std::string detail;
  if (o == "LoginEvent") {
    const auto status = Value(get, "Status");
    r.action = LoginAction(status);
    LoginMessage(r, status);
    return;
  }
  if (o == "LogoutEvent") {
    r.action = "logout";
  } else if (o == "LoginAsEvent") {
    r.action = "login-as";
    if (auto d = First(get, {"DelegatedUsername", "DelegatedUserId"})) detail = " as " + *d;
  } else if (o == "ReportEvent") {
    const auto op = Value(get, "Operation");
    r.action = op ? "report-" + Lower(*op) : "report-run";
    r.target_object = Value(get, "QueriedEntities");
    r.target_record_id = Value(get, "ReportId");
    if (auto name = Value(get, "Name")) detail = " report \"" + OneLine(*name, 80) + "\"";
  } else if (o == "ApiEvent") {
    r.action = "api-query";
    r.target_object = Value(get, "QueriedEntities");
  } else if (o == "BulkApiResultEventStore") {
    r.action = "bulk-result-download";
    r.target_object = Value(get, "QueriedEntities");
    r.target_record_id = Value(get, "JobId");
  } else if (o == "ListViewEvent") {
    r.action = "list-view";
    r.target_object = Value(get, "QueriedEntities");
    r.target_record_id = Value(get, "ListViewId");
    if (auto name = Value(get, "Name")) detail = " list view \"" + OneLine(*name, 80) + "\"";
  } else {
    r.action = Kebab(o);
    r.target_object = Value(get, "QueriedEntities");
  }
  std::string m = r.action + " by " + Who(r) + From(r) + detail;
  if (r.target_object) m += " on " + *r.target_object;
  if (auto rows = Value(get, "RowsProcessed")) m += " (" + *rows + " rows)";
  r.message = OneLine(m, 400);
}

void MapSetupAuditTrail(Record& r, const FieldGetter& get) {
  SetTime(r, get, "CreatedDate", ParseIsoDateTime);
  r.actor_user_id = Value(get, "CreatedById");
  r.actor_username = CreatorName(get);
  r.action = "setup-change";
  r.target_field = Value(get, "Section");
  r.new_value = Value(get, "Display");
  r.event_id = Value(get, "Id");
  std::string m = Who(r) + " setup-change";
  if (r.target_field) m += " in " + *r.target_field;
  if (auto a = Value(get, "Action")) m += " (" + *a + ")";
  if (r.new_value) m += ": " + *r.new_value;
  if (auto d = Value(get, "DelegateUser")) m += " [delegate " + *d + "]";
  r.message = OneLine(m, 400);
}

std::string ElfAction(std::string_view type, const FieldGetter& get) {
  if (type == "Login") {
    // LOGIN_STATUS is the precise result; older files only have REQUEST_STATUS.
    if (auto s = Value(get, "LOGIN_STATUS")) return *s == "LOGIN_NO_ERROR" ? "login" : "login-failed";
    if (auto s = Value(get, "REQUEST_STATUS")) {
      if (*s == "Success" || *s == "S") return "login";
      if (*s == "F" || *s == "A" || Lower(*s).starts_with("fail")) return "login-failed";
    }
    return "login-attempt";
  }
  if (type == "Logout") return "logout";
  if (type == "LoginAs") return "login-as";
  if (type == "ReportExport") return "report-export";
  if (type == "Report") return "report-run";
  if (type == "API" || type == "RestApi") return "api-request";
  if (type == "BulkApi" || type == "BulkApi2" || type == "BulkApiRequest") return "bulk-api";
  if (type == "ContentTransfer") {
    if (auto t = Value(get, "TRANSACTION_TYPE")) return "file-" + Lower(*t);
    return "file-transfer";
  }
  // The documentation spells it "DocumentAttachmentDownoads" in one place; accept both.
  if (type == "DocumentAttachmentDownloads" || type == "DocumentAttachmentDownoads") return "document-download";
  if (type == "URI") return "page-view";
  return Kebab(type);
}

void MapElf(Record& r, const RowContext& ctx, const FieldGetter& get) {
  std::string type = ctx.elf_event_type;
  if (type.empty()) type = Value(get, "EVENT_TYPE").value_or("");
  r.event_type = "EventLogFile:" + (type.empty() ? std::string("unknown") : type);

  // TIMESTAMP is the primary field; TIMESTAMP_DERIVED only when TIMESTAMP is empty. An
  // unparseable TIMESTAMP stays unparseable: the derived copy might disagree (research §7).
  if (Value(get, "TIMESTAMP") || !Value(get, "TIMESTAMP_DERIVED")) {
    SetTime(r, get, "TIMESTAMP", ParseElfTimestamp);
  } else {
    SetTime(r, get, "TIMESTAMP_DERIVED", ParseIsoDateTime);
  }
  r.actor_user_id = First(get, {"USER_ID_DERIVED", "USER_ID"});
  r.actor_username = Value(get, "USER_NAME");
  // CLIENT_IP as given, including the literal "Salesforce.com IP"; SOURCE_IP only without it.
  r.client_ip = First(get, {"CLIENT_IP", "SOURCE_IP"});
  r.request_id = Value(get, "REQUEST_ID");
  r.login_key = Value(get, "LOGIN_KEY");
  r.session_key = Value(get, "SESSION_KEY");
  r.action = ElfAction(type, get);

  const bool session_event = type == "Login" || type == "Logout" || type == "LoginAs";
  if (!session_event) {
    // The URI is what a page view or export addressed; for a login it is only the endpoint.
    r.target_object = First(get, {"ENTITY_NAME", "ENTITY_TYPE", "URI"});
    r.target_record_id = First(get, {"REPORT_ID_DERIVED", "REPORT_ID", "DOCUMENT_ID_DERIVED", "DOCUMENT_ID",
                                     "ENTITY_ID", "JOB_ID", "URI_ID_DERIVED"});
  }

  std::string m;
  if (r.action == "login" || r.action == "login-failed" || r.action == "login-attempt") {
    m = (r.action == "login-attempt" ? "login attempt" : "login") + std::string(" by ") + Who(r) + From(r);
    if (auto s = First(get, {"LOGIN_STATUS", "REQUEST_STATUS"})) m += ": " + *s;
  } else {
    m = r.action + " by " + Who(r) + From(r);
    if (type == "LoginAs") {
      if (auto d = First(get, {"DELEGATED_USER_NAME", "DELEGATED_USER_ID_DERIVED", "DELEGATED_USER_ID"})) {
        m += " as " + *d;
      }
    }
    if (r.target_object) m += " " + *r.target_object;
    if (r.target_record_id) m += " " + *r.target_record_id;
    if (auto rows = First(get, {"ROWS_PROCESSED", "ROW_COUNT", "RECORDS_PROCESSED"})) m += " (" + *rows + " rows)";
  }
  r.message = OneLine(m, 400);
}

void MapOther(Record& r, const RowContext& ctx, const FieldGetter& get, bool event_log_object) {
  if (event_log_object) {
    SetTime(r, get, "Timestamp", ParseIsoDateTime);
    r.actor_user_id = First(get, {"UserIdentifier", "UserId"});
    r.client_ip = Value(get, "ClientIp");
    r.request_id = Value(get, "RequestIdentifier");
    r.login_key = Value(get, "LoginKey");
    r.session_key = Value(get, "SessionKey");
  } else {
    SetTime(r, get, "CreatedDate", ParseIsoDateTime);
    r.actor_user_id = Value(get, "CreatedById");
    r.actor_username = CreatorName(get);
  }
  r.event_id = Value(get, "Id");
  r.action = Kebab(ctx.object);
  r.message = OneLine(r.action + " by " + Who(r) + From(r), 400);
}

}  // namespace

Record MapSalesforceRow(const RowContext& context, const FieldGetter& get) {
  Record r;
  r.source = context.source;
  r.stream = context.stream;
  r.event_type = context.object;
  switch (FamilyOf(context.object)) {
    case Family::kFieldHistory:
      MapFieldHistory(r, context, get);
      break;
    case Family::kFieldHistoryArchive:
      MapFieldHistoryArchive(r, get);
      break;
    case Family::kLoginHistory:
      MapLoginHistory(r, get);
      break;
    case Family::kRtem:
      MapRtem(r, context, get);
      break;
    case Family::kSetupAuditTrail:
      MapSetupAuditTrail(r, get);
      break;
    case Family::kElf:
      MapElf(r, context, get);
      break;
    case Family::kEventLogObject:
      MapOther(r, context, get, true);
      break;
    case Family::kOther:
      MapOther(r, context, get, false);
      break;
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// Query response pages

namespace {

// Numbers are kept as their JSON text ("2692.0" stays "2692.0", not 2692); RapidJSON's
// kParseNumbersAsStringsFlag gives exactly that. Encoding is not validated here: a stray byte in
// one value must not lose the page; ToJsonLine repairs it in the normalized copy.
constexpr unsigned kPageParseFlags = rapidjson::kParseNumbersAsStringsFlag;

// A scanner over JSON that the DOM parse has already accepted: it only needs to find where each
// value ends, tracking strings (with escapes) and nesting.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : s_(text) {}
  size_t pos() const { return pos_; }
  void SkipSpace() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
  }
  bool Peek(char c) {
    SkipSpace();
    return pos_ < s_.size() && s_[pos_] == c;
  }
  bool Expect(char c) {
    if (!Peek(c)) return false;
    ++pos_;
    return true;
  }
  // The raw text of a string (between the quotes, escapes not decoded).
  bool String(std::string_view& raw) {
    if (!Expect('"')) return false;
    const size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] != '"') pos_ += s_[pos_] == '\\' ? 2 : 1;
    if (pos_ >= s_.size()) return false;
    raw = s_.substr(start, pos_ - start);
    ++pos_;
    return true;
  }
  bool SkipValue() {
    SkipSpace();
    if (pos_ >= s_.size()) return false;
    const char c = s_[pos_];
    if (c == '"') {
      std::string_view ignored;
      return String(ignored);
    }
    if (c == '{' || c == '[') {
      int depth = 0;
      while (pos_ < s_.size()) {
        const char d = s_[pos_];
        if (d == '"') {
          std::string_view ignored;
          if (!String(ignored)) return false;
          continue;
        }
        if (d == '{' || d == '[') ++depth;
        if (d == '}' || d == ']') --depth;
        ++pos_;
        if (depth == 0) return true;
      }
      return false;
    }
    // A number, true, false or null: up to the next structural character or space.
    const size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] != ',' && s_[pos_] != '}' && s_[pos_] != ']' && s_[pos_] != ' ' &&
           s_[pos_] != '\t' && s_[pos_] != '\n' && s_[pos_] != '\r') {
      ++pos_;
    }
    return pos_ > start;
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

// The raw text of the value at a dotted path inside one record's JSON text, by scanning; used
// for objects and arrays asked for as a whole, whose numbers the DOM holds as strings.
std::optional<std::string_view> RawAt(std::string_view record_text, std::string_view name) {
  Scanner scan(record_text);
  while (true) {
    const size_t dot = name.find('.');
    const std::string_view part = name.substr(0, dot);
    if (!scan.Expect('{')) return std::nullopt;
    bool found = false;
    while (!scan.Peek('}')) {
      std::string_view key;
      if (!scan.String(key) || !scan.Expect(':')) return std::nullopt;
      if (key == part) {
        found = true;
        break;
      }
      if (!scan.SkipValue() || !scan.Expect(',')) return std::nullopt;
    }
    if (!found) return std::nullopt;
    scan.SkipSpace();
    if (dot == std::string_view::npos) {
      const size_t begin = scan.pos();
      if (!scan.SkipValue()) return std::nullopt;
      return record_text.substr(begin, scan.pos() - begin);
    }
    record_text = record_text.substr(scan.pos());
    scan = Scanner(record_text);
    name = name.substr(dot + 1);
  }
}

std::optional<std::string> Lookup(const rapidjson::Value& record, std::string_view record_text,
                                  std::string_view name) {
  const std::string_view full_name = name;
  const rapidjson::Value* v = &record;
  while (true) {
    const size_t dot = name.find('.');
    const std::string_view part = name.substr(0, dot);
    // "attributes" is metadata (type, url) that Salesforce adds, not a field of the record.
    if (part == "attributes") return std::nullopt;
    if (!v->IsObject()) return std::nullopt;
    const auto it = v->FindMember(
        rapidjson::Value(rapidjson::StringRef(part.data(), static_cast<rapidjson::SizeType>(part.size()))));
    if (it == v->MemberEnd()) return std::nullopt;
    v = &it->value;
    if (dot == std::string_view::npos) break;
    name = name.substr(dot + 1);
  }
  if (v->IsNull()) return std::nullopt;
  if (v->IsString()) return std::string(v->GetString(), v->GetStringLength());  // numbers too (raw text)
  if (v->IsBool()) return std::string(v->GetBool() ? "true" : "false");
  // An object or array asked for as a whole (a relationship or a subquery): its JSON text as
  // received. Serializing the DOM instead would turn its numbers into strings.
  if (auto raw = RawAt(record_text, full_name)) return std::string(*raw);
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  v->Accept(w);
  return std::string(b.GetString(), b.GetSize());
}

Error PageError(const std::string& what) { return Error(ErrorCode::kParse, "query response page: " + what); }

}  // namespace

Status ParseQueryPage(std::string_view page, ParsedElements& parsed) {
  static_assert(kPageParseFlags == rapidjson::kParseNumbersAsStringsFlag);
  Status s = ParseJsonArrayElements(page, "/records", true, false, parsed);
  if (!s) return PageError(s.error().message());
  return Status::Ok();
}

Status ForEachQueryRecord(std::string_view page, const ParsedElements& parsed,
                          const std::function<Status(const JsonRecordView&)>& callback) {
  if (!parsed.doc.IsObject()) return PageError("not a JSON object");
  // The first top-level "records" member (FindMember also returns the first one when a name
  // repeats); a lone object there is not an array of records.
  if (parsed.value == nullptr || !parsed.value->IsArray()) return PageError("no \"records\" array");
  const auto& array = *parsed.value;
  if (parsed.elements.size() != array.Size()) return PageError("record count differs between the text and the parse");
  for (const JsonElement& e : parsed.elements) {
    const rapidjson::Value& record = array[static_cast<rapidjson::SizeType>(e.index)];
    const std::string_view text = page.substr(e.byte_offset, e.byte_length);
    const FieldGetter get = [&record, text](std::string_view name) { return Lookup(record, text, name); };
    const JsonRecordView view{get, e.index, e.byte_offset, e.byte_length};
    CUSTODY_RETURN_IF_ERROR(callback(view));
  }
  return Status::Ok();
}

Status ForEachQueryRecord(std::string_view page, const std::function<Status(const JsonRecordView&)>& callback) {
  ParsedElements parsed;
  CUSTODY_RETURN_IF_ERROR(ParseQueryPage(page, parsed));
  return ForEachQueryRecord(page, parsed, callback);
}

}  // namespace custody::normalize
