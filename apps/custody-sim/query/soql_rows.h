#pragma once
// The rows of a query result in output order, held in at most about 8 bytes per matching row:
// either explicit table row indices, or a scanned index range (walked forward or backward) minus
// the sorted scan positions that did not match, whichever is smaller. A window on the order field
// with nothing else to filter is just the range.

#include <cstdint>
#include <optional>
#include <vector>

namespace custody::sim::soql {

class RowSet {
 public:
  RowSet() = default;
  // Every row of [begin, end), ascending, or descending when `reverse`.
  static RowSet Range(uint64_t begin, uint64_t end, bool reverse);
  // Only a count (SELECT COUNT()): At() must not be called.
  static RowSet CountOnly(uint64_t n);

  uint64_t size() const { return size_; }
  // Table row index of output row k, k < size().
  uint64_t At(uint64_t k) const;
  // Keeps output rows [offset, offset + limit).
  void Slice(uint64_t offset, std::optional<uint64_t> limit);
  // Bytes held for the row list (not counting the object itself).
  uint64_t MemoryBytes() const { return (indices_.capacity() + misses_.capacity()) * sizeof(uint64_t); }

 private:
  friend class RowSetBuilder;
  bool explicit_ = true;
  std::vector<uint64_t> indices_;  // explicit_
  uint64_t begin_ = 0;             // !explicit_: scan position p is row begin_ + p, or end_ - 1 - p
  uint64_t end_ = 0;
  bool reverse_ = false;
  std::vector<uint64_t> misses_;   // !explicit_: scan positions not in the result, ascending
  uint64_t skip_ = 0;              // !explicit_: matches before output row 0
  uint64_t size_ = 0;
};

// Collects a scan's outcome. Scan positions arrive in order through Hit/Miss; once misses
// outnumber hits (plus some slack) or the output order departs from scan order (MakeExplicit),
// the builder switches to explicit indices.
class RowSetBuilder {
 public:
  RowSetBuilder(uint64_t begin, uint64_t end, bool reverse) : begin_(begin), end_(end), reverse_(reverse) {}

  uint64_t IndexAt(uint64_t pos) const { return reverse_ ? end_ - 1 - pos : begin_ + pos; }
  void Hit(uint64_t pos);
  void Miss(uint64_t pos);
  // Materialises the hits seen so far; later hits come through PushExplicit in output order.
  void MakeExplicit();
  void PushExplicit(uint64_t pos);
  uint64_t hits() const { return hits_; }
  RowSet Finish(uint64_t offset, std::optional<uint64_t> limit);

 private:
  static constexpr uint64_t kSlack = 1024;
  uint64_t begin_;
  uint64_t end_;
  bool reverse_;
  bool explicit_ = false;
  uint64_t hits_ = 0;
  uint64_t recorded_end_ = 0;  // one past the last position seen
  std::vector<uint64_t> misses_;
  std::vector<uint64_t> indices_;
};

}  // namespace custody::sim::soql
