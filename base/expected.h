// A value or an error, for calls whose caller must decide what a failure means.
// (std::expected arrives with C++23; this is the small part of it we need.)
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace base {

// What went wrong: `message` for people (it names what failed and what was expected); `code`
// for programs that sort failures (a caller's own category, such as a JSON-RPC error code;
// 0 when none); `sys_errno` when a system call failed (0 otherwise).
struct Error {
  std::string message;
  int code = 0;
  int sys_errno = 0;
};

// `E` is Error or a kind of Error that keeps more parts (base::FieldError).
template <class T, class E = Error>
class [[nodiscard]] Expected {
 public:
  // Holds an error until assigned: Asio's co_spawn and parallel_group need to make a result
  // before they have one.
  Expected() : state_(std::in_place_index<1>, E{"no result"}) {}
  Expected(T value)
      : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Expected(E error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const E& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, E> state_;
};

// For calls that return nothing but may fail.
struct Ok {};
using Status = Expected<Ok>;

}  // namespace base
