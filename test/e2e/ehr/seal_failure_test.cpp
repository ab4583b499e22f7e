// A collect whose seal fails (here: the disk refuses the bundle, via a file size limit) must not
// lose the collection: `collect fhir`, `collect mirth` and `collect --config` all finish through
// SealCollection, which keeps the work folder with every capture and writes the merged timeline
// into it before it reports the failure. Each case collects once normally, then runs the same
// command again under `prlimit --fsize` with a limit every file of the work folder fits under but
// the bundle does not, and compares what was kept with the bundle the first run sealed.
//
// The simulated servers stamp what they hand out (a FHIR searchset Bundle carries a fresh id and
// meta.lastUpdated; Mirth logs the collector's own session, so the event pages and each event's
// dateTime change), so a capture's bytes differ from one run to the next and cannot be compared
// with the first bundle's manifest directly. What is compared instead:
//   - the kept captures are exactly the files the sealed bundle's manifest lists under data/raw
//     (none missing, none extra such as a .partial);
//   - each kept capture has the size and SHA-256 its sidecar recorded when it was received, and
//     in the sealed bundle the manifest lists each capture with exactly its sidecar's SHA-256;
//   - the kept timeline.jsonl and untimed.jsonl hold the sealed bundle's records in the same order
//     (byte for byte where the source's record bytes repeat: FHIR), and every record's
//     provenance slice of the kept capture hashes to the record's raw_sha256. (These simulated
//     sources give no untimed records, so for untimed.jsonl that means: kept, and empty as sealed.)

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "crypto/digest.h"
#include "e2e/ehr/fhir_support.h"
#include "e2e/ehr/mirth_support.h"
#include "support/sim_process.h"
#include "support/test_support.h"

