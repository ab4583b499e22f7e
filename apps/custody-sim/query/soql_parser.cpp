#include "soql_parser.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "soql_errors.h"
#include "soql_lexer.h"

namespace custody::sim::soql {
namespace {

constexpr int kMaxNesting = 64;
constexpr size_t kMaxPathParts = 6;
constexpr size_t kMaxTokenEcho = 200;

bool IsClauseKeyword(const Token& t, std::string_view text) {
  if (t.kind != TokenKind::kIdent) return false;
  const std::string_view word = text.substr(t.span.begin, t.span.end - t.span.begin);
  for (std::string_view kw : {"FROM", "WHERE", "ORDER", "GROUP", "HAVING", "LIMIT", "OFFSET", "WITH", "FOR",
                              "USING"}) {
    if (EqualsIgnoreCase(word, kw)) return true;
  }
  return false;
}

class Parser {
 public:
  Parser(std::string_view text, std::vector<Token> tokens) : text_(text), source_(text), tokens_(std::move(tokens)) {}

  std::variant<ParsedQuery, SoqlError> Run() {
    if (!ParseQuery()) {
      if (!error_) return MakeError(kMalformedQuery, "unexpected token: '<EOF>'");
      return std::move(*error_);
    }
    return std::move(result_);
  }

 private:
  const Token& Peek(size_t k = 0) const { return tokens_[std::min(pos_ + k, tokens_.size() - 1)]; }
  const Token& Next() {
    const Token& t = tokens_[std::min(pos_, tokens_.size() - 1)];
    if (pos_ < tokens_.size() - 1) ++pos_;
    last_end_ = t.span.end;
    return t;
  }
  std::string_view TextOf(const Token& t) const {
    return text_.substr(t.span.begin, t.span.end - t.span.begin);
  }
  bool IsKeyword(const Token& t, std::string_view kw) const {
    return t.kind == TokenKind::kIdent && EqualsIgnoreCase(TextOf(t), kw);
  }
  bool AcceptKeyword(std::string_view kw) {
    if (!IsKeyword(Peek(), kw)) return false;
    Next();
    return true;
  }

  void EnterClause(uint32_t keyword_begin, uint32_t body_begin) {
    keyword_begin_ = keyword_begin;
    clause_begin_ = body_begin;
  }

  // Reports the token at the cursor: a lexer error it carries, or "unexpected token".
  bool Fail() { return Fail(Peek()); }
  bool Fail(const Token& t) {
    if (error_) return false;
    Span clause{clause_begin_ < t.span.begin ? clause_begin_ : keyword_begin_, t.span.end};
    // The echo runs to the end of the clause the error is in; an unexpected clause keyword ends it,
    // and a later lexer error cuts it at the offending character, as Salesforce prints it.
    if (!IsClauseKeyword(t, text_)) {
      int depth = 0;
      const auto first = static_cast<size_t>(&t - tokens_.data());
      for (size_t i = first; i < tokens_.size(); ++i) {
        const Token& u = tokens_[i];
        if (u.kind == TokenKind::kEnd) break;
        if (i > first && u.kind == TokenKind::kError) {
          clause.end = std::max(clause.end, u.span.begin);
          break;
        }
        if (u.kind == TokenKind::kLParen) ++depth;
        if (u.kind == TokenKind::kRParen) --depth;
        if (depth <= 0 && IsClauseKeyword(u, text_)) break;
        clause.end = std::max(clause.end, u.span.end);
      }
    }
    std::string message;
    if (t.kind == TokenKind::kError) {
      message = t.lexer_style ? source_.LexerMessage(t.span.begin, clause, t.error)
                              : source_.CaretMessage(t.span.begin, clause, t.error);
    } else {
      std::string shown = t.kind == TokenKind::kEnd ? "<EOF>" : std::string(TextOf(t).substr(0, kMaxTokenEcho));
      message = source_.CaretMessage(t.span.begin, clause, "unexpected token: '" + shown + "'");
    }
    error_ = MakeError(kMalformedQuery, std::move(message));
    return false;
  }
  bool FailWith(Span at, std::string_view detail) {
    if (error_) return false;
    error_ = MakeError(kMalformedQuery,
                       source_.CaretMessage(at.begin, {clause_begin_ < at.begin ? clause_begin_ : keyword_begin_, at.end},
                                            detail));
    return false;
  }

