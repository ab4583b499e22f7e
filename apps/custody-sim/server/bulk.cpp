#include "server/bulk.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

#include "server/oauth.h"

namespace custody::sim {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

BulkAnswer ErrorAnswer(int status, std::string_view code, std::string_view message) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartArray();
  w.StartObject();
  w.Key("errorCode");
  w.String(code.data(), static_cast<rapidjson::SizeType>(code.size()));
  w.Key("message");
  w.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
  w.EndObject();
  w.EndArray();
  BulkAnswer a;
  a.status = status;
  a.body = buf.GetString();
  return a;
}

std::string JobId(uint64_t serial) {
  static const char* kChars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string s = "7505f000000";
  std::string tail(4, '0');
  for (size_t i = 4; i > 0; --i) {
    tail[i - 1] = kChars[serial % 62];
    serial /= 62;
  }
  return s + tail + "IAA";
}

}  // namespace

uint64_t BulkJobs::JobsCreated() const {
  std::lock_guard lock(mu_);
  return created_;
}

std::string BulkJobs::JobJson(const Job& job, bool full) const {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("id"); w.String(job.id.c_str());
  w.Key("operation"); w.String(job.operation.c_str());
  w.Key("object"); w.String(job.object.c_str());
  w.Key("createdById"); w.String(job.created_by.c_str());
  w.Key("createdDate"); w.String(FormatSfDateTime(job.created).c_str());
  w.Key("systemModstamp"); w.String(FormatSfDateTime(job.created + job.polls * 1000).c_str());
  w.Key("state"); w.String(job.state.c_str());
  w.Key("concurrencyMode"); w.String("Parallel");
  w.Key("contentType"); w.String("CSV");
  w.Key("apiVersion"); w.RawNumber(job.version.c_str(), static_cast<rapidjson::SizeType>(job.version.size()));
  if (full) {
    w.Key("jobType"); w.String("V2Query");
    w.Key("lineEnding"); w.String("LF");
    w.Key("columnDelimiter"); w.String("COMMA");
    w.Key("numberRecordsProcessed");
    w.Uint64(job.state == "JobComplete" && job.result ? job.result->total_size() : 0);
    w.Key("retries"); w.Int(0);
    w.Key("totalProcessingTime"); w.Int(job.state == "JobComplete" ? 1250 : 0);
  } else {
    w.Key("lineEnding"); w.String("LF");
    w.Key("columnDelimiter"); w.String("COMMA");
  }
  w.EndObject();
  return buf.GetString();
}

