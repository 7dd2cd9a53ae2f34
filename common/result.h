#pragma once

#include <cassert>
#include <utility>
#include <variant>

#include "common/status.h"

namespace pinstream {

// A value of type T, or the non-OK Status that explains why there is none (Arrow's Result).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<1>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::in_place_index<0>, std::move(status)) {  // NOLINT
    assert(!std::get<0>(v_).ok() && "Result built from an OK status");
  }

  bool ok() const { return v_.index() == 1; }

  Status status() const& { return ok() ? Status::OK() : std::get<0>(v_); }
  Status status() && { return ok() ? Status::OK() : std::get<0>(std::move(v_)); }

  const T& value() const& { return std::get<1>(v_); }
  T& value() & { return std::get<1>(v_); }
  T&& value() && { return std::get<1>(std::move(v_)); }

  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  std::variant<Status, T> v_;
};

}  // namespace pinstream

#define PINSTREAM_ASSIGN_OR_RETURN_IMPL(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                    \
  if (!tmp.ok()) [[unlikely]]                            \
    return std::move(tmp).status();                      \
  lhs = std::move(tmp).value()

// `ASSIGN_OR_RETURN(auto x, F())` declares x from F()'s value, or returns F()'s error.
#define ASSIGN_OR_RETURN(lhs, rexpr) \
  PINSTREAM_ASSIGN_OR_RETURN_IMPL(PINSTREAM_CONCAT(_result_, __LINE__), lhs, rexpr)