  bool Expect(TokenKind kind) {
    if (Peek().kind != kind) return Fail();
    Next();
    return true;
  }

  bool ParseQuery() {
    Query& q = result_.query;
    const Token& first = Peek();
    EnterClause(first.span.begin, first.span.begin);
    if (!AcceptKeyword("SELECT")) return Fail();
    q.clauses.select.begin = first.span.begin;
    if (!ParseSelectList()) return false;
    q.clauses.select.end = last_end_;
    if (!AcceptKeyword("FROM")) return Fail();
    EnterClause(q.clauses.select.begin, q.clauses.select.begin);
    if (Peek().kind != TokenKind::kIdent) return Fail();
    const Token& object = Next();
    q.object = std::string(TextOf(object));
    q.object_span = object.span;
    q.clauses.from = {q.clauses.select.begin, object.span.end};

    if (IsKeyword(Peek(), "WHERE")) {
      const uint32_t kw = Next().span.begin;
      EnterClause(kw, Peek().span.begin);
      q.clauses.where.begin = Peek().span.begin;
      Expr e;
      if (!ParseOr(&e, 0)) return false;
      q.where = std::move(e);
      q.clauses.where.end = last_end_;
    }
    if (IsKeyword(Peek(), "ORDER")) {
      const uint32_t kw = Next().span.begin;
      if (!AcceptKeyword("BY")) return Fail();
      EnterClause(kw, Peek().span.begin);
      q.clauses.order_by.begin = Peek().span.begin;
      if (!ParseOrderList()) return false;
      q.clauses.order_by.end = last_end_;
    }
    if (IsKeyword(Peek(), "LIMIT")) {
      const uint32_t kw = Next().span.begin;
      EnterClause(kw, Peek().span.begin);
      uint64_t n = 0;
      if (!ParseCount(&n)) return false;
      q.limit = n;
      q.clauses.limit = {kw, last_end_};
    }
    if (IsKeyword(Peek(), "OFFSET")) {
      const uint32_t kw = Next().span.begin;
      EnterClause(kw, Peek().span.begin);
      q.offset_span = Peek().span;
      uint64_t n = 0;
      if (!ParseCount(&n)) return false;
      q.offset = n;
      q.clauses.offset = {kw, last_end_};
    }
    if (Peek().kind != TokenKind::kEnd) return Fail();
    return true;
  }

  bool ParseCount(uint64_t* n) {
    const Token& t = Peek();
    if (t.kind != TokenKind::kNumber || !t.literal.is_integer || t.literal.integer < 0) return Fail();
    *n = static_cast<uint64_t>(t.literal.integer);
    Next();
    return true;
  }

  bool ParseSelectList() {
    while (true) {
      if (!ParseSelectItem()) return false;
      if (Peek().kind != TokenKind::kComma) return true;
      Next();
    }
  }

  bool ParseSelectItem() {
    const Token& t = Peek();
    if (t.kind != TokenKind::kIdent || IsKeyword(t, "FROM")) return Fail();
    if (Peek(1).kind != TokenKind::kLParen) {
      SelectItem item;
      if (!ParsePath(&item.path)) return false;
      item.span = item.path.span;
      result_.query.select.push_back(std::move(item));
      return true;
    }
    const std::string_view function = TextOf(t);
    const uint32_t begin = t.span.begin;
    Next();  // name
    Next();  // (
    SelectItem item;
    if (EqualsIgnoreCase(function, "FIELDS")) {
      const Token& arg = Peek();
      if (IsKeyword(arg, "STANDARD")) item.kind = SelectKind::kFieldsStandard;
      else if (IsKeyword(arg, "ALL")) item.kind = SelectKind::kFieldsAll;
      else if (IsKeyword(arg, "CUSTOM")) item.kind = SelectKind::kFieldsCustom;
      else return Fail();
      Next();
      if (!Expect(TokenKind::kRParen)) return false;
    } else if (EqualsIgnoreCase(function, "COUNT") && Peek().kind == TokenKind::kRParen) {
      item.kind = SelectKind::kCount;
      Next();
    } else if (Peek().kind == TokenKind::kIdent) {
      // COUNT(Id), SUM(Amount), MAX(CreatedDate) ...: parsed, rejected against the schema.
      Path arg;
      if (!ParsePath(&arg)) return false;
      if (!Expect(TokenKind::kRParen)) return false;
      if (IsAlias()) Next();
      if (result_.aggregate.empty()) {
        result_.aggregate = std::string(text_.substr(begin, last_end_ - begin));
        result_.aggregate_span = {begin, last_end_};
      }
      return true;
    } else {
      return Fail();
    }
    item.span = {begin, last_end_};
    result_.query.select.push_back(std::move(item));
    return true;
  }

