#include "server/fixtures.h"

#include <dirent.h>

#include <algorithm>
#include <cstdio>

namespace custody::sim {
namespace {

constexpr const char* kJson = "application/json;charset=UTF-8";

bool ReadAll(const std::string& path, std::string* out) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return false;
  char buf[65536];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out->append(buf, n);
  const bool ok = std::ferror(f) == 0;
  std::fclose(f);
  return ok;
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

Result<std::unique_ptr<Fixtures>> Fixtures::Load(const std::string& dir) {
  auto fx = std::make_unique<Fixtures>();
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return Error(ErrorCode::kNotFound, "custody-sim: --fixtures " + dir + ": cannot open the folder");
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name.empty() || name[0] == '.') continue;
    std::string body;
    if (!ReadAll(dir + "/" + name, &body)) {
      closedir(d);
      return Error(ErrorCode::kIo, "custody-sim: --fixtures: cannot read " + dir + "/" + name);
    }
    fx->files_[name] = std::move(body);
  }
  closedir(d);
  for (const char* needed : {"simple-salesforce-token-response.json", "beats-eventlogfile-login-query-response.json",
                             "beats-eventlogfile-login-logfile-2rows.csv", "elastic-mock-empty-query-response.json"}) {
    if (fx->files_.count(needed) == 0) {
      return Error(ErrorCode::kNotFound, std::string("custody-sim: --fixtures ") + dir + " lacks " + needed +
                                             " (expected ../shared/fixtures/salesforce/real)");
    }
  }
  return fx;
}

bool Fixtures::Serve(const std::string& name, const char* content_type, httplib::Response& res, int status) const {
  auto it = files_.find(name);
  if (it == files_.end()) {
    res.status = 404;
    res.set_content("[{\"message\":\"The requested resource does not exist\",\"errorCode\":\"NOT_FOUND\"}]", kJson);
    return false;
  }
  res.status = status;
  res.set_content(it->second, content_type);
  return true;
}

void Fixtures::ServeRaw(const std::string& name, httplib::Response& res) const {
  const bool csv = name.size() > 4 && name.substr(name.size() - 4) == ".csv";
  Serve(name, csv ? "text/csv" : kJson, res);
}

void Fixtures::Token(httplib::Response& res) const { Serve("simple-salesforce-token-response.json", kJson, res); }

void Fixtures::Api(const httplib::Request& req, httplib::Response& res, const std::vector<std::string_view>& parts) {
  const std::vector<std::string_view> rest(parts.begin() + 3, parts.end());
  const bool v56 = parts[2] == "v56.0";  // the Elastic mock's samples were recorded at v56.0
  if (rest.size() == 1 && rest[0] == "limits") {
    Serve("simple-salesforce-limits-response.json", kJson, res);
  } else if (rest.size() == 1 && (rest[0] == "query" || rest[0] == "queryAll")) {
    const std::string q = Upper(req.get_param_value("q"));
    auto from = [&](const char* object) { return q.find(std::string("FROM ") + object) != std::string::npos; };
    if (from("EVENTLOGFILE")) {
      Serve(v56 ? "elastic-mock-eventlogfile-login-query-response.json" : "beats-eventlogfile-login-query-response.json",
            kJson, res);
    } else if (from("LOGINEVENT")) {
      Serve(v56 ? "elastic-mock-loginevent-query-response.json" : "beats-loginevent-query-response.json", kJson, res);
    } else if (from("LOGOUTEVENT")) {
      Serve("elastic-mock-logoutevent-query-response.json", kJson, res);
    } else if (from("QUERYTIMEOUT")) {
      Serve("elastic-mock-error-query-timeout.json", kJson, res, 500);
    } else {
      Serve("elastic-mock-empty-query-response.json", kJson, res);
    }
  } else if (rest.size() == 4 && rest[0] == "sobjects" && rest[1] == "EventLogFile" && rest[3] == "LogFile") {
    const char* name = rest[2] == "0AT5j00002GVrfnGAD"   ? "elastic-mock-eventlogfile-login-logfile.csv"
                       : rest[2] == "0AT5j00002GWEsRGAX" ? "elastic-mock-eventlogfile-logout-logfile.csv"
                       : rest[2] == "0AT5j00002LqQTxGAN" ? "beats-eventlogfile-login-logfile-2rows.csv"
                                                         : "";
    Serve(name, "application/octetstream", res);
  } else if (rest.size() == 2 && rest[0] == "jobs" && rest[1] == "query" && req.method == "POST") {
    bulk_polls_ = 0;
    Serve("simple-salesforce-bulk2-query-job-create-response.json", kJson, res);
  } else if (rest.size() == 3 && rest[0] == "jobs" && rest[1] == "query" && req.method == "GET") {
    Serve(bulk_polls_++ == 0 ? "simple-salesforce-bulk2-query-job-inprogress.json"
                             : "simple-salesforce-bulk2-query-job-complete.json",
          kJson, res);
  } else if (rest.size() == 4 && rest[0] == "jobs" && rest[3] == "results") {
    if (Serve("simple-salesforce-bulk2-query-results.csv", "text/csv", res)) {
      res.set_header("Sforce-NumberOfRecords", "4");
      res.set_header("Sforce-Locator", "null");
    }
  } else {
    res.status = 404;
    res.set_content("[{\"message\":\"The requested resource does not exist\",\"errorCode\":\"NOT_FOUND\"}]", kJson);
  }
}

}  // namespace custody::sim
