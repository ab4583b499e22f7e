#pragma once
// A Clock that always returns the time it was given.

#include "core/time.h"

namespace custody::test {

class FixedClock final : public Clock {
 public:
  explicit FixedClock(UtcSeconds now) : now_(now) {}
  UtcSeconds Now() const override { return now_; }

 private:
  UtcSeconds now_;
};

}  // namespace custody::test
