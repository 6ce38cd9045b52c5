/// @file
/// @brief `Result<T>`: a value or an `Error`, the return type of every SDK entry point.
///
/// C++20 has no `std::expected`; this is the small subset the SDK needs. `guarded()` is the
/// shim every plugin entry point runs its body through, so that no exception crosses the
/// plugin boundary.
#pragma once

#include <exception>
#include <new>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "lmsgw/sdk/errors.h"

namespace lmsgw::sdk {

template <class T>
class [[nodiscard]] Result {
 public:
  using value_type = T;

  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}      // NOLINT: implicit
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit

  bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  /// Precondition: ok().
  T& value() & noexcept { return *std::get_if<0>(&state_); }
  const T& value() const& noexcept { return *std::get_if<0>(&state_); }
  T&& value() && noexcept { return std::move(*std::get_if<0>(&state_)); }
  T& operator*() & noexcept { return value(); }
  const T& operator*() const& noexcept { return value(); }
  T&& operator*() && noexcept { return std::move(*this).value(); }
  T* operator->() noexcept { return &value(); }
  const T* operator->() const noexcept { return &value(); }

  /// Precondition: !ok().
  const Error& error() const noexcept { return *std::get_if<1>(&state_); }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  using value_type = void;

  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit

  bool ok() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  const Error& error() const noexcept { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

/// Runs `body` and turns any exception it throws into an `ErrorCode::internal` error.
///
/// Call it inside the plugin (the SDK's export macro and the plugin's own entry points do),
/// so that the catch runs in the plugin's code while its library is still loaded.
template <class Body>
auto guarded(Body&& body) noexcept -> std::invoke_result_t<Body> {
  try {
    return std::forward<Body>(body)();
  } catch (const std::bad_alloc&) {
    return Error{ErrorCode::internal, "out of memory"};
  } catch (const std::exception& e) {
    return Error{ErrorCode::internal, std::string("unexpected exception: ") + e.what()};
  } catch (...) {
    return Error{ErrorCode::internal, "unexpected non-standard exception"};
  }
}

}  // namespace lmsgw::sdk
