// Field checks every unit's rules share. Each returns INVALID_ARGUMENT naming
// `field` and the rule, or OK.
#ifndef GRIDLEDGER_DOMAIN_COMMON_VALIDATION_H_
#define GRIDLEDGER_DOMAIN_COMMON_VALIDATION_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "gridledger/v1/common.pb.h"

namespace gridledger::domain {

// An identifier that becomes part of a stream id: 1–64 of [A-Za-z0-9-].
absl::Status CheckId(const std::string& field, const std::string& id);

// A looser identifier (applications, tickets, alerts): 1–64 characters, no
// spaces, tabs, newlines or '/'.
absl::Status CheckPlainId(const std::string& field, const std::string& id);

// Free text (names, reasons, addresses): valid UTF-8 of at most `max_bytes`,
// without control characters (C0, DEL, C1) or bidirectional overrides and
// isolates (U+200E/F, U+202A–E, U+2066–9, U+061C); `required` refuses empty.
absl::Status CheckText(const std::string& field, const std::string& text, size_t max_bytes,
                       bool required);

// INVALID_ARGUMENT naming `field` unless a real month / day of 1990-2200.
absl::Status CheckPeriod(const std::string& field, const v1::Period& period);
absl::Status CheckDate(const std::string& field, const v1::Date& date);

// Meter registers: none negative.
absl::Status CheckRegisters(const std::string& field, const v1::Registers& registers);

}  // namespace gridledger::domain

#endif  // GRIDLEDGER_DOMAIN_COMMON_VALIDATION_H_
