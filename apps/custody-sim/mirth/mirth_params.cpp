#include "mirth/mirth_params.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <limits>

namespace custody::sim::mirth {
namespace {

constexpr std::array<const char*, 3> kLevels = {"INFORMATION", "WARNING", "ERROR"};
constexpr std::array<const char*, 2> kOutcomes = {"SUCCESS", "FAILURE"};
constexpr std::array<const char*, 7> kStatuses = {"RECEIVED", "FILTERED", "TRANSFORMED", "SENT",
                                                  "QUEUED", "ERROR", "PENDING"};

template <size_t N>
bool OneOf(const std::array<const char*, N>& names, std::string_view v) {
  return std::any_of(names.begin(), names.end(), [&](const char* n) { return v == n; });
}

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool Digits(std::string_view s, size_t at, size_t n, int* out) {
  int v = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (i >= s.size() || s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

bool ParseBounded(std::string_view text, int64_t lo, int64_t hi, int64_t* out) {
  if (text.empty()) return false;
  size_t i = 0;
  bool negative = false;
  if (text[0] == '-' || text[0] == '+') {
    negative = text[0] == '-';
    i = 1;
  }
  if (i >= text.size() || text.size() - i > 19) return false;
  __extension__ __int128 v = 0;
  for (; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    v = v * 10 + (text[i] - '0');
  }
  if (negative) v = -v;
  if (v < lo || v > hi) return false;
  *out = static_cast<int64_t>(v);
  return true;
}

// The first value of a query parameter, if present.
std::optional<std::string> Param(const httplib::Request& req, const char* name) {
  if (!req.has_param(name)) return std::nullopt;
  return req.get_param_value(name);
}

std::vector<std::string> Params(const httplib::Request& req, const char* name) {
  std::vector<std::string> out;
  const size_t n = req.get_param_value_count(name);
  for (size_t i = 0; i < n; ++i) out.push_back(req.get_param_value(name, i));
  return out;
}

bool IntParam(const httplib::Request& req, const char* name, std::optional<int64_t>* out, bool is_long = false) {
  auto v = Param(req, name);
  if (!v) return true;
  int64_t x = 0;
  if (!(is_long ? ParseJavaLong(*v, &x) : ParseJavaInt(*v, &x))) return false;
  *out = x;
  return true;
}

bool DateParam(const httplib::Request& req, const char* name, std::optional<TimeMs>* out) {
  auto v = Param(req, name);
  if (!v) return true;
  TimeMs t = 0;
  if (!ParseMirthDate(*v, &t)) return false;
  *out = t;
  return true;
}

int Specificity(std::string_view range, std::string_view type) {
  if (range == type) return 3;
  if (range == "*/*" || range == "*") return 1;
  const size_t slash = type.find('/');
  if (range.size() == slash + 2 && range.substr(0, slash + 1) == type.substr(0, slash + 1) && range.back() == '*') {
    return 2;
  }
  return 0;
}

const char* MediaType(WireFormat f) {
  switch (f) {
    case WireFormat::kXml: return "application/xml";
    case WireFormat::kJson: return "application/json";
    case WireFormat::kText: return "text/plain";
  }
  return "";
}

std::string Trimmed(std::string_view s) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
  std::string out(s.substr(b, e - b));
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::optional<WireFormat> PickFormat(std::string_view accept, std::initializer_list<WireFormat> produces) {
  struct Range {
    std::string type;
    double q = 1;
  };
  std::vector<Range> ranges;
  size_t i = 0;
  while (i <= accept.size()) {
    size_t j = accept.find(',', i);
    if (j == std::string_view::npos) j = accept.size();
    const std::string_view item = accept.substr(i, j - i);
    i = j + 1;
    Range r;
    const size_t semi = item.find(';');
    r.type = Trimmed(item.substr(0, semi));
    if (r.type.empty()) continue;
    if (semi != std::string_view::npos) {
      std::string_view params = item.substr(semi + 1);
      while (!params.empty()) {
        const size_t next = params.find(';');
        const std::string p = Trimmed(params.substr(0, next));
        if (p.rfind("q=", 0) == 0) r.q = std::atof(p.c_str() + 2);
        params = next == std::string_view::npos ? std::string_view() : params.substr(next + 1);
      }
    }
    ranges.push_back(std::move(r));
  }
  if (ranges.empty()) return *produces.begin();
  std::optional<WireFormat> best;
  double best_q = 0;
  for (WireFormat f : produces) {
    int spec = 0;
    double q = 0;
    for (const Range& r : ranges) {
      const int s = Specificity(r.type, MediaType(f));
      if (s > spec || (s == spec && s > 0 && r.q > q)) {
        spec = s;
        q = r.q;
      }
    }
    if (spec > 0 && q > best_q) {
      best = f;
      best_q = q;
    }
  }
  return best;
}

bool ParseMirthDate(std::string_view s, TimeMs* out) {
  // yyyy-MM-ddTHH:mm:ss.SSS±HHMM: exactly 28 characters.
  if (s.size() != 28 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
      s[19] != '.' || (s[23] != '+' && s[23] != '-')) {
    return false;
  }
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0, ms = 0, oh = 0, om = 0;
  if (!Digits(s, 0, 4, &y) || !Digits(s, 5, 2, &mo) || !Digits(s, 8, 2, &d) || !Digits(s, 11, 2, &h) ||
      !Digits(s, 14, 2, &mi) || !Digits(s, 17, 2, &se) || !Digits(s, 20, 3, &ms) || !Digits(s, 24, 2, &oh) ||
      !Digits(s, 26, 2, &om)) {
    return false;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59 || oh > 18 || om > 59) return false;
  static const int kMonthDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  const int last = kMonthDays[mo - 1] + (mo == 2 && leap ? 1 : 0);
  d = std::min(d, last);
  const int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  const int64_t offset_ms = (static_cast<int64_t>(oh) * 3600 + om * 60) * 1000 * (s[23] == '-' ? -1 : 1);
  *out = ((days * 86400 + h * 3600 + mi * 60 + se) * 1000 + ms) - offset_ms;
  return true;
}

bool ParseJavaInt(std::string_view text, int64_t* out) {
  return ParseBounded(text, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max(), out);
}

bool ParseJavaLong(std::string_view text, int64_t* out) {
  return ParseBounded(text, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), out);
}

bool EventFilterFromQuery(const httplib::Request& req, EventFilter* f) {
  if (!IntParam(req, "maxEventId", &f->max_id) || !IntParam(req, "minEventId", &f->min_id) ||
      !IntParam(req, "userId", &f->user_id) || !DateParam(req, "startDate", &f->start) ||
      !DateParam(req, "endDate", &f->end)) {
    return false;
  }
  for (const std::string& level : Params(req, "level")) {
    if (!OneOf(kLevels, level)) return false;
    f->levels.push_back(level);
  }
  if (auto v = Param(req, "outcome")) {
    if (!OneOf(kOutcomes, *v)) return false;
    f->outcome = *v;
  }
  if (auto v = Param(req, "name")) f->name = *v;
  if (auto v = Param(req, "attributeSearch")) f->attribute_search = *v;
  if (auto v = Param(req, "ipAddress")) f->ip = *v;
  if (auto v = Param(req, "serverId")) f->server_id = *v;
  return true;
}

bool PagingFromQuery(const httplib::Request& req, uint64_t* offset, std::optional<uint64_t>* limit) {
  std::optional<int64_t> o;
  std::optional<int64_t> l;
  if (!IntParam(req, "offset", &o) || !IntParam(req, "limit", &l)) return false;
  if ((o && *o < 0) || (l && *l < 0)) return false;
  *offset = o ? static_cast<uint64_t>(*o) : 0;
  if (l) *limit = static_cast<uint64_t>(*l);
  return true;
}

bool EventFilterFromNode(const XmlNode& node, EventFilter* f) {
  for (const XmlNode& c : node.children) {
    const std::string& n = c.name;
    int64_t v = 0;
    if (n == "maxEventId" || n == "minEventId" || n == "id" || n == "userId") {
      if (!ParseJavaInt(c.text, &v)) return false;
      (n == "maxEventId" ? f->max_id : n == "minEventId" ? f->min_id : n == "id" ? f->id : f->user_id) = v;
    } else if (n == "levels") {
      for (const XmlNode& level : c.children) {
        if (!OneOf(kLevels, level.text)) return false;
        f->levels.push_back(level.text);
      }
    } else if (n == "startDate" || n == "endDate") {
      const XmlNode* time = c.Find("time");
      if (time == nullptr || !ParseJavaLong(time->text, &v)) return false;
      (n == "startDate" ? f->start : f->end) = v;
    } else if (n == "outcome") {
      if (!OneOf(kOutcomes, c.text)) return false;
      f->outcome = c.text;
    } else if (n == "name") {
      f->name = c.text;
    } else if (n == "attributeSearch") {
      f->attribute_search = c.text;
    } else if (n == "ipAddress") {
      f->ip = c.text;
    } else if (n == "serverId") {
      f->server_id = c.text;
    } else {
      return false;  // XStream refuses fields the class does not have
    }
  }
  return true;
}

bool MessageQueryFromQuery(const httplib::Request& req, MessageQuery* q) {
  if (!IntParam(req, "minMessageId", &q->min_id, true) || !IntParam(req, "maxMessageId", &q->max_id, true) ||
      !DateParam(req, "startDate", &q->start) || !DateParam(req, "endDate", &q->end)) {
    return false;
  }
  for (const std::string& s : Params(req, "status")) {
    if (!OneOf(kStatuses, s)) return false;
    q->statuses.push_back(s);
  }
  std::optional<int64_t> o;
  std::optional<int64_t> l;
  if (!IntParam(req, "offset", &o) || !IntParam(req, "limit", &l)) return false;
  if ((o && *o < 0) || (l && *l < 0)) return false;
  if (o) {
    q->offset = static_cast<uint64_t>(*o);
    q->offset_text = std::to_string(*o);
  }
  if (l) {
    q->limit = static_cast<uint64_t>(*l);
    q->limit_text = std::to_string(*l);
  }
  if (auto v = Param(req, "includeContent")) {
    std::string lower = *v;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    q->include_content = lower == "true";
  }
  if (auto v = Param(req, "startDate")) q->start_text = *v;
  if (auto v = Param(req, "endDate")) q->end_text = *v;
  return true;
}

std::string MessageFilterText(const MessageQuery& q) {
  auto opt = [](const std::optional<int64_t>& v) { return v ? std::to_string(*v) : std::string("<null>"); };
  auto text = [](const std::string& v) { return v.empty() ? std::string("<null>") : v; };
  std::string statuses = "<null>";
  if (!q.statuses.empty()) {
    statuses = "[";
    for (size_t i = 0; i < q.statuses.size(); ++i) statuses += (i > 0 ? ", " : "") + q.statuses[i];
    statuses += "]";
  }
  return "MessageFilter[maxMessageId=" + opt(q.max_id) + ",minMessageId=" + opt(q.min_id) +
         ",originalIdUpper=<null>,originalIdLower=<null>,importIdUpper=<null>,importIdLower=<null>,startDate=" +
         text(q.start_text) + ",endDate=" + text(q.end_text) + ",textSearch=<null>,textSearchRegex=<null>,statuses=" +
         statuses +
         ",includedMetaDataIds=<null>,excludedMetaDataIds=<null>,serverId=<null>,contentSearch=<null>,"
         "metaDataSearch=<null>,textSearchMetaDataColumns=<null>,sendAttemptsLower=<null>,sendAttemptsUpper=<null>,"
         "attachment=<null>,error=<null>]\n";
}

}  // namespace custody::sim::mirth
