// Identifiers: random UUIDs for events and commands.
#ifndef GRIDLEDGER_COMMON_IDS_H_
#define GRIDLEDGER_COMMON_IDS_H_

#include <string>

#include "absl/strings/string_view.h"

namespace gridledger {

// A random (version 4) UUID in lower-case 8-4-4-4-12 hex form. Thread-safe.
std::string NewUuid();

// True when `text` has the 8-4-4-4-12 lower- or upper-case hex form.
bool IsUuid(absl::string_view text);

}  // namespace gridledger

#endif  // GRIDLEDGER_COMMON_IDS_H_
