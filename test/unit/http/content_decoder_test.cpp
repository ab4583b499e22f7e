#include "http/content_decoder.h"

#include <catch2/catch.hpp>
#include <zlib.h>

#include <string>

#include "unit/http/http_test_servers.h"

using custody::Error;
using custody::ErrorCode;
using custody::Status;
using custody::http::internal::InflateDecoder;
using custody::http::internal::IsInflateCoding;
using custody::http::test::Gzip;

namespace {

std::span<const std::uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

struct Collected {
  std::string out;
  size_t pieces = 0;
  size_t largest = 0;
  InflateDecoder::Output Sink() {
    return [this](std::span<const std::uint8_t> p) {
      out.append(reinterpret_cast<const char*>(p.data()), p.size());
      ++pieces;
      largest = std::max(largest, p.size());
      return Status::Ok();
    };
  }
};

// Feeds `in` in pieces of `step` bytes.
Status Feed(InflateDecoder& d, const std::string& in, size_t step, Collected& c) {
  for (size_t o = 0; o < in.size(); o += step) {
    Status s = d.Write(Bytes(std::string_view(in).substr(o, step)), c.Sink());
    if (!s) return s;
  }
  return Status::Ok();
}

std::string Zlib(const std::string& data) {
  uLongf size = compressBound(data.size());
  std::string out(size, '\0');
  REQUIRE(compress(reinterpret_cast<Bytef*>(out.data()), &size, reinterpret_cast<const Bytef*>(data.data()),
                   data.size()) == Z_OK);
  out.resize(size);
  return out;
}

}  // namespace

TEST_CASE("the decoder restores gzip input fed whole or a byte at a time", "[http][gzip]") {
  std::string original;
  for (int i = 0; i < 20000; ++i) original += "line " + std::to_string(i) + "\n";
  const std::string gz = Gzip(original);
  for (size_t step : {gz.size(), size_t{1}, size_t{7}, size_t{4096}}) {
    INFO(step);
    auto d = InflateDecoder::Create();
    REQUIRE(d);
    Collected c;
    REQUIRE(Feed(*d, gz, step, c).ok());
    CHECK(c.out == original);
    CHECK(d->Finished());
    CHECK(d->consumed() == gz.size());
  }
}

TEST_CASE("a highly compressed body comes out in bounded pieces, all of it", "[http][gzip]") {
  const std::string original(20u << 20, '\0');
  const std::string gz = Gzip(original);
  REQUIRE(gz.size() < 100000);
  auto d = InflateDecoder::Create();
  REQUIRE(d);
  Collected c;
  REQUIRE(d->Write(Bytes(gz), c.Sink()).ok());
  CHECK(c.out.size() == original.size());
  CHECK(c.out == original);
  CHECK(c.largest <= (256u << 10));
  CHECK(d->Finished());
}

TEST_CASE("the decoder reads zlib-wrapped deflate and concatenated gzip members", "[http][gzip]") {
  {
    auto d = InflateDecoder::Create();
    Collected c;
    REQUIRE(d->Write(Bytes(Zlib("deflated text")), c.Sink()).ok());
    CHECK(c.out == "deflated text");
    CHECK(d->Finished());
  }
  {
    auto d = InflateDecoder::Create();
    Collected c;
    REQUIRE(Feed(*d, Gzip("first,") + Gzip("second"), 3, c).ok());
    CHECK(c.out == "first,second");
    CHECK(d->Finished());
  }
}

TEST_CASE("a gzip stream cut short is not Finished", "[http][gzip]") {
  const std::string gz = Gzip(std::string(100000, 'a') + "tail");
  auto d = InflateDecoder::Create();
  Collected c;
  REQUIRE(d->Write(Bytes(std::string_view(gz).substr(0, gz.size() - 4)), c.Sink()).ok());  // no ISIZE
  CHECK_FALSE(d->Finished());
  auto fresh = InflateDecoder::Create();
  CHECK(fresh->Finished());  // nothing fed: an empty body is complete
}

TEST_CASE("corrupt input and trailing garbage are kNetwork errors", "[http][gzip]") {
  std::string gz = Gzip("some body that will be damaged");
  std::string crc = gz;
  crc[crc.size() - 6] ^= 0x01;  // in the CRC32
  for (const std::string& bad : {crc, gz + "garbage", std::string("plainly not gzip")}) {
    auto d = InflateDecoder::Create();
    Collected c;
    const auto s = d->Write(Bytes(bad), c.Sink());
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().code() == ErrorCode::kNetwork);
  }
}

TEST_CASE("an error from the output is returned as is", "[http][gzip]") {
  auto d = InflateDecoder::Create();
  const auto s = d->Write(Bytes(Gzip("x")), [](std::span<const std::uint8_t>) {
    return Status(Error(ErrorCode::kIo, "disk full"));
  });
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().code() == ErrorCode::kIo);
  CHECK(s.error().message() == "disk full");
}

TEST_CASE("IsInflateCoding names the codings the decoder removes", "[http][gzip]") {
  CHECK(IsInflateCoding("gzip"));
  CHECK(IsInflateCoding("GZIP"));
  CHECK(IsInflateCoding("x-gzip"));
  CHECK(IsInflateCoding("deflate"));
  CHECK_FALSE(IsInflateCoding("br"));
  CHECK_FALSE(IsInflateCoding("identity"));
  CHECK_FALSE(IsInflateCoding("gzip, br"));
  CHECK_FALSE(IsInflateCoding(""));
}
