#pragma once
// Helpers to declare object schemas next to the code that fills their rows: a table is a list of
// Columns, each a FieldDef plus the function that computes its value from the row's context, so a
// field's describe entry and its value can never drift apart.

#include <string>
#include <vector>

#include "model.h"

namespace custody::sim::gen {

// "LoginTime" -> "Login Time", "CreatedById" -> "Created By ID", "Primary_Provider__c" -> "Primary Provider".
std::string LabelOf(const std::string& api_name);

struct FieldSpec {
  bool filterable = true;
  bool sortable = true;
  bool nillable = true;
  bool custom = false;  // standard=false: not part of FIELDS(STANDARD)
};

FieldDef Field(std::string name, FieldType type, FieldSpec spec = {});
FieldDef Picklist(std::string name, std::vector<std::string> values, FieldSpec spec = {});
FieldDef Reference(std::string name, std::vector<std::string> targets, std::string relationship,
                   FieldSpec spec = {});
inline FieldDef IdField() { return Field("Id", FieldType::kId, {.nillable = false}); }

template <typename Ctx>
struct Column {
  FieldDef field;
  Value (*get)(const Ctx&);
};

struct ObjectInfo {
  std::string name;
  std::string label;
  std::string label_plural;
  std::string key_prefix;
  bool custom = false;
  QueryRule rule = QueryRule::kGeneral;
  std::string order_field;
  std::vector<std::string> index_fields;
};

template <typename Ctx>
ObjectDef MakeObjectDef(const ObjectInfo& info, const std::vector<Column<Ctx>>& columns) {
  ObjectDef def;
  def.name = info.name;
  def.label = info.label;
  def.label_plural = info.label_plural;
  def.key_prefix = info.key_prefix;
  def.custom = info.custom;
  def.rule = info.rule;
  def.order_field = info.order_field;
  def.index_fields = info.index_fields;
  for (const Column<Ctx>& c : columns) def.fields.push_back(c.field);
  return def;
}

template <typename Ctx>
std::vector<Value> EvaluateColumns(const std::vector<Column<Ctx>>& columns, const Ctx& ctx) {
  std::vector<Value> values;
  values.reserve(columns.size());
  for (const Column<Ctx>& c : columns) values.push_back(c.get(ctx));
  return values;
}

inline Value Str(std::string s) { return Value::String(std::move(s)); }
inline Value StrOrNull(std::string s) { return s.empty() ? Value::Null() : Value::String(std::move(s)); }

}  // namespace custody::sim::gen