BulkAnswer BulkJobs::Handle(const BulkContext& ctx, const std::string& method, const std::vector<std::string_view>& path,
                            const std::string& body, const std::multimap<std::string, std::string>& params) {
  if (path.empty() && method == "POST") {
    rapidjson::Document d;
    if (d.Parse(body.c_str()).HasParseError() || !d.IsObject()) {
      return ErrorAnswer(400, "JSON_PARSER_ERROR", "The request body is not valid JSON");
    }
    auto str = [&](const char* k, const char* def) -> std::string {
      return d.HasMember(k) && d[k].IsString() ? d[k].GetString() : def;
    };
    const std::string operation = str("operation", "");
    if (operation != "query" && operation != "queryAll") {
      return ErrorAnswer(400, "INVALIDJOB", "InvalidJob : Invalid operation: '" + operation + "'. Use query or queryAll.");
    }
    if (str("contentType", "CSV") != "CSV" || str("columnDelimiter", "COMMA") != "COMMA" ||
        str("lineEnding", "LF") != "LF") {
      return ErrorAnswer(400, "INVALIDJOB",
                         "custody-sim serves Bulk API 2.0 results as CSV with COMMA delimiters and LF line endings only");
    }
    const std::string query = str("query", "");
    QueryOptions qo;
    qo.all_rows = operation == "queryAll";
    qo.now = ctx.data_now;
    qo.view_all_data = ctx.user.view_all_data;
    qo.api_version = ctx.version;
    auto run = ctx.engine.Run(query, qo);
    if (auto* err = std::get_if<SoqlError>(&run)) return ErrorAnswer(400, err->error_code, err->message);
    std::shared_ptr<const QueryResult> result = std::get<0>(std::move(run));
    const Table* table = ctx.org.FindTable(result->object_name());
    if (table != nullptr && table->def().rule != QueryRule::kGeneral) {
      return ErrorAnswer(400, "INVALIDENTITY", "Entity '" + result->object_name() + "' is not supported by the Bulk API.");
    }
    if (result->is_count()) {
      return ErrorAnswer(400, "INVALIDJOB", "InvalidJob : Aggregate queries are not supported by Bulk API 2.0 query jobs");
    }
    std::lock_guard lock(mu_);
    Job job;
    job.serial = ++created_;
    job.id = JobId(job.serial);
    job.operation = operation;
    job.object = result->object_name();
    job.version = ctx.version;
    job.created_by = ctx.user.id;
    job.created = ctx.wall_now / 1000 * 1000;
    job.state = "UploadComplete";
    job.result = std::move(result);
    while (jobs_.size() >= kMaxJobs) {
      auto oldest = std::min_element(jobs_.begin(), jobs_.end(),
                                     [](const auto& a, const auto& b) { return a.second.serial < b.second.serial; });
      jobs_.erase(oldest);
    }
    BulkAnswer a;
    a.body = JobJson(job, false);
    jobs_[job.id] = std::move(job);
    return a;
  }
  if (path.empty() && method == "GET") {
    std::lock_guard lock(mu_);
    std::string out = "{\"done\":true,\"records\":[";
    bool first = true;
    for (const auto& [id, job] : jobs_) {
      if (!first) out += ",";
      first = false;
      out += JobJson(job, false);
    }
    out += "]}";
    BulkAnswer a;
    a.body = out;
    return a;
  }
  if (path.empty()) return ErrorAnswer(405, "METHOD_NOT_ALLOWED", "HTTP Method '" + method + "' not allowed. Allowed are GET,POST");
  std::lock_guard lock(mu_);
  auto it = jobs_.find(path[0]);
  if (it == jobs_.end()) return ErrorAnswer(404, "NOT_FOUND", "The requested resource does not exist");
  Job& job = it->second;
  if (path.size() == 1) {
    if (method == "GET") {
      // Each poll moves the job on: UploadComplete -> InProgress -> JobComplete.
      ++job.polls;
      if (job.state == "UploadComplete") job.state = "InProgress";
      else if (job.state == "InProgress") job.state = "JobComplete";
      BulkAnswer a;
      a.body = JobJson(job, true);
      return a;
    }
    if (method == "PATCH") {
      rapidjson::Document d;
      if (d.Parse(body.c_str()).HasParseError() || !d.IsObject() || !d.HasMember("state") || !d["state"].IsString() ||
          std::string_view(d["state"].GetString()) != "Aborted") {
        return ErrorAnswer(400, "INVALIDJOBSTATE", "A query job can only be set to the state Aborted");
      }
      if (job.state == "JobComplete") {
        return ErrorAnswer(400, "INVALIDJOBSTATE", "Aborting already Completed Job not allowed");
      }
      job.state = "Aborted";
      BulkAnswer a;
      a.body = JobJson(job, false);
      return a;
    }
    if (method == "DELETE") {
      jobs_.erase(it);
      BulkAnswer a;
      a.status = 204;
      a.content_type = "text/plain";
      return a;
    }
  }
  if (path.size() == 2 && path[1] == "results" && method == "GET") {
    if (job.version != ctx.version) {
      return ErrorAnswer(409, "API_VERSION_MISMATCH",
                         "Job " + job.id + " was created with API version " + job.version +
                             "; fetch its results with the same version, not " + ctx.version);
    }
    if (job.state != "JobComplete") {
      std::string status = job.state == "InProgress" ? "IN_PROGRESS" : job.state == "Aborted" ? "ABORTED" : "UPLOAD_COMPLETE";
      return ErrorAnswer(412, "JOB_NOT_COMPLETE",
                         "can only download query results of successfully completed bulk job with status: "
                         "JOB_COMPLETE. Current status: " + status);
    }
    uint64_t offset = 0;
    auto loc = params.find("locator");
    if (loc != params.end() && !loc->second.empty()) {
      std::string decoded;
      if (!Base64UrlDecode(loc->second, &decoded) || decoded.empty() ||
          !std::all_of(decoded.begin(), decoded.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
          decoded.size() > 18) {
        return ErrorAnswer(400, "INVALID_QUERY_LOCATOR", "Invalid locator: " + loc->second);
      }
      offset = std::stoull(decoded);
    }
    uint64_t max_records = kDefaultMaxRecords;
    auto mr = params.find("maxRecords");
    if (mr != params.end()) {
      const std::string& v = mr->second;
      if (v.empty() || v.size() > 9 || !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
          std::stoull(v) == 0) {
        return ErrorAnswer(400, "INVALIDPARAMETER", "maxRecords must be a positive whole number");
      }
      max_records = std::stoull(v);
    }
    const uint64_t total = job.result->total_size();
    if (offset > total) return ErrorAnswer(400, "INVALID_QUERY_LOCATOR", "Invalid locator: " + loc->second);
    const uint64_t count = std::min(max_records, total - offset);
    BulkAnswer a;
    a.content_type = "text/csv";
    job.result->AppendCsvHeader(&a.body);
    job.result->AppendCsvRows(offset, count, &a.body);
    a.rows = job.result;
    a.rows_offset = offset;
    a.rows_count = count;
    a.headers.emplace_back("Sforce-NumberOfRecords", std::to_string(count));
    a.headers.emplace_back("Sforce-Locator",
                           offset + count < total ? Base64UrlEncode(std::to_string(offset + count)) : "null");
    return a;
  }
  return ErrorAnswer(404, "NOT_FOUND", "The requested resource does not exist");
}

}  // namespace custody::sim
