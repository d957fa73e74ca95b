// Field checks every unit's rules share. Each returns INVALID_ARGUMENT naming
// `field` and the rule, or OK.
#ifndef GRIDLEDGER_DOMAIN_COMMON_VALIDATION_H_
#define GRIDLEDGER_DOMAIN_COMMON_VALIDATION_H_

#include <string>

#include "absl/status/status.h"
#include "gridledger/v1/common.pb.h"

namespace gridledger::domain {

// An identifier that becomes part of a stream id: 1–64 of [A-Za-z0-9-].
absl::Status CheckId(const std::string& field, const std::string& id);

// A looser identifier (applications, tickets, alerts): 1–64 characters, no
// spaces, tabs, newlines or '/'.
absl::Status CheckPlainId(const std::string& field, const std::string& id);

// Meter registers: none negative.
absl::Status CheckRegisters(const std::string& field, const v1::Registers& registers);

}  // namespace gridledger::domain

#endif  // GRIDLEDGER_DOMAIN_COMMON_VALIDATION_H_
