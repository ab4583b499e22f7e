// MakeOrg: the seeded, generated Salesforce org (population, activity, tables, scenario, answer key).
#include <algorithm>
#include <array>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "elf.h"
#include "model.h"
#include "org/activity_gen.h"
#include "org/ids.h"
#include "org/population.h"
#include "org/records.h"
#include "org/scenarios.h"
#include "org/sim_org.h"
#include "org/tables.h"

namespace custody::sim {
namespace {

using gen::DataObject;
using gen::HistoryObject;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Stands in for the EventLogFile store when there is none: no rows, no files. Never listed by
// Objects() or FindTable(); only what Org::EventLogFiles() returns in that case.
class EmptyElfStore final : public ElfStore {
 public:
  EmptyElfStore() {
    def_.name = "EventLogFile";
    def_.label = "Event Log File";
    def_.label_plural = "Event Log Files";
    def_.key_prefix = "0AT";
    FieldDef id;
    id.name = "Id";
    id.type = FieldType::kId;
    id.label = "Event Log File ID";
    id.nillable = false;
    def_.fields.push_back(id);
  }
  const ObjectDef& def() const override { return def_; }
  uint64_t Count(TimeMs) const override { return 0; }
  Record Row(uint64_t, TimeMs) const override { return Record{&def_, {}, 0}; }
  uint64_t LowerBound(TimeMs, TimeMs) const override { return 0; }
  std::optional<LogFileInfo> FindFile(std::string_view, TimeMs) const override { return std::nullopt; }
  bool Expired(std::string_view, TimeMs) const override { return false; }
  bool Stream(const LogFileInfo&, uint64_t, const ChunkSink&) const override { return false; }

 private:
  ObjectDef def_;
};

class OrgImpl final : public Org {
 public:
  OrgImpl() = default;

  bool Init(const OrgConfig& config, std::string* error) {
    world_ = std::make_unique<gen::World>(config);
    gen::ScenarioActivities injected;
    if (!config.scenario.empty()) {
      if (!gen::BuildScenario(*world_, config.scenario, &scenario_)) {
        if (error != nullptr) {
          std::string names;
          for (const std::string& n : gen::ScenarioList()) names += (names.empty() ? "" : ", ") + n;
          *error = "unknown scenario '" + config.scenario + "'; valid scenarios: " + names;
        }
        return false;
      }
      has_scenario_ = true;
      injected = scenario_.activities;
    }
    gen_ = std::make_unique<gen::Generator>(*world_, std::move(injected));
    elf_ = MakeElfStore(world_->config(), *gen_, world_->user_infos());
    if (!elf_) empty_elf_ = std::make_unique<EmptyElfStore>();
    BuildTables();
    if (has_scenario_) {
      gen::LogAvailability logs;
      logs.shield = world_->config().shield;
      logs.elf_store = elf_ != nullptr;
      logs.event_monitoring = world_->config().event_monitoring;
      answer_key_ = gen::AnswerKeyJson(*world_, scenario_, logs);
    }
    return true;
  }

  const OrgConfig& config() const override { return world_->config(); }
  std::vector<const ObjectDef*> Objects() const override { return objects_; }
  const Table* FindTable(std::string_view object_name) const override {
    const std::string key = Lower(object_name);
    const auto it = std::lower_bound(index_.begin(), index_.end(), key,
                                     [](const auto& entry, const std::string& k) { return entry.first < k; });
    return it != index_.end() && it->first == key ? it->second : nullptr;
  }
  std::optional<Record> FindById(std::string_view id, TimeMs now) const override;
  const std::vector<UserInfo>& Users() const override { return world_->user_infos(); }
  const UserInfo* FindUserByUsername(std::string_view username) const override {
    const std::string key = Lower(username);
    for (const UserInfo& u : world_->user_infos()) {
      if (Lower(u.username) == key) return &u;
    }
    return nullptr;
  }
  const UserInfo* FindUserById(std::string_view id) const override {
    const std::optional<gen::ParsedId> parsed = gen::ParseId(id);
    if (!parsed || parsed->prefix != "005" || parsed->ns != 0 || parsed->index == 0 ||
        parsed->index > world_->user_infos().size()) {
      return nullptr;
    }
    const UserInfo& u = world_->user_infos()[parsed->index - 1];
    return u.id.compare(0, 15, id.substr(0, 15)) == 0 ? &u : nullptr;
  }
  const UserInfo& IntegrationUser() const override { return world_->user_infos()[gen::kUserEhrSync]; }
  const ElfStore& EventLogFiles() const override { return elf_ ? *elf_ : *empty_elf_; }
  std::string AnswerKeyJson() const override { return answer_key_; }