namespace custody::test {
namespace {

const std::string kSidecar = ".http.json";

bool EndsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

std::vector<std::string> Lines(const std::filesystem::path& path) {
  std::vector<std::string> out;
  std::ifstream in(path, std::ios::binary);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// A file size limit between the largest file the collection writes outside the bundle and the
// bundle itself, from the first run's unpacked bundle: every capture, the timeline and its sorted
// run file (the lines with a 24-byte key each) fit, the bundle does not.
std::uint64_t LimitBelowBundle(const std::filesystem::path& bundle, const std::filesystem::path& top) {
  const std::filesystem::path timeline = top / "data" / "normalized" / "timeline.jsonl";
  std::uint64_t largest = std::filesystem::file_size(timeline) + 24 * Lines(timeline).size() + 4096;
  for (const auto& e : std::filesystem::recursive_directory_iterator(top)) {
    if (e.is_regular_file()) largest = std::max<std::uint64_t>(largest, e.file_size());
  }
  const std::uint64_t sealed = std::filesystem::file_size(bundle);
  REQUIRE(largest + 200 * 1024 < sealed);
  return largest + (sealed - largest) / 2;
}

// Runs custody with `args` under `prlimit --fsize=limit` (bytes; the shell's ulimit -f counts
// blocks). SIGXFSZ is ignored so the write that crosses the limit fails with EFBIG, as on a full
// disk, instead of killing the process. Secrets stay in the child's environment, never argv.
ProcessResult RunUnderSizeLimit(std::uint64_t limit, const std::vector<std::string>& args,
                                const std::map<std::string, std::string>& env, const std::filesystem::path& scratch) {
  std::filesystem::create_directories(scratch);
  std::vector<std::string> sh = {"-c", "trap '' XFSZ; exec prlimit --fsize=" + std::to_string(limit) + " \"$@\"",
                                 "sh", CUSTODY_BINARY};
  sh.insert(sh.end(), args.begin(), args.end());
  return RunProcess("/bin/sh", sh, env, scratch);
}

// bag path ("data/raw/...") -> SHA-256, for the manifest lines under data/raw/.
std::map<std::string, std::string> ManifestCaptures(const std::filesystem::path& top) {
  std::map<std::string, std::string> out;
  for (const std::string& line : Lines(top / "manifest-sha256.txt")) {
    const size_t gap = line.find("  ");
    REQUIRE(gap != std::string::npos);
    const std::string path = line.substr(gap + 2);
    if (path.rfind("data/raw/", 0) == 0) out[path] = line.substr(0, gap);
  }
  return out;
}

// bag path ("data/raw/...") -> SHA-256, for every file under payload/raw of a kept work folder.
std::map<std::string, std::string> KeptCaptures(const std::filesystem::path& payload) {
  std::map<std::string, std::string> out;
  std::error_code ec;  // no raw folder at all: an empty listing, which the caller reports
  for (const auto& e : std::filesystem::recursive_directory_iterator(payload / "raw", ec)) {
    if (!e.is_regular_file()) continue;
    const std::string rel = std::filesystem::relative(e.path(), payload).generic_string();
    out["data/" + rel] = crypto::Sha256Hex(ReadFile(e.path()));
  }
  return out;
}

// Checks every capture (a file that is not a sidecar) under `root` against its sidecar
// "<name>.http.json": named there, with the size and the SHA-256 recorded when it was received,
// which must also be `hashes`' entry for it. Returns how many captures it checked.
size_t CheckCapturesAgainstSidecars(const std::filesystem::path& root, const std::map<std::string, std::string>& hashes,
                                    const std::string& prefix) {
  size_t checked = 0;
  std::vector<std::string> wrong;
  for (const auto& [bag_path, sha256] : hashes) {
    if (EndsWith(bag_path, kSidecar)) continue;
    const std::filesystem::path file = root / bag_path.substr(prefix.size());
    const std::filesystem::path sidecar_path = file.string() + kSidecar;
    ++checked;
    if (!std::filesystem::exists(sidecar_path)) {
      wrong.push_back(bag_path + ": no sidecar");
      continue;
    }
    rapidjson::Document sidecar;
    sidecar.Parse(ReadFile(sidecar_path).c_str());
    if (sidecar.HasParseError() || !sidecar.HasMember("body") || !sidecar["body"].IsObject()) {
      wrong.push_back(bag_path + ": sidecar without a body");
      continue;
    }
    const rapidjson::Value& body = sidecar["body"];
    auto member = [&body](const char* key) -> const rapidjson::Value* {
      return body.HasMember(key) ? &body[key] : nullptr;
    };
    const rapidjson::Value* name = member("file");
    const rapidjson::Value* bytes = member("bytes");
    const rapidjson::Value* hash = member("sha256");
    const bool named = name && name->IsString() && file.filename().string() == name->GetString();
    const bool sized = bytes && bytes->IsUint64() && std::filesystem::file_size(file) == bytes->GetUint64();
    const bool hashed = hash && hash->IsString() && sha256 == hash->GetString();
    if (!named || !sized || !hashed) wrong.push_back(bag_path + ": not the bytes its sidecar recorded");
  }
  INFO("captures under " << root << " that differ from their sidecars (" << wrong.size() << "), first: "
                         << (wrong.empty() ? "" : wrong.front()));
  CHECK(wrong.empty());
  return checked;
}

// A record line with provenance.raw_sha256 taken out: the hash of its bytes in the capture, which
// changes with what the server stamped into those bytes on that run.
rapidjson::Document WithoutRawHash(const std::string& line) {
  rapidjson::Document d;
  d.Parse(line.c_str());
  REQUIRE_FALSE(d.HasParseError());
  REQUIRE(d.HasMember("provenance"));
  d["provenance"].RemoveMember("raw_sha256");
  return d;
}

// The kept normalized file `name` holds the sealed one's records in the same order, and each
// record's provenance slice of the kept capture hashes to its raw_sha256. Returns the line count.
size_t CheckKeptRecords(const std::filesystem::path& payload, const std::filesystem::path& top, const char* name) {
  const std::filesystem::path kept_file = payload / "normalized" / name;
  REQUIRE(std::filesystem::exists(kept_file));
  const std::vector<std::string> kept = Lines(kept_file);
  const std::vector<std::string> sealed = Lines(top / "data" / "normalized" / name);
  INFO(name);
  REQUIRE(kept.size() == sealed.size());
  std::map<std::string, std::string> captures;  // bag path -> kept bytes
  std::vector<std::string> wrong;
  for (size_t i = 0; i < kept.size(); ++i) {
    rapidjson::Document k = WithoutRawHash(kept[i]);
    if (k != WithoutRawHash(sealed[i])) wrong.push_back("line " + std::to_string(i + 1) + " is not the sealed record");
    rapidjson::Document d;
    d.Parse(kept[i].c_str());
    const rapidjson::Value& prov = d["provenance"];
    REQUIRE(prov["raw_file"].IsString());
    REQUIRE(prov["byte_offset"].IsUint64());
    REQUIRE(prov["byte_length"].IsUint64());
    REQUIRE(prov["raw_sha256"].IsString());
    const std::string bag_path = prov["raw_file"].GetString();
    REQUIRE(bag_path.rfind("data/raw/", 0) == 0);
    auto it = captures.find(bag_path);
    if (it == captures.end()) {
      const std::filesystem::path file = payload / bag_path.substr(std::string("data/").size());
      if (!std::filesystem::exists(file)) {
        wrong.push_back("line " + std::to_string(i + 1) + " cites " + bag_path + ", which is not kept");
        continue;
      }
      it = captures.emplace(bag_path, ReadFile(file)).first;
    }
    const std::uint64_t offset = prov["byte_offset"].GetUint64();
    const std::uint64_t length = prov["byte_length"].GetUint64();
    if (offset + length > it->second.size() ||
        crypto::Sha256Hex(std::string_view(it->second).substr(offset, length)) != prov["raw_sha256"].GetString()) {
      wrong.push_back("line " + std::to_string(i + 1) + ": its bytes in " + bag_path + " do not hash to raw_sha256");
    }
  }
  INFO("records that differ (" << wrong.size() << "), first: " << (wrong.empty() ? "" : wrong.front()));
  CHECK(wrong.empty());
  return kept.size();
}

// Everything a seal failure must leave: exit 1, no bundle (nor a half-written one beside it), the
// error naming the kept work folder, and in that folder every capture with its bytes plus the
// normalized records the sealed bundle had.
void CheckKeptAfterFailedSeal(const ProcessResult& r, const std::filesystem::path& out,
                              const std::filesystem::path& sealed_top, bool same_record_bytes) {
  INFO("custody exit " << r.code << "\nstdout:\n" << r.out << "\nstderr:\n" << r.err);
  CHECK(r.code == 1);
  CHECK_FALSE(std::filesystem::exists(out));
  for (const auto& e : std::filesystem::directory_iterator(out.parent_path())) {
    const std::string name = e.path().filename().string();
    CHECK(name.rfind("." + out.filename().string() + ".tmp", 0) != 0);
  }
  CHECK_THAT(r.err, Catch::Contains("seal the collection (the captures are kept in " + out.string() + ".work)"));
  // The failure is the one the limit caused, not another on the way.
  CHECK_THAT(r.err, Catch::Contains("File too large"));
  const std::filesystem::path payload = out.string() + ".work/payload";
  REQUIRE(std::filesystem::is_directory(payload));

  // The records: in the same order as sealed, each citing bytes the kept captures hold.
  const size_t timed = CheckKeptRecords(payload, sealed_top, "timeline.jsonl");
  CHECK(timed > 0);
  CheckKeptRecords(payload, sealed_top, "untimed.jsonl");
  if (same_record_bytes) {
    CHECK(ReadFile(payload / "normalized" / "timeline.jsonl") ==
          ReadFile(sealed_top / "data" / "normalized" / "timeline.jsonl"));
    CHECK(ReadFile(payload / "normalized" / "untimed.jsonl") ==
          ReadFile(sealed_top / "data" / "normalized" / "untimed.jsonl"));
  }

  // The captures: the files the sealed manifest lists, each with the bytes its sidecar recorded,
  // as the sealed manifest does for its own.
  const std::map<std::string, std::string> sealed = ManifestCaptures(sealed_top);
  const std::map<std::string, std::string> kept = KeptCaptures(payload);
  std::set<std::string> sealed_names, kept_names;
  for (const auto& [path, sha] : sealed) sealed_names.insert(path);
  for (const auto& [path, sha] : kept) kept_names.insert(path);
  CHECK(kept_names == sealed_names);
  CHECK(CheckCapturesAgainstSidecars(sealed_top, sealed, "") > 0);
  CHECK(CheckCapturesAgainstSidecars(payload, kept, "data/") > 0);
}

// No secret in the run's output nor in any file of the kept work folder (which is evidence too).
void CheckNoSecret(const ProcessResult& r, const std::filesystem::path& out, const std::vector<std::string>& secrets) {
  std::vector<std::string> kept;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(out.string() + ".work", ec)) {
    if (e.is_regular_file()) kept.push_back(ReadFile(e.path()));
  }
  REQUIRE_FALSE(kept.empty());
  for (const std::string& secret : secrets) {
    REQUIRE(secret.size() >= 8);
    CHECK(r.out.find(secret) == std::string::npos);
    CHECK(r.err.find(secret) == std::string::npos);
    size_t in_kept = 0;
    for (const std::string& bytes : kept) in_kept += bytes.find(secret) != std::string::npos;
    CHECK(in_kept == 0);
  }
}

}  // namespace

TEST_CASE("collect fhir whose seal fails keeps the timeline and every capture in the work folder",
          "[ehr][seal][disk][seal-fail-fhir]") {
  FhirHarness h({});
  FhirCollected a = h.Run("token");
  {
    INFO(a.run.out << a.run.err);
    REQUIRE(a.run.code == 0);
    REQUIRE(a.has_bundle());
  }
  const std::uint64_t limit = LimitBelowBundle(a.bundle, a.top);

  const std::filesystem::path out = h.dir() / "seal-fails.tar";
  ProcessResult r = RunUnderSizeLimit(limit, h.Args("token", out, h.F("base_url")),
                                      {{"FHIR_ACCESS_TOKEN", h.F("access_token")}}, h.dir() / "seal-fails-run");
  // FHIR's records repeat byte for byte on the same server, so the kept timeline is the sealed one.
  CheckKeptAfterFailedSeal(r, out, a.top, /*same_record_bytes=*/true);
  CheckNoSecret(r, out, h.Secrets());
}

TEST_CASE("collect mirth whose seal fails keeps the timeline and every capture in the work folder",
          "[ehr][seal][disk][seal-fail-mirth]") {
  std::vector<std::string> sim_args = DeterministicArgs();
  // A password that cannot occur by chance (the default, "admin", is also the user name).
  sim_args.insert(sim_args.end(), {"--mirth-password", "m1rth-pw-seal-5d2c81"});
  mirth::Harness h(sim_args);
  mirth::Setup setup;
  mirth::Collected a = h.Run(setup);
  {
    INFO(a.cli.out << a.cli.err);
    REQUIRE(a.cli.code == 0);
    REQUIRE(a.has_bundle());
  }
  const std::uint64_t limit = LimitBelowBundle(a.bundle, a.top);

  const std::filesystem::path out = h.dir() / "seal-fails.tar";
  ProcessResult r = RunUnderSizeLimit(limit, h.Args(setup, out.string()), {{"MIRTH_PASSWORD", h.M("password")}},
                                      h.dir() / "seal-fails-run");
  // Each run adds the collector's own session to Mirth's event log, so the pages (and the record
  // hashes in them) move: the records are compared apart from raw_sha256.
  CheckKeptAfterFailedSeal(r, out, a.top, /*same_record_bytes=*/false);
  CheckNoSecret(r, out, {h.M("password")});
}

TEST_CASE("collect --config with FHIR and Mirth whose seal fails keeps the merged timeline and every capture",
          "[ehr][seal][disk][seal-fail-config]") {
  std::vector<std::string> sim_args = DeterministicArgs();
  sim_args.insert(sim_args.end(), {"--fhir", "--mirth", "--mirth-password", "m1rth-pw-seal-9a4e17"});
  SimProcess sim(sim_args);
  TempDir dir;
  const Keys keys = MakeKeys(dir.path(), "examiner");
  const std::filesystem::path sealed_out = dir / "bundle.tar";
  // A case file as multi_source_test.cpp writes them: two sources, the secrets behind environment
  // references.
  const std::string case_text =
      "[case]\nid = \"IR-SEAL-1\"\nexaminer = \"Jane Examiner\"\nsince = \"2026-04-01T00:00:00Z\"\n"
      "until = \"2026-04-08T00:00:00Z\"\nout = \"" + sealed_out.string() + "\"\nkey = \"" + keys.key.string() +
      "\"\ncert = \"" + keys.cert.string() + "\"\n"
      "\n[[source]]\nname = \"ehr\"\ntype = \"fhir\"\nbase_url = \"" + sim.Get("fhir", "base_url") +
      "\"\nauth = \"token\"\naccess_token = { env = \"CASE_FHIR_TOKEN\" }\n"
      "\n[[source]]\nname = \"engine\"\ntype = \"mirth\"\nbase_url = \"" + sim.Get("mirth", "base_url") +
      "\"\nusername = \"" + sim.Get("mirth", "username") + "\"\npassword = { env = \"CASE_MIRTH_PASSWORD\" }\n";
  const std::filesystem::path case_file = dir / "case.toml";
  WriteFile(case_file, case_text);
  const std::map<std::string, std::string> env = {{"CASE_FHIR_TOKEN", sim.Get("fhir", "access_token")},
                                                  {"CASE_MIRTH_PASSWORD", sim.Get("mirth", "password")}};
  const std::vector<std::string> args = {"collect",          "--config", case_file.string(), "--retry-delay-ms",
                                         "10",               "--log-format", "json"};

  std::filesystem::create_directories(dir / "sealed-run");
  ProcessResult a = RunProcess(CUSTODY_BINARY, args, env, dir / "sealed-run");
  {
    INFO(a.out << a.err);
    REQUIRE(a.code == 0);
    REQUIRE(std::filesystem::exists(sealed_out));
  }
  const std::filesystem::path top = Extract(sealed_out, dir / "unpacked");
  // Both sources' captures are in the bundle the failing run is compared with.
  REQUIRE(std::filesystem::is_directory(top / "data/raw/ehr"));
  REQUIRE(std::filesystem::is_directory(top / "data/raw/engine"));
  const std::uint64_t limit = LimitBelowBundle(sealed_out, top);

  const std::filesystem::path out = dir / "seal-fails.tar";
  std::vector<std::string> failing = args;
  failing.insert(failing.end(), {"--out", out.string()});  // the command line wins over the case file
  ProcessResult r = RunUnderSizeLimit(limit, failing, env, dir / "seal-fails-run");
  CheckKeptAfterFailedSeal(r, out, top, /*same_record_bytes=*/false);
  CHECK(std::filesystem::is_directory(out.string() + ".work/payload/raw/ehr"));
  CHECK(std::filesystem::is_directory(out.string() + ".work/payload/raw/engine"));
  CheckNoSecret(r, out, {sim.Get("fhir", "access_token"), sim.Get("mirth", "password")});
}

}  // namespace custody::test
