#include "case_config.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <toml++/toml.h>

namespace custody::cli {

namespace {

const toml::table& TableOf(const std::shared_ptr<const void>& p) { return *static_cast<const toml::table*>(p.get()); }

std::string Where(const std::filesystem::path& file, int line) {
  return file.string() + (line > 0 ? ":" + std::to_string(line) : "");
}

const std::set<std::string> kCaseKeys = {"id", "examiner", "since", "until", "out", "key", "cert", "work_dir", "ca_file"};
const std::set<std::string> kTypes = {"salesforce", "fhir", "mirth", "http-json"};

std::string TypeName(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::array: return "an array";
    case toml::node_type::table: return "a table";
    default: return "a date or time";
  }
}

}  // namespace

SourceSection::SourceSection(std::filesystem::path file, std::shared_ptr<const void> table, std::string name,
                             std::string type, int line)
    : file_(std::move(file)), table_(std::move(table)), name_(std::move(name)), type_(std::move(type)), line_(line) {}

int SourceSection::LineOf(const std::string& key) const {
  const toml::node* n = TableOf(table_).get(key);
  return n != nullptr ? static_cast<int>(n->source().begin.line) : line_;
}

Error SourceSection::Fail(const std::string& key, const std::string& what) const {
  return Error(ErrorCode::kInvalidArgument, Where(file_, key.empty() ? line_ : LineOf(key)) + ": source '" + name_ +
                                                "': " + what);
}

Result<std::optional<std::string>> SourceSection::String(const std::string& key) const {
  const toml::node* n = TableOf(table_).get(key);
  if (n == nullptr) return std::optional<std::string>();
  if (!n->is_string()) return Fail(key, key + " must be a string, not " + TypeName(*n));
  return std::optional<std::string>(n->value<std::string>().value_or(""));
}

Result<std::string> SourceSection::RequiredString(const std::string& key) const {
  auto v = String(key);
  if (!v) return v.error();
  if (!v->has_value() || (*v)->empty()) return Fail("", key + " is required for a " + type_ + " source");
  return **v;
}

Result<std::optional<std::int64_t>> SourceSection::Integer(const std::string& key) const {
  const toml::node* n = TableOf(table_).get(key);
  if (n == nullptr) return std::optional<std::int64_t>();
  if (!n->is_integer()) return Fail(key, key + " must be an integer, not " + TypeName(*n));
  return std::optional<std::int64_t>(n->value<std::int64_t>().value_or(0));
}

Result<std::optional<bool>> SourceSection::Boolean(const std::string& key) const {
  const toml::node* n = TableOf(table_).get(key);
  if (n == nullptr) return std::optional<bool>();
  if (!n->is_boolean()) return Fail(key, key + " must be true or false, not " + TypeName(*n));
  return std::optional<bool>(n->value<bool>().value_or(false));
}