  const Activity& activity() const { return *gen_; }
  bool has_elf() const { return elf_ != nullptr; }

 private:
  const Table* Add(std::unique_ptr<Table> table) {
    const Table* t = table.get();
    tables_.push_back(std::move(table));
    return t;
  }

  void BuildTables() {
    const gen::World& w = *world_;
    const gen::Generator& g = *gen_;
    const OrgConfig& c = w.config();
    user_table_ = Add(gen::MakeUserTable(w));
    profile_table_ = Add(gen::MakeProfileTable(w));
    report_table_ = Add(gen::MakeReportTable(w));
    for (int o = 0; o < gen::kDataObjectCount; ++o) {
      data_tables_[static_cast<size_t>(o)] = Add(gen::MakeDataTable(w, g, static_cast<DataObject>(o)));
    }
    for (int o = 0; o < gen::kHistoryObjectCount; ++o) {
      history_tables_[static_cast<size_t>(o)] = Add(gen::MakeHistoryTable(w, g, static_cast<HistoryObject>(o)));
    }
    login_history_ = Add(gen::MakeLoginHistoryTable(w, g));
    login_geo_ = Add(gen::MakeLoginGeoTable(w, g));
    audit_trail_ = Add(gen::MakeSetupAuditTrailTable(w, g));
    if (c.field_audit_trail) archive_ = Add(gen::MakeFieldHistoryArchiveTable(w, g));
    if (c.shield) {
      Add(gen::MakeLoginEventTable(w, g));
      Add(gen::MakeLogoutEventTable(w, g));
      Add(gen::MakeLoginAsEventTable(w, g));
      Add(gen::MakeReportEventTable(w, g));
      Add(gen::MakeApiEventTable(w, g));
      Add(gen::MakeBulkApiResultEventStoreTable(w, g));
      Add(gen::MakeListViewEventTable(w, g));
    }
    std::vector<const Table*> all;
    for (const auto& t : tables_) all.push_back(t.get());
    if (elf_) all.push_back(elf_.get());
    for (const Table* t : all) index_.emplace_back(Lower(t->def().name), t);
    std::sort(index_.begin(), index_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& entry : index_) objects_.push_back(&entry.second->def());
  }

  std::optional<Record> RowIfVisible(const Table* table, uint64_t i, TimeMs now) const {
    if (table == nullptr || i >= table->Count(now)) return std::nullopt;
    return table->Row(i, now);
  }

