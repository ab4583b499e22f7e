// bundle::Seal with generated payload files (SealRequest::generated): bytes produced while
// sealing, standing in for an empty file of the folder. The collectors use it for the merged
// timeline. The bundle must be the one a real file of those bytes gives, and every way the
// producer can go wrong must fail the seal and leave nothing at --out.

#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

#include "bundle/seal.h"
#include "commands.h"
#include "exit_codes.h"
#include "signing.h"
#include "tool_info.h"
#include "support/test_support.h"

using namespace custody;
using namespace custody::test;

namespace {

// 3 MiB + 5 bytes of varied text: more than one of the seal's 1 MiB copy buffers.
std::string Bytes() {
  std::string s;
  for (std::uint32_t i = 0; s.size() < (3u << 20) + 5; ++i) s += "{\"n\":" + std::to_string(i * 2654435761u) + "}\n";
  s.resize((3u << 20) + 5);
  return s;
}

// Hands text over in pieces of `piece` bytes.
bundle::SealRequest::GeneratedFile Generated(const std::string& text, std::uint64_t announced, size_t piece = 7001) {
  bundle::SealRequest::GeneratedFile g;
  g.size = announced;
  g.write = [&text, piece](const std::function<Status(std::span<const std::uint8_t>)>& chunk) -> Status {
    for (size_t at = 0; at < text.size(); at += piece) {
      const size_t n = std::min(piece, text.size() - at);
      if (Status s = chunk({reinterpret_cast<const std::uint8_t*>(text.data() + at), n}); !s) return s;
    }
    return Status::Ok();
  };
  return g;
}

struct Bench {
  TempDir tmp;
  Keys keys = MakeKeys(tmp.path(), "examiner");
  std::filesystem::path folder = MakeEvidenceFolder(tmp.path());
  std::filesystem::path out_dir = tmp / "out";
  crypto::SigningIdentity signer;
  Bench() : signer(Load(keys)) {
    std::filesystem::create_directory(out_dir);
    std::filesystem::create_directories(folder / "normalized");
    WriteFile(folder / "normalized" / "timeline.jsonl", "");  // the stand-in
  }
  static crypto::SigningIdentity Load(const Keys& k) {
    auto id = cli::LoadSigningIdentity(io::RealFileSystem(), k.key, k.cert);
    REQUIRE(id);
    return std::move(*id);
  }
  bundle::SealRequest Request(const std::filesystem::path& out) const {
    bundle::SealRequest r;
    r.source_dir = folder;
    r.out = out;
    r.case_id = "IR-2026-014";
    r.examiner = "Test Examiner";
    r.signer = &signer;
    r.sealed_at = UtcSeconds{std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::system_clock::now().time_since_epoch())};
    r.tool = cli::CurrentToolInfo();
    return r;
  }
};

// The tar's entries by path below the top folder, for files only.
std::map<std::string, std::string> Files(const std::filesystem::path& tar) {
  std::map<std::string, std::string> out;
  for (const TarEntry& e : ReadTar(tar)) {
    if (e.directory) continue;
    out[e.path.substr(e.path.find('/') + 1)] = e.contents;
  }
  return out;
}

}  // namespace

TEST_CASE("a generated payload file seals as a real file of the same bytes would, and verifies", "[seal]") {
  Bench b;
  const std::string text = Bytes();
  bundle::SealRequest streamed = b.Request(b.out_dir / "streamed.tar");
  streamed.generated["normalized/timeline.jsonl"] = Generated(text, text.size());
  auto sealed = bundle::Seal(io::RealFileSystem(), streamed);
  INFO((sealed ? std::string() : sealed.error().message()));
  REQUIRE(sealed);
  CHECK(sealed->payload_bytes > text.size());
  // The stand-in is untouched: the bytes went into the bundle only.
  CHECK(std::filesystem::file_size(b.folder / "normalized" / "timeline.jsonl") == 0);

  // The same folder with the bytes in the file, sealed the ordinary way at the same time.
  WriteFile(b.folder / "normalized" / "timeline.jsonl", text);
  bundle::SealRequest plain = b.Request(b.out_dir / "plain.tar");
  plain.sealed_at = streamed.sealed_at;
  auto plain_sealed = bundle::Seal(io::RealFileSystem(), plain);
  REQUIRE(plain_sealed);
  CHECK(plain_sealed->payload_bytes == sealed->payload_bytes);
  CHECK(plain_sealed->payload_files == sealed->payload_files);
  CHECK(plain_sealed->bundle_id == sealed->bundle_id);  // it commits to the manifest's digest

  const auto a = Files(b.out_dir / "streamed.tar");
  const auto c = Files(b.out_dir / "plain.tar");
  CHECK(a.at("data/normalized/timeline.jsonl") == text);
  CHECK(a.at("manifest-sha256.txt") == c.at("manifest-sha256.txt"));
  CHECK(a.at("bag-info.txt") == c.at("bag-info.txt"));
  CHECK(a.size() == c.size());

  CliResult v = RunCli({"verify", (b.out_dir / "streamed.tar").string(), "--trusted-cert", b.keys.cert.string()});
  INFO(v.out + v.err);
  CHECK(v.code == cli::kExitOk);
}