Result<std::optional<std::vector<std::string>>> SourceSection::StringList(const std::string& key) const {
  const toml::node* n = TableOf(table_).get(key);
  if (n == nullptr) return std::optional<std::vector<std::string>>();
  std::vector<std::string> out;
  if (n->is_string()) {
    out.push_back(n->value<std::string>().value_or(""));
    return std::optional<std::vector<std::string>>(std::move(out));
  }
  const toml::array* a = n->as_array();
  if (a == nullptr) return Fail(key, key + " must be a string or an array of strings, not " + TypeName(*n));
  for (const toml::node& item : *a) {
    if (!item.is_string()) return Fail(key, key + " must hold strings only");
    out.push_back(item.value<std::string>().value_or(""));
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

Result<std::optional<std::string>> SourceSection::Path(const std::string& key) const {
  auto v = String(key);
  if (!v || !v->has_value()) return v;
  std::filesystem::path p(**v);
  if (p.is_relative()) p = file_.parent_path() / p;
  return std::optional<std::string>(p.string());
}

Result<std::optional<std::string>> SourceSection::Secret(const std::string& key) const {
  const toml::node* n = TableOf(table_).get(key);
  if (n == nullptr) return std::optional<std::string>();
  const toml::table* ref = n->as_table();
  if (ref == nullptr) {
    // Never echo the value: it may be the secret itself.
    return Fail(key, key + " must be a reference, { env = \"NAME\" } or { file = \"PATH\" }: secrets are never "
                           "written in the case file");
  }
  const toml::node* env = ref->get("env");
  const toml::node* file = ref->get("file");
  if ((env == nullptr) == (file == nullptr) || ref->size() != 1) {
    return Fail(key, key + " must hold exactly one of env or file");
  }
  if (env != nullptr) {
    if (!env->is_string()) return Fail(key, key + ".env must be a string");
    const std::string name = env->value<std::string>().value_or("");
    const char* value = std::getenv(name.c_str());
    if (value == nullptr || *value == '\0') {
      return Fail(key, key + " refers to the environment variable " + name + ", which is not set");
    }
    return std::optional<std::string>(value);
  }
  if (!file->is_string()) return Fail(key, key + ".file must be a string");
  std::filesystem::path p(file->value<std::string>().value_or(""));
  if (p.is_relative()) p = file_.parent_path() / p;
  std::ifstream in(p, std::ios::binary);
  if (!in) return Fail(key, key + " refers to the file " + p.string() + ", which cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  std::string value = text.str();
  if (!value.empty() && value.back() == '\n') value.pop_back();
  if (!value.empty() && value.back() == '\r') value.pop_back();
  if (value.empty()) return Fail(key, key + " refers to the file " + p.string() + ", which is empty");
  return std::optional<std::string>(std::move(value));
}

Result<std::optional<SourceSection>> SourceSection::Table(const std::string& key) const {
  const toml::node* n = TableOf(table_).get(key);
  if (n == nullptr) return std::optional<SourceSection>();
  const toml::table* t = n->as_table();
  if (t == nullptr) return Fail(key, key + " must be a table, not " + TypeName(*n));
  return std::optional<SourceSection>(SourceSection(file_, std::shared_ptr<const void>(table_, t), name_, type_,
                                                    static_cast<int>(n->source().begin.line)));
}

std::string SourceSection::KindOf(const std::string& key) const {
  const toml::node* n = TableOf(table_).get(key);
  if (n == nullptr) return "";
  switch (n->type()) {
    case toml::node_type::string: return "string";
    case toml::node_type::integer: return "integer";
    case toml::node_type::floating_point: return "float";
    case toml::node_type::boolean: return "boolean";
    case toml::node_type::array: return "array";
    case toml::node_type::table: return "table";
    default: return "datetime";
  }
}

Status SourceSection::CheckKeys(const std::set<std::string>& known) const {
  for (auto&& [k, v] : TableOf(table_)) {
    const std::string key(k.str());
    if (known.count(key) == 0) {
      std::string list;
      for (const auto& s : known) list += (list.empty() ? "" : ", ") + s;
      return Error(ErrorCode::kInvalidArgument, Where(file_, static_cast<int>(v.source().begin.line)) +
                                                    ": source '" + name_ + "': unknown setting '" + key +
                                                    "' for a " + type_ + " source (known: " + list + ")");
    }
  }
  return Status::Ok();
}

Result<CaseConfig> LoadCaseConfig(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    return Error(ErrorCode::kInvalidArgument, "--config " + file.string() + ": no such file");
  }
  auto root = std::make_shared<toml::table>();
  try {
    *root = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    return Error(ErrorCode::kInvalidArgument, Where(file, static_cast<int>(e.source().begin.line)) + ": " +
                                                  std::string(e.description()));
  }
  CaseConfig config;
  config.file = file;
  for (auto&& [k, v] : *root) {
    const std::string key(k.str());
    if (key != "case" && key != "source") {
      return Error(ErrorCode::kInvalidArgument, Where(file, static_cast<int>(v.source().begin.line)) +
                                                    ": unknown top-level setting '" + key +
                                                    "' (a case file has a [case] table and [[source]] tables)");
    }
  }
  if (const toml::node* c = root->get("case")) {
    const toml::table* t = c->as_table();
    if (t == nullptr) {
      return Error(ErrorCode::kInvalidArgument,
                   Where(file, static_cast<int>(c->source().begin.line)) + ": case must be a table ([case])");
    }
    for (auto&& [k, v] : *t) {
      const std::string key(k.str());
      const int line = static_cast<int>(v.source().begin.line);
      if (kCaseKeys.count(key) == 0) {
        return Error(ErrorCode::kInvalidArgument, Where(file, line) + ": unknown [case] setting '" + key + "'");
      }
      if (!v.is_string()) {
        return Error(ErrorCode::kInvalidArgument,
                     Where(file, line) + ": [case] " + key + " must be a string, not " + TypeName(v));
      }
      std::string value = v.value<std::string>().value_or("");
      // Paths in the case file are relative to its folder, wherever custody runs from.
      if ((key == "out" || key == "key" || key == "cert" || key == "work_dir" || key == "ca_file") &&
          std::filesystem::path(value).is_relative()) {
        value = (file.parent_path() / value).string();
      }
      if (key == "id") config.case_id = value;
      if (key == "examiner") config.examiner = value;
      if (key == "since") config.since = value;
      if (key == "until") config.until = value;
      if (key == "out") config.out = value;
      if (key == "key") config.key = value;
      if (key == "cert") config.cert = value;
      if (key == "work_dir") config.work_dir = value;
      if (key == "ca_file") config.ca_file = value;
    }
  }
  const toml::node* sources = root->get("source");
  if (sources == nullptr) {
    return Error(ErrorCode::kInvalidArgument, file.string() + ": no [[source]] table: name at least one source");
  }
  const toml::array* list = sources->as_array();
  if (list == nullptr || !list->is_array_of_tables()) {
    return Error(ErrorCode::kInvalidArgument, Where(file, static_cast<int>(sources->source().begin.line)) +
                                                  ": sources are [[source]] tables");
  }
  std::set<std::string> names;
  for (const toml::node& n : *list) {
    const toml::table& t = *n.as_table();
    const int line = static_cast<int>(t.source().begin.line);
    const toml::node* name = t.get("name");
    const toml::node* type = t.get("type");
    if (name == nullptr || !name->is_string() || name->value<std::string>().value_or("").empty()) {
      return Error(ErrorCode::kInvalidArgument, Where(file, line) + ": a [[source]] needs a name (a string)");
    }
    const std::string n_name = name->value<std::string>().value_or("");
    for (char ch : n_name) {
      const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
                      ch == '_' || ch == '.';
      if (!ok || n_name == "." || n_name == ".." || n_name == "normalized") {
        return Error(ErrorCode::kInvalidArgument,
                     Where(file, static_cast<int>(name->source().begin.line)) + ": source name '" + n_name +
                         "' must be letters, digits, '-', '_' or '.' (it names a folder in the bundle)");
      }
    }
    if (!names.insert(n_name).second) {
      return Error(ErrorCode::kInvalidArgument, Where(file, static_cast<int>(name->source().begin.line)) +
                                                    ": a second source named '" + n_name + "'");
    }
    if (type == nullptr || !type->is_string() || kTypes.count(type->value<std::string>().value_or("")) == 0) {
      return Error(ErrorCode::kInvalidArgument,
                   Where(file, type != nullptr ? static_cast<int>(type->source().begin.line) : line) + ": source '" +
                       n_name + "': type must be one of salesforce, fhir, mirth");
    }
    // The table stays inside the parsed document (a copy would lose its line numbers).
    config.sources.emplace_back(file, std::shared_ptr<const void>(root, &t), n_name,
                                type->value<std::string>().value_or(""), line);
  }
  if (config.sources.size() > 200) {
    return Error(ErrorCode::kInvalidArgument, file.string() + ": more than 200 sources in one case file");
  }
  return config;
}

}  // namespace custody::cli
