#pragma once
// Helpers shared by the normalize tests: fixtures, getters over maps, CSV rows and JSON pages.

#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/encoding.h"
#include "crypto/digest.h"
#include "normalize/csv_reader.h"
#include "normalize/record.h"
#include "normalize/salesforce_map.h"
#include "support/test_support.h"

namespace custody::normalize::testing {

inline std::string Fixture(const std::string& name) {
  return custody::test::ReadFile(std::filesystem::path(CUSTODY_FIXTURES_DIR) / "salesforce" / "real" / name);
}

// The lines of an NDJSON fixture.
inline std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

using Fields = std::map<std::string, std::string>;

// A getter over a map: what a CSV row gives (every column present, absent values "").
inline FieldGetter MapGetter(const Fields& fields) {
  return [&fields](std::string_view name) -> std::optional<std::string> {
    auto it = fields.find(std::string(name));
    if (it == fields.end()) return std::nullopt;
    return it->second;
  };
}

inline Record MapFields(const RowContext& ctx, const Fields& fields) { return MapSalesforceRow(ctx, MapGetter(fields)); }

inline RowContext Ctx(std::string object, std::string stream = "test", std::string elf_type = "") {
  return RowContext{"salesforce:00D5j000000VI3n", std::move(stream), std::move(object), std::move(elf_type)};
}

// Maps every record of a query response page, with provenance filled like a collector would.
inline std::vector<Record> MapPage(const RowContext& ctx, std::string_view page) {
  std::vector<Record> out;
  const Status s = ForEachQueryRecord(page, [&](const JsonRecordView& view) {
    Record r = MapSalesforceRow(ctx, view.get);
    r.raw_file = "data/raw/salesforce/page-0001.json";
    r.record_index = view.index;
    r.byte_offset = view.byte_offset;
    r.byte_length = view.byte_length;
    r.raw_sha256 = crypto::Sha256Hex(page.substr(view.byte_offset, view.byte_length));
    out.push_back(std::move(r));
    return Status::Ok();
  });
  INFO((s.ok() ? std::string() : s.error().message()));
  REQUIRE(s.ok());
  return out;
}

// One record object as a page.
inline std::string Page(const std::string& record) {
  return "{\"totalSize\":1,\"done\":true,\"records\":[" + record + "]}";
}

inline Record MapJson(const RowContext& ctx, const std::string& record) {
  auto records = MapPage(ctx, Page(record));
  REQUIRE(records.size() == 1);
  return records[0];
}

// Maps the data rows of an ELF CSV (header first), provenance filled.
inline std::vector<Record> MapCsv(const RowContext& ctx, std::string_view text) {
  std::vector<Record> out;
  std::vector<std::string> header;
  CsvReader reader([&](const CsvRow& row) {
    if (row.index == 0) {
      header = row.fields;
      return Status::Ok();
    }
    REQUIRE(row.fields.size() == header.size());
    const auto& fields = row.fields;
    FieldGetter get = [&](std::string_view name) -> std::optional<std::string> {
      for (size_t i = 0; i < header.size(); ++i) {
        if (header[i] == name) return fields[i];
      }
      return std::nullopt;
    };
    Record r = MapSalesforceRow(ctx, get);
    r.raw_file = "data/raw/salesforce/elf/0AT5j00002LqQTxGAN.csv";
    r.record_index = row.index - 1;
    r.byte_offset = row.byte_offset;
    r.byte_length = row.raw.size();
    r.raw_sha256 = crypto::Sha256Hex(row.raw);
    out.push_back(std::move(r));
    return Status::Ok();
  });
  REQUIRE(reader.Feed(AsBytes(text)).ok());
  REQUIRE(reader.Finish().ok());
  return out;
}

}  // namespace custody::normalize::testing
