// Error codes and exact message texts, as Salesforce returns them.

#include <catch2/catch.hpp>

#include <string>

#include "query_test_util.h"

namespace custody::sim::testing {
namespace {

const std::string kNoSuchColumnTail =
    "If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. "
    "Please reference your WSDL or the describe call for the appropriate names.";

std::string Caret(size_t spaces) { return std::string(spaces, ' ') + "^"; }

TEST_CASE("unknown or unlicensed object is INVALID_TYPE with Salesforce's caret text", "[sim][query][errors]") {
  auto org = TestOrg();
  org->Unlicense("LoginEvent");
  const SoqlError e = RunErr(*org, "SELECT Id FROM LoginEvent");
  CHECK(e.http_status == 400);
  CHECK(e.error_code == "INVALID_TYPE");
  CHECK(e.message ==
        "\nSELECT Id FROM LoginEvent\n" + Caret(15) +
            "\nERROR at Row:1:Column:16\nsObject type 'LoginEvent' is not supported. If you are attempting to use a "
            "custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the "
            "describe call for the appropriate names.");
  // The echo is SELECT..FROM even when more clauses follow.
  const SoqlError w = RunErr(*org, "SELECT Id FROM Nope__c WHERE Name = 'x'");
  CHECK(w.error_code == "INVALID_TYPE");
  CHECK(w.message.rfind("\nSELECT Id FROM Nope__c\n" + Caret(15) + "\nERROR at Row:1:Column:16\n", 0) == 0);
}

TEST_CASE("unknown column is INVALID_FIELD with the SELECT clause echoed", "[sim][query][errors]") {
  auto org = TestOrg();
  // The Azure Sentinel query against an org without hourly EventLogFile (research §1.5).
  const SoqlError e = RunErr(*org,
                             "SELECT Id , EventType , Interval , LogDate , LogFile , LogFileLength FROM EventLogFile "
                             "WHERE Interval = 'Hourly' and CreatedDate > 2026-04-01T00:00:00Z");
  CHECK(e.error_code == "INVALID_FIELD");
  CHECK(e.message == "\nSELECT Id , EventType , Interval , LogDate , LogFile , LogFileLength\n" + Caret(24) +
                         "\nERROR at Row:1:Column:25\nNo such column 'Interval' on entity 'EventLogFile'. " +
                         kNoSuchColumnTail);

  // In WHERE, the condition is echoed; names keep the query's spelling, entities the schema's.
  const SoqlError w = RunErr(*org, "select Id from accounthistory where Nope = 'x'");
  CHECK(w.error_code == "INVALID_FIELD");
  CHECK(w.message == "\nNope = 'x'\n^\nERROR at Row:1:Column:37\nNo such column 'Nope' on entity 'AccountHistory'. " +
                         kNoSuchColumnTail);

  const SoqlError o = RunErr(*org, "SELECT Id FROM AccountHistory ORDER BY CreatedDate, Nope DESC LIMIT 5");
  CHECK(o.error_code == "INVALID_FIELD");
  CHECK(o.message.rfind("\nCreatedDate, Nope DESC\n" + Caret(13) + "\nERROR at Row:1:Column:53\n", 0) == 0);
}

TEST_CASE("relationship errors name the relationship or the related entity", "[sim][query][errors]") {
  auto org = TestOrg();
  const SoqlError r = RunErr(*org, "SELECT Id, Owner.Name FROM AccountHistory");
  CHECK(r.error_code == "INVALID_FIELD");
  CHECK(r.message ==
        "\nSELECT Id, Owner.Name\n" + Caret(11) +
            "\nERROR at Row:1:Column:12\nDidn't understand relationship 'Owner' in field path. If you are attempting "
            "to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please "
            "reference your WSDL or the describe call for the appropriate names.");
  // A reference field is not a relationship name.
  CHECK(RunErr(*org, "SELECT CreatedById.Name FROM AccountHistory").message.find(
            "Didn't understand relationship 'CreatedById'") != std::string::npos);
  const SoqlError f = RunErr(*org, "SELECT CreatedBy.Nickname FROM AccountHistory");
  CHECK(f.error_code == "INVALID_FIELD");
  CHECK(f.message.find("No such column 'Nickname' on entity 'User'.") != std::string::npos);
  CHECK(RunErr(*org, "SELECT CreatedBy.Profile.Nope FROM AccountHistory").message.find(
            "No such column 'Nope' on entity 'Profile'.") != std::string::npos);
  // Through a polymorphic relationship, only the target's own fields are reachable.
  CHECK(RunErr(*org, "SELECT Parent.CreatedBy.Name FROM FieldHistoryArchive").message.find(
            "Didn't understand relationship 'CreatedBy'") != std::string::npos);
}

TEST_CASE("an unencoded '+' in a dateTime literal is Salesforce's lexer error", "[sim][query][errors]") {
  auto org = TestOrg();
  // giacomelli/SalesforceSharp#4, byte for byte: the column is 0-based and the caret sits one left.
  const SoqlError e =
      RunErr(*org, "SELECT id, name, description FROM Account WHERE LastModifiedDate >= 2013-12-01T12:00:00 00:00");
  CHECK(e.error_code == "MALFORMED_QUERY");
  CHECK(e.message == "\nLastModifiedDate >= 2013-12-01T12:00:00 00:00\n" + Caret(38) +
                         "\nERROR at Row:1:Column:87\nline 1:87 no viable alternative at character ' '");

  const std::string q = "SELECT Id FROM AccountHistory WHERE CreatedDate > 2026-04-01T00:00:00 02:00 ORDER BY Id";
  const SoqlError p = RunErr(*org, q);
  CHECK(p.error_code == "MALFORMED_QUERY");
  const size_t space = q.find("00 02:00") + 2;
  CHECK(p.message.find("ERROR at Row:1:Column:" + std::to_string(space) + "\nline 1:" + std::to_string(space) +
                       " no viable alternative at character ' '") != std::string::npos);
  CHECK(p.message.rfind("\nCreatedDate > 2026-04-01T00:00:00 02:00\n", 0) == 0);

  // egen/spark-salesforce#49: the echo stops at the next lexer error.
  const SoqlError two = RunErr(*org,
                               "SELECT Id,UserId,LoginTime FROM LoginHistory WHERE LoginTime >= 2019-12-29T00:00:00 "
                               "00:00 AND LoginTime < 2019-12-30T00:00:00 00:00");
  CHECK(two.message.rfind("\nLoginTime >= 2019-12-29T00:00:00 00:00 AND LoginTime < 2019-12-30T00:00:00\n", 0) == 0);

  // Lines count after the statement is trimmed (egen/spark-salesforce#3: "line 5:69").
  const SoqlError m = RunErr(*org,
                             "\n      \n      select \n        ID\n        ,Name\n\n      from Account  where "
                             "LastModifiedDate >= 2016-09-13T15:31:37.000 0000\n    ");
  CHECK(m.message.find("ERROR at Row:5:Column:69\nline 5:69 no viable alternative at character ' '") !=
        std::string::npos);
  // A dateTime needs its zone.
  CHECK(RunErr(*org, "SELECT Id FROM Account WHERE LastModifiedDate > 2026-04-01T00:00:00").message.find(
            "no viable alternative at character '<EOF>'") != std::string::npos);
  CHECK(RunErr(*org, "SELECT Id FROM Account WHERE LastModifiedDate > 2026-04-01T00:00").error_code ==
        "MALFORMED_QUERY");
}

TEST_CASE("syntax errors are MALFORMED_QUERY 'unexpected token' with Row and Column", "[sim][query][errors]") {
  auto org = TestOrg();
  const SoqlError s = RunErr(*org, "SELEKT Id FROM Account");
  CHECK(s.error_code == "MALFORMED_QUERY");
  CHECK(s.message == "\nSELEKT Id\n^\nERROR at Row:1:Column:1\nunexpected token: 'SELEKT'");

  const SoqlError e = RunErr(*org, "SELECT Id FROM Account WHERE");
  CHECK(e.message == "\nWHERE\n     ^\nERROR at Row:1:Column:29\nunexpected token: '<EOF>'");

  const SoqlError c = RunErr(*org, "SELECT Id, FROM Account");
  CHECK(c.message == "\nSELECT Id, FROM\n" + Caret(11) + "\nERROR at Row:1:Column:12\nunexpected token: 'FROM'");

  const SoqlError o = RunErr(*org, "SELECT Id FROM Account ORDER Name");
  CHECK(o.message.find("ERROR at Row:1:Column:30\nunexpected token: 'Name'") != std::string::npos);

  struct Case {
    const char* soql;
    const char* token;
  };
  for (const Case& k : {Case{"SELECT Id FROM Account WHERE Name = 'x' AND", "<EOF>"},
                        Case{"SELECT Id FROM Account WHERE (Name = 'x'", "<EOF>"},
                        Case{"SELECT Id FROM Account WHERE Name = 'x')", ")"},
                        Case{"SELECT Id FROM Account WHERE Name 'x'", "'x'"},
                        Case{"SELECT Id FROM Account WHERE Name = :name", ":"},
                        Case{"SELECT Id FROM Account WHERE Name IN 'x'", "'x'"},
                        Case{"SELECT Id FROM Account WHERE LastModifiedDate > THIS_YEAR", "THIS_YEAR"},
                        Case{"SELECT Id FROM Account WHERE LastModifiedDate > LAST_N_DAYS", "<EOF>"},
                        Case{"SELECT Id FROM Account LIMIT -1", "-1"},
                        Case{"SELECT Id FROM Account LIMIT 1.5", "1.5"},
                        Case{"SELECT Id FROM Account OFFSET 1 LIMIT 1", "LIMIT"},
                        Case{"SELECT Id FROM Account a", "a"},
                        Case{"SELECT Id, (SELECT Id FROM Contacts) FROM Account", "("},
                        Case{"SELECT FIELDS(MINE) FROM Account", "MINE"},
                        Case{"SELECT Id FROM Account GROUP BY Name", "GROUP"},
                        Case{"SELECT Id FROM Account;", ";"}}) {
    INFO(k.soql);
    const SoqlError err = RunErr(*org, k.soql);
    CHECK(err.error_code == "MALFORMED_QUERY");
    if (std::string(k.token) == ";") {
      CHECK(err.message.find("no viable alternative at character ';'") != std::string::npos);
    } else {
      CHECK(err.message.find(std::string("unexpected token: '") + k.token + "'") != std::string::npos);
    }
  }
  CHECK(RunErr(*org, "   ").message == "SOQL statements cannot be empty or null");
  CHECK(RunErr(*org, "SELECT Id FROM Account WHERE Name = 'unterminated").message.find(
            "mismatched character '<EOF>' expecting '''") != std::string::npos);
  const SoqlError esc = RunErr(*org, "SELECT Id FROM Account WHERE Name = 'a\\qb'");
  CHECK(esc.error_code == "MALFORMED_QUERY");
  CHECK(esc.message.find("Invalid string literal 'a\\qb'. Illegal character sequence '\\q' in string literal.") !=
        std::string::npos);
  CHECK(RunErr(*org, "SELECT Id FROM Account WHERE LastModifiedDate > 2026-02-30T00:00:00Z").message.find(
            "invalid dateTime literal: 2026-02-30T00:00:00Z") != std::string::npos);
  CHECK(RunErr(*org, std::string(100001, ' ') + "x" + std::string(100001, 'x')).error_code == "MALFORMED_QUERY");
}

TEST_CASE("non-filterable and non-sortable fields are INVALID_FIELD", "[sim][query][errors]") {
  auto org = TestOrg();
  const SoqlError f = RunErr(*org, "SELECT Id FROM LoginHistory WHERE LoginTime > 2026-04-01T00:00:00Z AND Status = 'Success'");
  CHECK(f.error_code == "INVALID_FIELD");
  CHECK(f.message == "\nLoginTime > 2026-04-01T00:00:00Z AND Status = 'Success'\n" + Caret(37) +
                         "\nERROR at Row:1:Column:72\nfield 'Status' can not be filtered in a query call");
  CHECK(RunOk(*org, "SELECT Id FROM LoginHistory WHERE LoginType = 'Application' AND UserId != null")->total_size() == 0);
  const SoqlError s = RunErr(*org, "SELECT Id FROM AccountHistory ORDER BY NewValue");
  CHECK(s.error_code == "INVALID_FIELD");
  CHECK(s.message == "\nNewValue\n^\nERROR at Row:1:Column:40\nfield 'NewValue' can not be sorted in a query call");
  CHECK(RunErr(*org, "SELECT Id FROM EventLogFile WHERE LogFile != null").error_code == "INVALID_FIELD");
}

TEST_CASE("literals must match the field type", "[sim][query][errors]") {
  auto org = TestOrg();
  const SoqlError q = RunErr(*org, "SELECT Id FROM AccountHistory WHERE CreatedDate > '2026-04-01T00:00:00Z'");
  CHECK(q.error_code == "INVALID_FIELD");
  CHECK(q.message == "\nCreatedDate > '2026-04-01T00:00:00Z'\n" + Caret(14) +
                         "\nERROR at Row:1:Column:51\nvalue of filter criterion for field 'CreatedDate' must be of "
                         "type dateTime and should not be enclosed in quotes");
  CHECK(RunErr(*org, "SELECT Id FROM AccountHistory WHERE Field = 2026-04-01T00:00:00Z").message.find(
            "value of filter criterion for field 'Field' must be of type string and should be enclosed in quotes") !=
        std::string::npos);
  CHECK(RunErr(*org, "SELECT Id FROM AccountHistory WHERE CreatedDate > 2026-04-01").message.find(
            "must be of type dateTime") != std::string::npos);
  CHECK(RunErr(*org, "SELECT Id FROM AccountHistory WHERE Day__c = 2026-04-01T00:00:00Z").message.find(
            "must be of type date and should not be enclosed in quotes") != std::string::npos);
  CHECK(RunErr(*org, "SELECT Id FROM AccountHistory WHERE Amount__c > '5'").message.find(
            "must be of type double and should not") != std::string::npos);
  CHECK(RunErr(*org, "SELECT Id FROM AccountHistory WHERE Count__c IN (1, 'two')").message.find(
            "must be of type int") != std::string::npos);
  CHECK(RunErr(*org, "SELECT Id FROM AccountHistory WHERE IsDeleted = 'true'").message.find(
            "must be of type boolean") != std::string::npos);
  CHECK(RunErr(*org, "SELECT Id FROM AccountHistory WHERE CreatedById = 5").message.find(
            "must be of type id and should be enclosed in quotes") != std::string::npos);
  CHECK(RunErr(*org, "SELECT Id FROM AccountHistory WHERE Field = TODAY").error_code == "INVALID_FIELD");

  const SoqlError id = RunErr(*org, "SELECT Id FROM AccountHistory WHERE CreatedById = 'nope'");
  CHECK(id.error_code == "INVALID_QUERY_FILTER_OPERATOR");
  CHECK(id.message.find("invalid ID field: nope") != std::string::npos);
  const SoqlError op = RunErr(*org, "SELECT Id FROM AccountHistory WHERE IsDeleted > false");
  CHECK(op.error_code == "INVALID_QUERY_FILTER_OPERATOR");
  CHECK(op.message.find("invalid operator on boolean field") != std::string::npos);
  CHECK(RunErr(*org, "SELECT Id FROM AccountHistory WHERE CreatedDate LIKE '2026%'").error_code ==
        "INVALID_QUERY_FILTER_OPERATOR");
}

TEST_CASE("event storage objects filter only on EventDate and sort only EventDate DESC", "[sim][query][errors]") {
  auto org = TestOrg();
  const std::string ok = "SELECT FIELDS(STANDARD) FROM LoginEvent WHERE EventDate > 2026-04-01T00:00:00Z AND "
                         "EventDate <= 2026-04-02T00:00:00Z ORDER BY EventDate DESC";
  RunOk(*org, ok);
  RunOk(*org, "SELECT Id FROM LoginEvent WHERE EventDate = LAST_N_DAYS:3");
  RunOk(*org, "SELECT Id FROM LoginEvent ORDER BY EventDate DESC NULLS LAST");

  const SoqlError field = RunErr(*org, "SELECT Id FROM LoginEvent WHERE Username = 'a@b.c'");
  CHECK(field.error_code == "MALFORMED_QUERY");
  CHECK(field.message == "\nUsername = 'a@b.c'\n^\nERROR at Row:1:Column:33\nfield 'Username' can not be filtered in "
                         "a query on LoginEvent: LoginEvent can only be filtered on EventDate with =, <, <=, > or >= "
                         "joined by AND");
  const SoqlError orr = RunErr(*org, "SELECT Id FROM LoginEvent WHERE EventDate > 2026-04-01T00:00:00Z OR "
                                     "EventDate < 2026-03-01T00:00:00Z");
  CHECK(orr.error_code == "INVALID_QUERY_FILTER_OPERATOR");
  CHECK(orr.message.find("OR is not supported in filters on LoginEvent") != std::string::npos);
  CHECK(RunErr(*org, "SELECT Id FROM LoginEvent WHERE NOT EventDate > 2026-04-01T00:00:00Z").error_code ==
        "INVALID_QUERY_FILTER_OPERATOR");
  CHECK(RunErr(*org, "SELECT Id FROM LoginEvent WHERE EventDate != 2026-04-01T00:00:00Z").error_code ==
        "INVALID_QUERY_FILTER_OPERATOR");
  CHECK(RunErr(*org, "SELECT Id FROM LoginEvent WHERE EventDate IN (2026-04-01T00:00:00Z)").error_code ==
        "INVALID_QUERY_FILTER_OPERATOR");
  const SoqlError asc = RunErr(*org, "SELECT Id FROM LoginEvent ORDER BY EventDate ASC");
  CHECK(asc.error_code == "MALFORMED_QUERY");
  CHECK(asc.message == "\nEventDate ASC\n^\nERROR at Row:1:Column:36\nLoginEvent can only be ordered by EventDate DESC");
  CHECK(RunErr(*org, "SELECT Id FROM LoginEvent ORDER BY EventDate DESC, Username").error_code == "MALFORMED_QUERY");
  CHECK(RunErr(*org, "SELECT Id FROM LoginEvent ORDER BY CreatedDate DESC").error_code == "MALFORMED_QUERY");
}

TEST_CASE("big objects filter only on a prefix of their index", "[sim][query][errors]") {
  auto org = TestOrg();
  const std::string parent = Id("001", 1);
  RunOk(*org, "SELECT Id FROM FieldHistoryArchive");
  RunOk(*org, "SELECT Id FROM FieldHistoryArchive WHERE FieldHistoryType = 'Account'");
  RunOk(*org, "SELECT Id FROM FieldHistoryArchive WHERE FieldHistoryType = 'Account' AND ParentId = '" + parent + "'");
  RunOk(*org, "SELECT Id FROM FieldHistoryArchive WHERE FieldHistoryType = 'Account' AND ParentId = '" + parent +
                  "' AND CreatedDate > 2026-04-01T00:00:00Z AND CreatedDate < 2026-04-05T00:00:00Z");
  RunOk(*org, "SELECT Id FROM FieldHistoryArchive WHERE FieldHistoryType = 'Account' AND ParentId > '" + parent + "'");
  RunOk(*org, "SELECT Id FROM FieldHistoryArchive ORDER BY FieldHistoryType, ParentId");

  const std::string rule =
      "FieldHistoryArchive can only be filtered on its index fields in index order (FieldHistoryType, ParentId, "
      "CreatedDate) joined by AND, with = on every field before the last one filtered and =, <, <=, > or >= on the "
      "last";
  const SoqlError gap = RunErr(*org, "SELECT Id FROM FieldHistoryArchive WHERE FieldHistoryType = 'Account' AND "
                                     "CreatedDate > 2026-04-01T00:00:00Z");
  CHECK(gap.error_code == "MALFORMED_QUERY");
  CHECK(gap.message == "\nFieldHistoryType = 'Account' AND CreatedDate > 2026-04-01T00:00:00Z\n" + Caret(33) +
                           "\nERROR at Row:1:Column:75\nfilter on 'ParentId' is missing: " + rule);
  const SoqlError range = RunErr(*org, "SELECT Id FROM FieldHistoryArchive WHERE FieldHistoryType > 'A' AND ParentId = '" +
                                           parent + "'");
  CHECK(range.error_code == "MALFORMED_QUERY");
  CHECK(range.message.find("ERROR at Row:1:Column:59\n" + rule) != std::string::npos);
  CHECK(RunErr(*org, "SELECT Id FROM FieldHistoryArchive WHERE Field = 'Name'").message.find(
            "field 'Field' can not be filtered in a query on FieldHistoryArchive") != std::string::npos);
  CHECK(RunErr(*org, "SELECT Id FROM FieldHistoryArchive WHERE FieldHistoryType IN ('Account')").error_code ==
        "MALFORMED_QUERY");
  CHECK(RunErr(*org, "SELECT Id FROM FieldHistoryArchive WHERE FieldHistoryType = 'Account' OR "
                     "FieldHistoryType = 'Case'").error_code == "INVALID_QUERY_FILTER_OPERATOR");
  CHECK(RunErr(*org, "SELECT Id FROM FieldHistoryArchive ORDER BY CreatedDate").message.find(
            "FieldHistoryArchive can only be ordered by its index fields in index order") != std::string::npos);
}

TEST_CASE("aggregates: COUNT() alone, COUNT(Id) and others are MALFORMED_QUERY", "[sim][query][errors]") {
  auto org = TestOrg();
  CHECK(RunOk(*org, "SELECT COUNT() FROM SetupAuditTrail")->is_count());
  const SoqlError c = RunErr(*org, "SELECT COUNT(Id) FROM SetupAuditTrail");
  CHECK(c.error_code == "MALFORMED_QUERY");
  CHECK(c.message == "\nSELECT COUNT(Id)\n" + Caret(7) +
                         "\nERROR at Row:1:Column:8\naggregate function COUNT(Id) is not supported on entity "
                         "'SetupAuditTrail'; only COUNT() is supported");
  CHECK(RunErr(*org, "SELECT SUM(Amount__c) total FROM AccountHistory").error_code == "MALFORMED_QUERY");
  CHECK(RunErr(*org, "SELECT COUNT(), Id FROM AccountHistory").message.find(
            "COUNT() must be the only element in the SELECT list") != std::string::npos);
  CHECK(RunErr(*org, "SELECT Id, id FROM AccountHistory").message.find("duplicate field selected: Id") !=
        std::string::npos);
  CHECK(RunErr(*org, "SELECT Id, FIELDS(STANDARD) FROM AccountHistory").message.find("duplicate field selected: Id") !=
        std::string::npos);
  CHECK(RunErr(*org, "SELECT FIELDS(ALL) FROM AccountHistory").message.find(
            "The SOQL FIELDS function must have a LIMIT of at most 200") != std::string::npos);
  RunOk(*org, "SELECT FIELDS(ALL) FROM AccountHistory LIMIT 200");
  const SoqlError off = RunErr(*org, "SELECT Id FROM AccountHistory LIMIT 5 OFFSET 2001");
  CHECK(off.error_code == "NUMBER_OUTSIDE_VALID_RANGE");
  CHECK(off.message.find("Maximum SOQL offset allowed is 2000") != std::string::npos);
}

TEST_CASE("multi-line statements report the row and clip the echo to it", "[sim][query][errors]") {
  auto org = TestOrg();
  const SoqlError e = RunErr(*org, "SELECT Id,\n  Nope\nFROM AccountHistory");
  CHECK(e.message.rfind("\n  Nope\n  ^\nERROR at Row:2:Column:3\nNo such column 'Nope'", 0) == 0);
}

}  // namespace
}  // namespace custody::sim::testing
