#include "verify/chain.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <map>
#include <set>

#include "bundle/bag_reader.h"
#include "bundle/layout.h"
#include "bundle/statement.h"
#include "core/time.h"
#include "crypto/digest.h"
#include "json/json.h"

namespace custody::verify {

size_t ChainReport::errors() const {
  return static_cast<size_t>(std::count_if(findings.begin(), findings.end(),
                                           [](const ChainFinding& f) { return f.severity == Severity::kError; }));
}
size_t ChainReport::warnings() const { return findings.size() - errors(); }
bool ChainReport::Has(const std::string& kind) const {
  return std::any_of(findings.begin(), findings.end(), [&](const ChainFinding& f) { return f.kind == kind; });
}

namespace {

constexpr std::uint64_t kMaxTagFile = 64ull << 20;  // the verifier's cap on one tag file

// Reads only statement.txt and metadata/collection.json; every other entry is skipped unread.
class SeriesFactsReader final : public bundle::BagVisitor {
 public:
  explicit SeriesFactsReader(const std::atomic<bool>* cancel) : cancel_(cancel) {}
  void OnProblem(bundle::EntryProblem) override {}  // the bundle's own verification reports these
  bool OnFile(const std::string& path, std::uint64_t size) override {
    if (size > kMaxTagFile) return false;
    if (path == bundle::kStatement) {
      current_ = &statement_;
    } else if (path == bundle::kMetadata) {
      current_ = &metadata_;
    } else {
      return false;
    }
    current_->clear();
    return true;
  }
  Status OnData(std::span<const std::uint8_t> chunk) override {
    if (cancel_ != nullptr && cancel_->load()) return Error(ErrorCode::kCancelled, "interrupted");
    if (current_ == nullptr || current_->size() + chunk.size() > kMaxTagFile) return Status::Ok();
    current_->append(reinterpret_cast<const char*>(chunk.data()), chunk.size());
    return Status::Ok();
  }
  void OnFileEnd() override {
    if (current_ == &statement_) has_statement_ = true;
    if (current_ == &metadata_) has_metadata_ = true;
    current_ = nullptr;
  }

  const std::string* statement() const { return has_statement_ ? &statement_ : nullptr; }
  const std::string* metadata() const { return has_metadata_ ? &metadata_ : nullptr; }

