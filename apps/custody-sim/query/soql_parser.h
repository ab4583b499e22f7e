#pragma once
// SOQL subset parser: SELECT list (fields, relationship paths, FIELDS(STANDARD|ALL|CUSTOM),
// COUNT()), FROM, WHERE (= != <> < <= > >= LIKE IN, NOT IN, AND, OR, NOT, parentheses), ORDER BY
// with ASC/DESC and NULLS FIRST/LAST, LIMIT, OFFSET. Keywords are case-insensitive; AND binds
// tighter than OR.

#include <string>
#include <string_view>
#include <variant>

#include "query_engine.h"
#include "soql_ast.h"

namespace custody::sim::soql {

struct ParsedQuery {
  Query query;
  // The first aggregate call other than COUNT() in the SELECT list ("COUNT(Id)", "SUM(Amount)"),
  // kept out of `query.select` so the schema check can reject it with the object's name.
  std::string aggregate;
  Span aggregate_span;
};

// `text` must be trimmed of leading and trailing whitespace; spans index into it.
// Failures are MALFORMED_QUERY errors in Salesforce's caret form.
std::variant<ParsedQuery, SoqlError> Parse(std::string_view text);

}  // namespace custody::sim::soql
