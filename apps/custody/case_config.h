#pragma once
// The case file of `custody collect --config case.toml` (docs/config.md, schemas/config.schema.json):
// a [case] table with the window, case and signing settings, and one [[source]] table per
// Salesforce org or middleware endpoint. Secrets are never values in it: a secret setting is a
// reference, { env = "NAME" } or { file = "PATH" }, resolved when the source is built. Every
// error names the file and the line.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/error.h"

namespace custody::cli {

// One [[source]] table. Getters return kInvalidArgument errors that say
// "<file>:<line>: source '<name>': ..." so the user can go straight to the offending line.
class SourceSection {
 public:
  SourceSection(std::filesystem::path file, std::shared_ptr<const void> table, std::string name, std::string type,
                int line);
  const std::string& name() const { return name_; }
  const std::string& type() const { return type_; }
  int line() const { return line_; }

  Result<std::optional<std::string>> String(const std::string& key) const;
  Result<std::string> RequiredString(const std::string& key) const;
  Result<std::optional<std::int64_t>> Integer(const std::string& key) const;
  Result<std::optional<bool>> Boolean(const std::string& key) const;
  // A string or an array of strings; nullopt when absent.
  Result<std::optional<std::vector<std::string>>> StringList(const std::string& key) const;
  // A secret reference resolved to its value: { env = "NAME" } (the variable must be set and not
  // empty) or { file = "PATH" } (relative to the case file's folder; the file's bytes, one
  // trailing newline removed). A plain string is refused: secrets are never written in the file.
  Result<std::optional<std::string>> Secret(const std::string& key) const;
  // A path setting, relative to the case file's folder.
  Result<std::optional<std::string>> Path(const std::string& key) const;
  // A nested table ([source.paging], or an inline { ... }) as a section of its own: same source
  // name and type, its own keys, errors with its own lines. nullopt when absent.
  Result<std::optional<SourceSection>> Table(const std::string& key) const;
  // A setting's raw TOML node kind, for settings that may take several forms ("string", "integer",
  // "float", "boolean", "array", "table", "datetime"); "" when absent.
  std::string KindOf(const std::string& key) const;
  // An error for the first key that is not in `known`.
  Status CheckKeys(const std::set<std::string>& known) const;
  // "<file>:<line>: source '<name>': <what>", as an error.
  Error Fail(const std::string& key, const std::string& what) const;

 private:
  int LineOf(const std::string& key) const;
  std::filesystem::path file_;
  std::shared_ptr<const void> table_;  // toml::table, kept out of this header
  std::string name_;
  std::string type_;
  int line_ = 0;
};

struct CaseConfig {
  std::filesystem::path file;
  // [case]; each may also come from the command line, which wins.
  std::optional<std::string> case_id, examiner, since, until, out, key, cert, work_dir, ca_file;
  std::vector<SourceSection> sources;
};

// Reads and checks the file's structure (not yet each source's settings: the source builders
// do, with the same line-numbered errors). kNotFound for a missing file, kInvalidArgument for
// anything wrong in it.
Result<CaseConfig> LoadCaseConfig(const std::filesystem::path& file);

}  // namespace custody::cli