  // An alias after an aggregate call: "COUNT(Id) total".
  bool IsAlias() const { return Peek().kind == TokenKind::kIdent && !IsClauseKeyword(Peek(), text_); }

  bool ParsePath(Path* path) {
    const Token& first = Peek();
    if (first.kind != TokenKind::kIdent) return Fail();
    path->span.begin = first.span.begin;
    while (true) {
      const Token& part = Peek();
      if (part.kind != TokenKind::kIdent) return Fail();
      if (path->parts.size() >= kMaxPathParts) return Fail();
      path->parts.emplace_back(TextOf(part));
      path->part_spans.push_back(part.span);
      Next();
      if (Peek().kind != TokenKind::kDot) break;
      Next();
    }
    path->span.end = last_end_;
    return true;
  }

  bool ParseOr(Expr* out, int depth) {
    Expr first;
    if (!ParseAnd(&first, depth)) return false;
    if (!IsKeyword(Peek(), "OR")) {
      *out = std::move(first);
      return true;
    }
    out->kind = Expr::Kind::kOr;
    out->span.begin = first.span.begin;
    out->op_span = Peek().span;
    out->children.push_back(std::move(first));
    while (AcceptKeyword("OR")) {
      Expr next;
      if (!ParseAnd(&next, depth)) return false;
      out->children.push_back(std::move(next));
    }
    out->span.end = last_end_;
    return true;
  }

  bool ParseAnd(Expr* out, int depth) {
    Expr first;
    if (!ParseNot(&first, depth)) return false;
    if (!IsKeyword(Peek(), "AND")) {
      *out = std::move(first);
      return true;
    }
    out->kind = Expr::Kind::kAnd;
    out->span.begin = first.span.begin;
    out->op_span = Peek().span;
    out->children.push_back(std::move(first));
    while (AcceptKeyword("AND")) {
      Expr next;
      if (!ParseNot(&next, depth)) return false;
      out->children.push_back(std::move(next));
    }
    out->span.end = last_end_;
    return true;
  }

  bool ParseNot(Expr* out, int depth) {
    if (depth > kMaxNesting) return FailWith(Peek().span, "the WHERE clause is nested too deeply");
    if (IsKeyword(Peek(), "NOT")) {
      out->kind = Expr::Kind::kNot;
      out->op_span = Peek().span;
      out->span.begin = Next().span.begin;
      Expr child;
      if (!ParseNot(&child, depth + 1)) return false;
      out->children.push_back(std::move(child));
      out->span.end = last_end_;
      return true;
    }
    return ParsePrimary(out, depth);
  }

  bool ParsePrimary(Expr* out, int depth) {
    if (Peek().kind == TokenKind::kLParen) {
      const uint32_t begin = Next().span.begin;
      if (!ParseOr(out, depth + 1)) return false;
      if (!Expect(TokenKind::kRParen)) return false;
      out->span = {begin, last_end_};
      return true;
    }
    out->kind = Expr::Kind::kCompare;
    if (!ParsePath(&out->field)) return false;
    out->span.begin = out->field.span.begin;
    const Token& op = Peek();
    out->op_span = op.span;
    switch (op.kind) {
      case TokenKind::kEq: out->op = CompareOp::kEq; break;
      case TokenKind::kNe: out->op = CompareOp::kNe; break;
      case TokenKind::kLt: out->op = CompareOp::kLt; break;
      case TokenKind::kLe: out->op = CompareOp::kLe; break;
      case TokenKind::kGt: out->op = CompareOp::kGt; break;
      case TokenKind::kGe: out->op = CompareOp::kGe; break;
      case TokenKind::kIdent:
        if (IsKeyword(op, "LIKE")) {
          out->op = CompareOp::kLike;
        } else if (IsKeyword(op, "IN")) {
          out->op = CompareOp::kIn;
        } else if (IsKeyword(op, "NOT") && IsKeyword(Peek(1), "IN")) {
          out->op = CompareOp::kNotIn;
          Next();
          out->op_span.end = Peek().span.end;
        } else {
          return Fail();
        }
        break;
      default:
        return Fail();
    }
    Next();
    if (out->op == CompareOp::kIn || out->op == CompareOp::kNotIn) {
      if (!Expect(TokenKind::kLParen)) return false;
      while (true) {
        Literal v;
        if (!ParseValue(&v)) return false;
        out->values.push_back(std::move(v));
        if (Peek().kind != TokenKind::kComma) break;
        Next();
      }
      if (!Expect(TokenKind::kRParen)) return false;
    } else {
      Literal v;
      if (!ParseValue(&v)) return false;
      out->values.push_back(std::move(v));
    }
    out->span.end = last_end_;
    return true;
  }