 private:
  const std::atomic<bool>* cancel_;
  std::string statement_;
  std::string metadata_;
  std::string* current_ = nullptr;
  bool has_statement_ = false;
  bool has_metadata_ = false;
};

struct Facts {
  std::optional<UtcSeconds> sealed_at;  // set when the statement parsed
  std::vector<std::pair<UtcSeconds, UtcSeconds>> window_times;  // parallel to ChainBundle::windows
  std::string metadata_problem;    // why collection.json could not be read (empty: it was)
  std::string incremental_problem; // why collection.incremental is unusable (empty: it is usable)
};

std::string IncrementalProblem(const rapidjson::Value& inc, ChainBundle& b, Facts& facts) {
  if (!inc.IsObject()) return "collection.incremental is not an object";
  auto series = inc.FindMember("series");
  if (series == inc.MemberEnd() || !series->value.IsString()) return "collection.incremental.series is not a string";
  b.series = series->value.GetString();
  auto sequence = inc.FindMember("sequence");
  if (sequence == inc.MemberEnd() || !sequence->value.IsInt64() || sequence->value.GetInt64() < 1) {
    return "collection.incremental.sequence is not a positive integer";
  }
  b.sequence = sequence->value.GetInt64();
  auto previous = inc.FindMember("previous");
  if (previous != inc.MemberEnd() && previous->value.IsObject()) {
    auto file = previous->value.FindMember("file");
    if (file != previous->value.MemberEnd() && file->value.IsString()) b.previous_file = file->value.GetString();
  }
  auto streams = inc.FindMember("streams");
  if (streams == inc.MemberEnd() || !streams->value.IsArray()) return "collection.incremental.streams is not an array";
  size_t index = 0;
  for (const auto& s : streams->value.GetArray()) {
    const std::string where = "collection.incremental.streams[" + std::to_string(index++) + "]";
    if (!s.IsObject()) return where + " is not an object";
    ChainWindow w;
    std::string* text[] = {&w.source, &w.stream, &w.since, &w.until};
    const char* names[] = {"source", "stream", "since", "until"};
    for (size_t i = 0; i < std::size(names); ++i) {
      auto m = s.FindMember(names[i]);
      if (m == s.MemberEnd() || !m->value.IsString() || m->value.GetStringLength() == 0) {
        return where + "." + names[i] + " is not a non-empty string";
      }
      *text[i] = m->value.GetString();
    }
    auto complete = s.FindMember("complete");
    if (complete == s.MemberEnd() || !complete->value.IsBool()) return where + ".complete is not a boolean";
    w.complete = complete->value.GetBool();
    auto since = ParseRfc3339(w.since);
    auto until = ParseRfc3339(w.until);
    if (!since || !until) return where + " has a since or until that is not an RFC 3339 time";
    if (*until < *since) return where + " ends (" + w.until + ") before it starts (" + w.since + ")";
    facts.window_times.emplace_back(*since, *until);
    b.windows.push_back(std::move(w));
  }
  return "";
}

// Reads what the chain checks need from the bundle's statement and collection metadata.
Status ReadSeriesFacts(const std::filesystem::path& path, const VerifyOptions& options, ChainBundle& b, Facts& facts) {
  SeriesFactsReader reader(options.cancel);
  auto scan = bundle::ScanTar(path, reader);
  if (!scan) {
    if (scan.error().code() == ErrorCode::kCancelled) return scan.error();
    facts.metadata_problem = scan.error().message();
    return Status::Ok();
  }
  if (const std::string* text = reader.statement()) {
    b.statement_sha256 = crypto::Sha256Hex(*text);
    auto statement = bundle::ParseStatement(*text);
    auto sealed_at = statement ? ParseRfc3339(statement->sealed_at) : Result<UtcSeconds>(statement.error());
    if (statement && sealed_at) {
      b.statement_read = true;
      b.sealed_at = statement->sealed_at;
      b.previous_statement_sha256 = statement->previous_statement_sha256;
      facts.sealed_at = *sealed_at;
    }
  }
  const std::string* metadata = reader.metadata();
  if (metadata == nullptr) {
    facts.metadata_problem = "it has no readable metadata/collection.json";
    return Status::Ok();
  }
  auto doc = json::Parse(*metadata, "metadata/collection.json");
  if (!doc || !doc->IsObject()) {
    facts.metadata_problem = "its metadata/collection.json is not a JSON object";
    return Status::Ok();
  }
  auto collection = doc->FindMember("collection");
  if (collection == doc->MemberEnd() || !collection->value.IsObject()) return Status::Ok();
  auto inc = collection->value.FindMember("incremental");
  if (inc == collection->value.MemberEnd()) return Status::Ok();
  b.incremental = true;
  facts.incremental_problem = IncrementalProblem(inc->value, b, facts);
  if (!facts.incremental_problem.empty()) {
    b.windows.clear();
    facts.window_times.clear();
  }
  return Status::Ok();
}

std::string ErrorKinds(const VerifyReport& r) {
  std::vector<std::string> kinds;
  for (const Finding& f : r.findings) {
    if (f.severity == Severity::kError && std::find(kinds.begin(), kinds.end(), f.kind) == kinds.end()) {
      kinds.push_back(f.kind);
    }
  }
  std::string out;
  for (const auto& k : kinds) out += (out.empty() ? "" : ", ") + k;
  return out;
}

struct Member {
  size_t index;  // into the bundle list
  UtcSeconds sealed_at;
  int depth = 0;  // links followed to an earlier bundle sealed in the same second
};

// Series members ordered by sealed-at; bundles sealed in the same second by their links, then by
// file name.
std::vector<size_t> ChainOrder(const std::vector<ChainBundle>& bundles, const std::vector<Facts>& facts) {
  std::vector<Member> members;
  for (size_t i = 0; i < bundles.size(); ++i) {
    if (bundles[i].statement_read && bundles[i].incremental) members.push_back({i, *facts[i].sealed_at});
  }
  for (Member& m : members) {
    const ChainBundle* at = &bundles[m.index];
    std::set<size_t> visited{m.index};
    for (;;) {
      auto prev = std::find_if(members.begin(), members.end(), [&](const Member& o) {
        return o.sealed_at == m.sealed_at && !visited.count(o.index) &&
               bundles[o.index].statement_sha256 == at->previous_statement_sha256;
      });
      if (prev == members.end()) break;
      visited.insert(prev->index);
      at = &bundles[prev->index];
      ++m.depth;
    }
  }
  std::sort(members.begin(), members.end(), [&](const Member& a, const Member& b) {
    if (a.sealed_at != b.sealed_at) return a.sealed_at < b.sealed_at;
    if (a.depth != b.depth) return a.depth < b.depth;
    return bundles[a.index].file < bundles[b.index].file;
  });
  std::vector<size_t> order;
  for (const Member& m : members) order.push_back(m.index);
  return order;
}

void Add(ChainReport& r, Severity s, std::string kind, std::string bundle, std::string stream, std::string message) {
  r.findings.push_back({s, std::move(kind), std::move(bundle), std::move(stream), std::move(message)});
}

void CheckBundles(ChainReport& r, const std::vector<Facts>& facts) {
  for (size_t i = 0; i < r.bundles.size(); ++i) {
    const ChainBundle& b = r.bundles[i];
    if (!b.open_error.empty()) {
      Add(r, Severity::kError, "bundle-failed", b.file, "", "the bundle could not be opened: " + b.open_error);
    } else if (!b.report.ok()) {
      Add(r, Severity::kError, "bundle-failed", b.file, "",
          "its own verification found " + std::to_string(b.report.errors()) + " error(s): " + ErrorKinds(b.report) +
              " (custody verify " + b.file + " shows them)");
    }
    if (!b.incremental) {
      Add(r, Severity::kError, "not-incremental", b.file, "",
          facts[i].metadata_problem.empty()
              ? "not part of a nightly series: its metadata/collection.json has no collection.incremental"
              : "cannot be placed in a nightly series: " + facts[i].metadata_problem);
    } else if (!facts[i].incremental_problem.empty()) {
      Add(r, Severity::kError, "incremental-invalid", b.file, "",
          facts[i].incremental_problem + "; its stream windows are not counted");
    }
  }
}

// `members` bundles lead r.bundles, in chain order.
void CheckLinks(ChainReport& r, size_t members) {
  std::map<std::string, size_t> by_statement;
  for (size_t i = 0; i < members; ++i) by_statement.emplace(r.bundles[i].statement_sha256, i);
  for (size_t i = 0; i < members; ++i) {
    const ChainBundle& b = r.bundles[i];
    const std::string& prev = b.previous_statement_sha256;
    auto named = by_statement.find(prev);
    if (i == 0) {
      if (prev == "none") continue;
      if (named != by_statement.end()) {
        Add(r, Severity::kError, "link-broken", b.file, "",
            "it is the first bundle of the folder by sealed-at, yet it names " + r.bundles[named->second].file +
                " (sealed " + r.bundles[named->second].sealed_at + ") as its predecessor");
      } else {
        std::string which = b.previous_file.empty() ? "" : " " + b.previous_file;
        Add(r, Severity::kWarning, "predecessor-missing", b.file, "",
            "its predecessor" + which + " (statement sha256 " + prev +
                ") is not in the folder; the series continues from an earlier bundle that is no longer kept here");
      }
      continue;
    }
    const ChainBundle& before = r.bundles[i - 1];
    if (prev == before.statement_sha256) continue;
    std::string expected = "the bundle sealed just before it is " + before.file + " (sealed " + before.sealed_at +
                           ", statement sha256 " + before.statement_sha256 + ")";
    if (prev == "none") {
      Add(r, Severity::kError, "link-broken", b.file, "",
          "it says it starts a series (previous-statement-sha256 none), but " + expected);
    } else if (named != by_statement.end()) {
      Add(r, Severity::kError, "link-broken", b.file, "",
          "it names " + r.bundles[named->second].file + " as its predecessor, but " + expected);
    } else {
      Add(r, Severity::kError, "link-broken", b.file, "",
          "it names a predecessor that is not in the folder (statement sha256 " + prev + "), but " +
              expected);
    }
  }
  std::map<std::string, std::vector<size_t>> by_previous;
  for (size_t i = 0; i < members; ++i) {
    if (r.bundles[i].previous_statement_sha256 != "none") by_previous[r.bundles[i].previous_statement_sha256].push_back(i);
  }
  for (const auto& [prev, successors] : by_previous) {
    if (successors.size() < 2) continue;
    std::string names;
    for (size_t i : successors) names += (names.empty() ? "" : ", ") + r.bundles[i].file;
    auto named = by_statement.find(prev);
    std::string predecessor = named != by_statement.end() ? r.bundles[named->second].file
                                                          : "statement sha256 " + prev + " (not in the folder)";
    Add(r, Severity::kError, "link-duplicate", r.bundles[successors[1]].file, "",
        std::to_string(successors.size()) + " bundles name the same predecessor " + predecessor + ": " + names);
  }
}

void CheckCoverage(ChainReport& r, size_t members, const std::vector<const Facts*>& facts) {
  struct Interval {
    UtcSeconds since, until;
    size_t bundle;
    bool complete;
  };
  std::map<std::pair<std::string, std::string>, std::vector<Interval>> streams;
  for (size_t i = 0; i < members; ++i) {
    const ChainBundle& b = r.bundles[i];
    for (size_t w = 0; w < b.windows.size(); ++w) {
      const auto& [since, until] = facts[i]->window_times[w];
      streams[{b.windows[w].source, b.windows[w].stream}].push_back({since, until, i, b.windows[w].complete});
    }
  }
  for (auto& [key, intervals] : streams) {
    ChainStream s;
    s.source = key.first;
    s.stream = key.second;
    UtcSeconds from = intervals.front().since, to = intervals.front().until;
    std::vector<std::pair<UtcSeconds, UtcSeconds>> covered;
    for (const Interval& in : intervals) {
      from = std::min(from, in.since);
      to = std::max(to, in.until);
      ++s.windows;
      if (in.complete && r.bundles[in.bundle].ok()) {
        ++s.complete_windows;
        covered.emplace_back(in.since, in.until);
      }
    }
    s.since = FormatRfc3339(from);
    s.until = FormatRfc3339(to);
    std::sort(covered.begin(), covered.end());
    std::vector<std::pair<UtcSeconds, UtcSeconds>> holes;
    UtcSeconds cursor = from;
    for (const auto& [since, until] : covered) {
      if (since > cursor) holes.emplace_back(cursor, since);
      cursor = std::max(cursor, until);
    }
    if (cursor < to) holes.emplace_back(cursor, to);
    const std::string name = s.source + "/" + s.stream;
    for (const auto& [hole_from, hole_to] : holes) {
      s.gaps.emplace_back(FormatRfc3339(hole_from), FormatRfc3339(hole_to));
      // Say who claimed the missing time and why it does not count.
      std::string why;
      for (const Interval& in : intervals) {
        if (in.until <= hole_from || in.since >= hole_to) continue;
        const std::string& file = r.bundles[in.bundle].file;
        std::string reason = !in.complete ? file + " collected it incompletely" : file + " failed its own verification";
        if (why.find(reason) == std::string::npos) why += (why.empty() ? "" : "; ") + reason;
      }
      Add(r, Severity::kError, "coverage-gap", "", name,
          "no complete window of a verified bundle covers [" + s.gaps.back().first + ", " +
              s.gaps.back().second + ")" + (why.empty() ? "" : " (" + why + ")"));
    }
    r.streams.push_back(std::move(s));
  }
}

void CheckNights(ChainReport& r, size_t members, const std::vector<const Facts*>& facts) {
  if (members < 2) return;
  using std::chrono::days;
  std::set<days::rep> sealed;
  for (size_t i = 0; i < members; ++i) {
    sealed.insert(std::chrono::floor<days>(*facts[i]->sealed_at).time_since_epoch().count());
  }
  const days::rep first = *sealed.begin(), last = *sealed.rbegin();
  auto date = [](days::rep d) { return FormatDate(UtcSeconds(std::chrono::duration_cast<std::chrono::seconds>(days(d)))); };
  for (days::rep d = first + 1; d < last; ++d) {
    if (sealed.count(d)) continue;
    days::rep end = d;
    while (end + 1 < last && !sealed.count(end + 1)) ++end;
    std::string message = d == end ? "no bundle was sealed on " + date(d) + " (UTC)"
                                   : "no bundle was sealed from " + date(d) + " to " + date(end) + " (UTC), " +
                                         std::to_string(end - d + 1) + " nights";
    Add(r, Severity::kWarning, "night-missing", "", "",
        message + "; the coverage check says whether a later run covered the time");
    d = end;
  }
}

rapidjson::Value Str(std::string_view s, rapidjson::Document::AllocatorType& a) {
  return rapidjson::Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
}
rapidjson::Value StrOrNull(const std::string& s, rapidjson::Document::AllocatorType& a) {
  return s.empty() ? rapidjson::Value() : Str(s, a);
}
const char* SeverityName(Severity s) { return s == Severity::kError ? "error" : "warning"; }

}  // namespace

Result<ChainReport> VerifyChain(const std::filesystem::path& dir, const VerifyOptions& options) {
  if (options.bag_only) return Error(ErrorCode::kInvalidArgument, "a chain is checked as bundles, not as bare bags");
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return Error(ErrorCode::kInvalidArgument, dir.string() + " is not a folder");
  }
  std::vector<std::string> files;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) return Error(ErrorCode::kIo, "list " + dir.string() + ": " + ec.message());
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) return Error(ErrorCode::kIo, "list " + dir.string() + ": " + ec.message());
    std::string name = it->path().filename().string();
    std::error_code type_ec;
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".tar") == 0 && it->is_regular_file(type_ec)) {
      files.push_back(name);
    }
  }
  if (ec) return Error(ErrorCode::kIo, "list " + dir.string() + ": " + ec.message());
  if (files.empty()) return Error(ErrorCode::kInvalidArgument, dir.string() + " holds no bundle (*.tar)");
  std::sort(files.begin(), files.end());

  std::vector<ChainBundle> bundles(files.size());
  std::vector<Facts> facts(files.size());
  for (size_t i = 0; i < files.size(); ++i) {
    if (options.cancel != nullptr && options.cancel->load()) return Error(ErrorCode::kCancelled, "interrupted");
    ChainBundle& b = bundles[i];
    b.file = files[i];
    const std::filesystem::path path = dir / files[i];
    CUSTODY_RETURN_IF_ERROR(ReadSeriesFacts(path, options, b, facts[i]));
    auto report = Verify(path, options);
    if (!report) {
      if (report.error().code() == ErrorCode::kCancelled) return report.error();
      b.open_error = report.error().message();
      b.report.target = path.string();
    } else {
      b.report = std::move(*report);
    }
  }

  ChainReport r;
  r.target = dir.string();
  std::vector<size_t> order = ChainOrder(bundles, facts);
  const size_t members = order.size();
  for (size_t i = 0; i < bundles.size(); ++i) {
    if (std::find(order.begin(), order.end(), i) == order.end()) order.push_back(i);  // already by file name
  }
  std::vector<Facts> ordered_facts;
  for (size_t i : order) {
    r.bundles.push_back(std::move(bundles[i]));
    ordered_facts.push_back(std::move(facts[i]));
  }
  std::vector<const Facts*> fact_of;
  for (const Facts& f : ordered_facts) fact_of.push_back(&f);

  CheckBundles(r, ordered_facts);
  CheckLinks(r, members);
  CheckCoverage(r, members, fact_of);
  CheckNights(r, members, fact_of);
  return r;
}

