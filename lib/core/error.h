#pragma once
// One error value for the whole code base. Library code returns it and never throws.

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace custody {

enum class ErrorCode {
  kInvalidArgument,  // the caller's input is wrong: a usage error
  kNotFound,
  kIo,
  kCrypto,           // a key, certificate or signature operation failed
  kParse,
  kSchema,
  kIntegrity,        // evidence failed a check
  kCancelled,        // interrupted by a signal
  kNetwork,          // a connection failed, timed out or dropped mid-body
  kAuth,             // a source refused our credentials
  kRemote,           // a source answered with an error status
  kInternal,
};

class Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // Prefixes what the caller was doing: "seal /cases/x: read a.csv: Permission denied".
  Error& Context(std::string_view what) {
    message_.insert(0, std::string(what) + ": ");
    return *this;
  }

 private:
  ErrorCode code_;
  std::string message_;
};

// Ok, or an Error. Spelled like std::expected<void, Error>.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit by design
  static Status Ok() { return Status(); }
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }
  Error& error() { return error_; }

 private:
  Error error_{ErrorCode::kInternal, ""};
  bool ok_ = true;
};

// A T, or an Error. Spelled like std::expected<T, Error>.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT
  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }
  Error& error() { return std::get<1>(v_); }
  Status status() const { return has_value() ? Status::Ok() : Status(error()); }

 private:
  std::variant<T, Error> v_;
};

}  // namespace custody

// Returns early from the enclosing function with the error of a Status or Result.
#define CUSTODY_RETURN_IF_ERROR(expr)             \
  do {                                            \
    auto custody_status_ = (expr);                \
    if (!custody_status_) return custody_status_.error(); \
  } while (0)