  bool ParseValue(Literal* v) {
    const Token& t = Peek();
    switch (t.kind) {
      case TokenKind::kString:
      case TokenKind::kNumber:
      case TokenKind::kDate:
      case TokenKind::kDateTime:
        *v = t.literal;
        Next();
        return true;
      case TokenKind::kIdent:
        break;
      default:
        return Fail();
    }
    v->span = t.span;
    v->text = std::string(TextOf(t));
    if (IsKeyword(t, "NULL")) {
      v->kind = Literal::Kind::kNull;
    } else if (IsKeyword(t, "TRUE") || IsKeyword(t, "FALSE")) {
      v->kind = Literal::Kind::kBoolean;
      v->boolean = IsKeyword(t, "TRUE");
    } else if (IsKeyword(t, "TODAY") || IsKeyword(t, "YESTERDAY") || IsKeyword(t, "TOMORROW")) {
      v->kind = Literal::Kind::kRelative;
      v->relative = IsKeyword(t, "TODAY")       ? RelativeDate::kToday
                    : IsKeyword(t, "YESTERDAY") ? RelativeDate::kYesterday
                                                : RelativeDate::kTomorrow;
    } else if (IsKeyword(t, "LAST_N_DAYS") || IsKeyword(t, "NEXT_N_DAYS") || IsKeyword(t, "N_DAYS_AGO")) {
      v->kind = Literal::Kind::kRelative;
      v->relative = IsKeyword(t, "LAST_N_DAYS")   ? RelativeDate::kLastNDays
                    : IsKeyword(t, "NEXT_N_DAYS") ? RelativeDate::kNextNDays
                                                  : RelativeDate::kNDaysAgo;
      Next();
      if (!Expect(TokenKind::kColon)) return false;
      const Token& n = Peek();
      if (n.kind != TokenKind::kNumber || !n.literal.is_integer || n.literal.integer < 0 ||
          n.literal.integer > 1000000) {
        return Fail();
      }
      v->n = n.literal.integer;
      Next();
      v->span.end = last_end_;
      v->text = std::string(text_.substr(v->span.begin, v->span.end - v->span.begin));
      return true;
    } else {
      return Fail();
    }
    Next();
    return true;
  }

  bool ParseOrderList() {
    while (true) {
      OrderItem item;
      if (!ParsePath(&item.path)) return false;
      item.span.begin = item.path.span.begin;
      if (AcceptKeyword("DESC")) {
        item.descending = true;
      } else {
        AcceptKeyword("ASC");
      }
      if (AcceptKeyword("NULLS")) {
        if (AcceptKeyword("FIRST")) item.nulls = OrderItem::Nulls::kFirst;
        else if (AcceptKeyword("LAST")) item.nulls = OrderItem::Nulls::kLast;
        else return Fail();
      }
      item.span.end = last_end_;
      result_.query.order_by.push_back(std::move(item));
      if (Peek().kind != TokenKind::kComma) return true;
      Next();
    }
  }

  std::string_view text_;
  SourceText source_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  uint32_t last_end_ = 0;
  uint32_t keyword_begin_ = 0;
  uint32_t clause_begin_ = 0;
  ParsedQuery result_;
  std::optional<SoqlError> error_;
};

}  // namespace

std::variant<ParsedQuery, SoqlError> Parse(std::string_view text) {
  return Parser(text, Lex(text)).Run();
}

}  // namespace custody::sim::soql