std::string RenderChainText(const ChainReport& r) {
  std::string out = "Chain " + r.target + ": " + std::to_string(r.bundles.size()) + " bundle" +
                    (r.bundles.size() == 1 ? "" : "s") + "\n";
  for (const ChainBundle& b : r.bundles) {
    std::string verdict = !b.open_error.empty() ? "UNREADABLE" : b.report.ok() ? "VERIFIED" : "FAILED";
    out += "  " + verdict + std::string(11 - verdict.size(), ' ') + b.file;
    out += b.statement_read ? "  sealed " + b.sealed_at : "  (no readable statement)";
    if (b.sequence) out += "  sequence " + std::to_string(*b.sequence);
    if (!b.incremental) out += "  (not in a series)";
    if (b.open_error.empty()) {
      out += "  " + std::to_string(b.report.errors()) + " errors, " + std::to_string(b.report.warnings()) + " warnings";
    }
    out += "\n";
    if (!b.open_error.empty()) out += "      ERROR   " + b.open_error + "\n";
    for (const Finding& f : b.report.findings) {
      if (f.severity != Severity::kError) continue;
      out += "      ERROR   " + f.kind + (f.path.empty() ? "" : " " + f.path) + ": " + f.message + "\n";
    }
  }
  if (!r.streams.empty()) {
    out += "  streams\n";
    for (const ChainStream& s : r.streams) {
      out += "    " + s.source + "/" + s.stream + "  " + s.since + "/" + s.until + "  " + std::to_string(s.windows) +
             " windows, " + std::to_string(s.complete_windows) + " complete, " + std::to_string(s.gaps.size()) +
             (s.gaps.size() == 1 ? " gap" : " gaps") + "\n";
    }
  }
  for (const ChainFinding& f : r.findings) {
    out += f.severity == Severity::kError ? "ERROR   " : "WARNING ";
    out += f.kind;
    if (!f.bundle.empty()) {
      out += " " + f.bundle;
    } else if (!f.stream.empty()) {
      out += " " + f.stream;
    }
    out += ": " + f.message + "\n";
  }
  out += r.ok() ? "CHAIN VERIFIED" : "CHAIN FAILED";
  out += ": " + std::to_string(r.errors()) + " errors, " + std::to_string(r.warnings()) + " warnings\n";
  return out;
}

