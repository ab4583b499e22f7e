#pragma once
// Runs a bound plan over its table.
//
// Comparisons of the table's order field with literals among the top-level ANDs become an index
// range through Table::LowerBound, so a time window over millions of rows reads only the rows
// inside it. Other top-level conjuncts narrow the range to their hull and are still checked: an OR
// of windows ("CreatedDate > X OR (CreatedDate = X AND Id > 'Y')", the usual resume condition), an
// IN list of instants, and "Id = '<id>'" when Org::FindById finds the row. What is left of the WHERE
// clause, and the IsDeleted / field-level-security flags, are checked row by row. ORDER BY on the
// order field (ascending, or descending as event storage requires) walks the range forwards or
// backwards and sorts only ties on the remaining keys; any other ORDER BY materialises the matches
// and sorts them (nulls first ascending, last descending, ties in index order). LIMIT stops the
// walk early. LIMIT and OFFSET are applied to the returned rows, or to the count for COUNT().

#include "model.h"
#include "query_engine.h"
#include "soql_plan.h"
#include "soql_rows.h"

namespace custody::sim::soql {

RowSet Execute(const Plan& plan, const Org& org, const QueryOptions& options);

}  // namespace custody::sim::soql
