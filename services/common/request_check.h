// The checks every field of every command request gets before any rule runs,
// from the request's descriptor alone (the units' rules add their own, e.g.
// ids, amounts, states). INVALID_ARGUMENT naming the field's path
// ("read.registers.total_wh") and the rule:
// - strings: at most 2,000 bytes of valid UTF-8 without control characters
//   or bidirectional overrides and isolates (domain::CheckText);
// - enums: a value the proto defines (0, "unspecified", included);
// - integers: int64 within ±10^15, int32 within ±10^9 (so products of two
//   stay far from overflow in 128-bit intermediates and none wraps);
// - gridledger.v1.Date, when set: a calendar date in 1990–2100;
//   gridledger.v1.Period, when set: a month 1–12 of 1990–2100;
//   google.protobuf.Timestamp, when set: 1990–2100, nanos 0–999,999,999.
#ifndef GRIDLEDGER_SERVICES_COMMON_REQUEST_CHECK_H_
#define GRIDLEDGER_SERVICES_COMMON_REQUEST_CHECK_H_

#include <google/protobuf/message.h>

#include "absl/status/status.h"

namespace gridledger::service {

inline constexpr int64_t kMaxInt64Field = 1'000'000'000'000'000;  // 10^15
inline constexpr int32_t kMaxInt32Field = 1'000'000'000;          // 10^9
inline constexpr size_t kMaxStringField = 2000;
inline constexpr int kMinYear = 1990;
inline constexpr int kMaxYear = 2100;

// The first field of `request` (depth first, in field-number order) that
// breaks a rule above, as INVALID_ARGUMENT; OK when none does.
absl::Status CheckRequestFields(const google::protobuf::Message& request);

}  // namespace gridledger::service

#endif  // GRIDLEDGER_SERVICES_COMMON_REQUEST_CHECK_H_