std::string RenderChainJson(const ChainReport& r) {
  rapidjson::Document d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  d.AddMember("format", Str("custody-chain-report/1", a), a);
  d.AddMember("target", Str(r.target, a), a);
  d.AddMember("verified", r.ok(), a);
  rapidjson::Value bundles(rapidjson::kArrayType);
  for (const ChainBundle& b : r.bundles) {
    rapidjson::Value v(rapidjson::kObjectType);
    v.AddMember("file", Str(b.file, a), a);
    v.AddMember("verified", b.ok(), a);
    v.AddMember("open_error", StrOrNull(b.open_error, a), a);
    v.AddMember("bundle_id", StrOrNull(b.report.bundle_id, a), a);
    v.AddMember("sealed_at", StrOrNull(b.statement_read ? b.sealed_at : "", a), a);
    v.AddMember("statement_sha256", StrOrNull(b.statement_sha256, a), a);
    v.AddMember("previous_statement_sha256", StrOrNull(b.statement_read ? b.previous_statement_sha256 : "", a), a);
    v.AddMember("in_series", b.statement_read && b.incremental, a);
    v.AddMember("series", StrOrNull(b.series, a), a);
    rapidjson::Value sequence;
    if (b.sequence) sequence.SetInt64(*b.sequence);
    v.AddMember("sequence", sequence, a);
    rapidjson::Value summary(rapidjson::kObjectType);
    summary.AddMember("errors", static_cast<std::uint64_t>(b.report.errors()), a);
    summary.AddMember("warnings", static_cast<std::uint64_t>(b.report.warnings()), a);
    v.AddMember("summary", summary, a);
    rapidjson::Value findings(rapidjson::kArrayType);
    for (const Finding& f : b.report.findings) {
      rapidjson::Value fv(rapidjson::kObjectType);
      fv.AddMember("severity", Str(SeverityName(f.severity), a), a);
      fv.AddMember("kind", Str(f.kind, a), a);
      fv.AddMember("path", Str(f.path, a), a);
      fv.AddMember("message", Str(f.message, a), a);
      findings.PushBack(fv, a);
    }
    v.AddMember("findings", findings, a);
    bundles.PushBack(v, a);
  }
  d.AddMember("bundles", bundles, a);
  rapidjson::Value streams(rapidjson::kArrayType);
  for (const ChainStream& s : r.streams) {
    rapidjson::Value v(rapidjson::kObjectType);
    v.AddMember("source", Str(s.source, a), a);
    v.AddMember("stream", Str(s.stream, a), a);
    v.AddMember("since", Str(s.since, a), a);
    v.AddMember("until", Str(s.until, a), a);
    v.AddMember("windows", s.windows, a);
    v.AddMember("complete_windows", s.complete_windows, a);
    rapidjson::Value gaps(rapidjson::kArrayType);
    for (const auto& [from, to] : s.gaps) {
      rapidjson::Value g(rapidjson::kObjectType);
      g.AddMember("from", Str(from, a), a);
      g.AddMember("to", Str(to, a), a);
      gaps.PushBack(g, a);
    }
    v.AddMember("gaps", gaps, a);
    streams.PushBack(v, a);
  }
  d.AddMember("streams", streams, a);
  rapidjson::Value summary(rapidjson::kObjectType);
  summary.AddMember("bundles", static_cast<std::uint64_t>(r.bundles.size()), a);
  summary.AddMember("errors", static_cast<std::uint64_t>(r.errors()), a);
  summary.AddMember("warnings", static_cast<std::uint64_t>(r.warnings()), a);
  d.AddMember("summary", summary, a);
  rapidjson::Value findings(rapidjson::kArrayType);
  for (const ChainFinding& f : r.findings) {
    rapidjson::Value v(rapidjson::kObjectType);
    v.AddMember("severity", Str(SeverityName(f.severity), a), a);
    v.AddMember("kind", Str(f.kind, a), a);
    v.AddMember("bundle", Str(f.bundle, a), a);
    v.AddMember("stream", Str(f.stream, a), a);
    v.AddMember("message", Str(f.message, a), a);
    findings.PushBack(v, a);
  }
  d.AddMember("findings", findings, a);
  return json::Pretty(d);
}

}  // namespace custody::verify
