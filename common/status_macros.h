// Early-return helpers for absl::Status and absl::StatusOr<T>; Debian's Abseil
// (20220623) ships none of its own.
//
//   GL_RETURN_IF_ERROR(store.Append(request));
//   GL_ASSIGN_OR_RETURN(auto events, store.ReadStream("account-1"));
//
// Both return the error unchanged from the enclosing function, which must
// return absl::Status or absl::StatusOr<U>.
#ifndef GRIDLEDGER_COMMON_STATUS_MACROS_H_
#define GRIDLEDGER_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define GL_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::absl::Status gl_status_ = (expr);      \
    if (!gl_status_.ok()) return gl_status_; \
  } while (0)

#define GL_STATUS_MACROS_CONCAT_INNER_(a, b) a##b
#define GL_STATUS_MACROS_CONCAT_(a, b) GL_STATUS_MACROS_CONCAT_INNER_(a, b)

#define GL_ASSIGN_OR_RETURN(lhs, expr) \
  GL_ASSIGN_OR_RETURN_IMPL_(GL_STATUS_MACROS_CONCAT_(gl_statusor_, __LINE__), lhs, expr)

// `lhs` is a declaration or an lvalue, so it cannot be parenthesised.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define GL_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                              \
  if (!statusor.ok()) return statusor.status();        \
  lhs = std::move(statusor).value()
// NOLINTEND(bugprone-macro-parentheses)

#endif  // GRIDLEDGER_COMMON_STATUS_MACROS_H_
