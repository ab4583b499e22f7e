#include "org/catalog.h"

namespace custody::sim::gen {

std::string LabelOf(const std::string& api_name) {
  std::string name = api_name;
  bool custom = false;
  if (name.size() > 3 && name.compare(name.size() - 3, 3, "__c") == 0) {
    name.resize(name.size() - 3);
    custom = true;
  }
  const size_t ns = name.find("__");
  if (ns != std::string::npos) name = name.substr(ns + 2);
  std::string label;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c == '_') {
      if (!label.empty() && label.back() != ' ') label += ' ';
      continue;
    }
    const bool upper = c >= 'A' && c <= 'Z';
    const bool prev_lower = i > 0 && name[i - 1] >= 'a' && name[i - 1] <= 'z';
    if (!custom && upper && prev_lower && !label.empty()) label += ' ';
    label += c;
  }
  if (!custom && label.size() > 2 && label.compare(label.size() - 3, 3, " Id") == 0) {
    label.replace(label.size() - 2, 2, "ID");
  }
  return label;
}

FieldDef Field(std::string name, FieldType type, FieldSpec spec) {
  FieldDef f;
  f.label = LabelOf(name);
  f.name = std::move(name);
  f.type = type;
  f.filterable = spec.filterable;
  f.sortable = spec.sortable;
  f.nillable = spec.nillable;
  f.standard = !spec.custom;
  switch (type) {
    case FieldType::kId:
    case FieldType::kReference: f.length = 18; break;
    case FieldType::kString:
    case FieldType::kPicklist: f.length = 255; break;
    case FieldType::kTextArea: f.length = 32768; break;
    default: break;
  }
  if (type == FieldType::kAnyType || type == FieldType::kTextArea || type == FieldType::kBase64) {
    f.filterable = false;
    f.sortable = false;
  }
  return f;
}

FieldDef Picklist(std::string name, std::vector<std::string> values, FieldSpec spec) {
  FieldDef f = Field(std::move(name), FieldType::kPicklist, spec);
  f.picklist_values = std::move(values);
  return f;
}

FieldDef Reference(std::string name, std::vector<std::string> targets, std::string relationship, FieldSpec spec) {
  FieldDef f = Field(std::move(name), FieldType::kReference, spec);
  f.reference_to = std::move(targets);
  f.relationship_name = std::move(relationship);
  return f;
}

}  // namespace custody::sim::gen
