// SHA-256 for the event hash chains (OpenSSL underneath).
//
// Thread-safe; no state is shared between calls.
#ifndef GRIDLEDGER_COMMON_SHA256_H_
#define GRIDLEDGER_COMMON_SHA256_H_

#include <string>

#include "absl/strings/string_view.h"

namespace gridledger {

inline constexpr size_t kSha256Bytes = 32;

// The 32 raw bytes of SHA-256(first ‖ second).
std::string Sha256Concat(absl::string_view first, absl::string_view second);

// The 32 raw bytes of SHA-256(data).
inline std::string Sha256(absl::string_view data) { return Sha256Concat(data, {}); }

// The hash a chain starts from: 32 zero bytes.
const std::string& GenesisHash();

// Lower-case hex of arbitrary bytes, for messages and logs.
std::string HexEncode(absl::string_view bytes);

}  // namespace gridledger

#endif  // GRIDLEDGER_COMMON_SHA256_H_