TEST_CASE("a generated file that gives fewer or more bytes than announced fails the seal, leaving nothing",
          "[seal]") {
  Bench b;
  const std::string text = Bytes();
  const auto out = b.out_dir / "bundle.tar";
  bundle::SealRequest r = b.Request(out);
  std::string expect;
  SECTION("fewer") {
    r.generated["normalized/timeline.jsonl"] = Generated(text, text.size() + 1);
    expect = "normalized/timeline.jsonl: " + std::to_string(text.size()) + " bytes, not the " +
             std::to_string(text.size() + 1) + " announced";
  }
  SECTION("more") {
    r.generated["normalized/timeline.jsonl"] = Generated(text, text.size() - 1);
    expect = "normalized/timeline.jsonl: more bytes than the " + std::to_string(text.size() - 1) + " announced";
  }
  auto sealed = bundle::Seal(io::RealFileSystem(), r);
  REQUIRE_FALSE(sealed);
  CHECK(sealed.error().code() == ErrorCode::kInternal);
  CHECK(sealed.error().message() == expect);
  CHECK(Names(b.out_dir).empty());  // not even a temporary file beside --out
}

TEST_CASE("a generated file's own error stops the seal as it is, leaving nothing", "[seal]") {
  Bench b;
  bundle::SealRequest r = b.Request(b.out_dir / "bundle.tar");
  bundle::SealRequest::GeneratedFile g;
  g.size = 10;
  g.write = [](const std::function<Status(std::span<const std::uint8_t>)>& chunk) -> Status {
    const std::uint8_t five[5] = {'a', 'b', 'c', 'd', 'e'};
    if (Status s = chunk(five); !s) return s;
    return Error(ErrorCode::kIo, "read run file: Input/output error (test)");
  };
  r.generated["normalized/timeline.jsonl"] = g;
  auto sealed = bundle::Seal(io::RealFileSystem(), r);
  REQUIRE_FALSE(sealed);
  CHECK(sealed.error().code() == ErrorCode::kIo);
  CHECK(sealed.error().message() == "read run file: Input/output error (test)");
  CHECK(Names(b.out_dir).empty());  // not even a temporary file beside --out
}

TEST_CASE("a generated file needs an empty stand-in in the folder", "[seal]") {
  Bench b;
  const std::string text = "line\n";
  bundle::SealRequest r = b.Request(b.out_dir / "bundle.tar");
  std::string expect;
  SECTION("no stand-in") {
    r.generated["normalized/other.jsonl"] = Generated(text, text.size());
    expect = "seal: a generated file has no empty stand-in in " + b.folder.string();
  }
  SECTION("a stand-in that holds bytes") {
    WriteFile(b.folder / "normalized" / "timeline.jsonl", "x");
    r.generated["normalized/timeline.jsonl"] = Generated(text, text.size());
    expect = "seal: " + (b.folder / "normalized/timeline.jsonl").string() +
             " should be an empty file standing in for generated bytes";
  }
  SECTION("a folder in its place") {
    r.generated["normalized"] = Generated(text, text.size());
    expect = "seal: " + (b.folder / "normalized").string() + " should be an empty file standing in for generated bytes";
  }
  SECTION("no writer") {
    r.generated["normalized/timeline.jsonl"] = bundle::SealRequest::GeneratedFile{};
    expect = "seal: no writer for normalized/timeline.jsonl";
  }
  auto sealed = bundle::Seal(io::RealFileSystem(), r);
  REQUIRE_FALSE(sealed);
  CHECK(sealed.error().code() == ErrorCode::kInternal);
  CHECK(sealed.error().message() == expect);
  CHECK(Names(b.out_dir).empty());  // not even a temporary file beside --out
}