  std::unique_ptr<gen::World> world_;
  gen::Scenario scenario_;
  bool has_scenario_ = false;
  std::unique_ptr<gen::Generator> gen_;
  std::unique_ptr<ElfStore> elf_;
  std::unique_ptr<EmptyElfStore> empty_elf_;
  std::vector<std::unique_ptr<Table>> tables_;
  std::vector<std::pair<std::string, const Table*>> index_;
  std::vector<const ObjectDef*> objects_;
  const Table* user_table_ = nullptr;
  const Table* profile_table_ = nullptr;
  const Table* report_table_ = nullptr;
  std::array<const Table*, gen::kDataObjectCount> data_tables_{};
  std::array<const Table*, gen::kHistoryObjectCount> history_tables_{};
  const Table* login_history_ = nullptr;
  const Table* login_geo_ = nullptr;
  const Table* audit_trail_ = nullptr;
  const Table* archive_ = nullptr;
  std::string answer_key_;
};

std::optional<Record> OrgImpl::FindById(std::string_view id, TimeMs now) const {
  const std::optional<gen::ParsedId> parsed = gen::ParseId(id);
  if (!parsed) return std::nullopt;
  const std::string& prefix = parsed->prefix;
  const uint64_t ns = parsed->ns;
  const uint64_t index = parsed->index;
  std::optional<Record> found;
  if (prefix == "0AT") {
    if (!elf_) return std::nullopt;
    const uint64_t n = elf_->Count(now);
    for (uint64_t i = 0; i < n; ++i) {
      Record r = elf_->Row(i, now);
      const Value* v = r.Get("Id");
      if (v != nullptr && v->text.compare(0, 15, id.substr(0, 15)) == 0) return r;
    }
    return std::nullopt;
  }
  if (prefix == "005" || prefix == "00e" || prefix == "00O") {
    const Table* t = prefix == "005" ? user_table_ : (prefix == "00e" ? profile_table_ : report_table_);
    if (ns != 0 || index == 0) return std::nullopt;
    found = RowIfVisible(t, index - 1, now);  // rows are in index order (created ascending)
  } else if (prefix == "017") {
    if (ns >= 2 * gen::kHistoryObjectCount) return std::nullopt;
    const auto object = static_cast<HistoryObject>(ns / 2);
    const auto& seq = gen_->History(object);
    if (ns % 2 == 1) {
      if (index >= seq.extras().size()) return std::nullopt;
      found = RowIfVisible(history_tables_[object], seq.MergedOfExtra(index), now);
    } else {
      if (index >= seq.base().Size()) return std::nullopt;
      found = RowIfVisible(history_tables_[object], seq.MergedOfBase(index), now);
    }
  } else if (prefix == "0Ya" || prefix == "04F") {
    const auto& seq = gen_->merged_logins();
    const Table* t = prefix == "0Ya" ? login_history_ : login_geo_;
    if (ns == 1 && index < seq.extras().size()) {
      found = RowIfVisible(t, seq.MergedOfExtra(index), now);
    } else if (ns == 0 && index < seq.base().Size()) {
      found = RowIfVisible(t, seq.MergedOfBase(index), now);
    }
  } else if (prefix == "0Ym") {
    const auto& seq = gen_->Audit();
    if (ns == 0 && index < seq.base().Size()) found = RowIfVisible(audit_trail_, seq.MergedOfBase(index), now);
  } else if (prefix == "0FH") {
    if (ns == 0) found = RowIfVisible(archive_, index, now);
  } else {
    for (int o = 0; o < gen::kDataObjectCount; ++o) {
      if (prefix == gen::DataObjectPrefix(static_cast<DataObject>(o))) {
        if (ns == 0) found = RowIfVisible(data_tables_[static_cast<size_t>(o)], index, now);
        break;
      }
    }
  }
  if (!found) return std::nullopt;
  const Value* v = found->Get("Id");
  if (v == nullptr || v->text.compare(0, 15, id.substr(0, 15)) != 0) return std::nullopt;
  return found;
}

}  // namespace

std::unique_ptr<Org> MakeOrg(const OrgConfig& config, std::string* error) {
  auto org = std::make_unique<OrgImpl>();
  if (!org->Init(config, error)) return nullptr;
  return org;
}

std::vector<std::string> ScenarioNames() { return gen::ScenarioList(); }

const Activity* ActivityOf(const Org& org) {
  const auto* impl = dynamic_cast<const OrgImpl*>(&org);
  return impl == nullptr ? nullptr : &impl->activity();
}

bool HasEventLogFiles(const Org& org) {
  const auto* impl = dynamic_cast<const OrgImpl*>(&org);
  return impl != nullptr && impl->has_elf();
}

}  // namespace custody::sim
