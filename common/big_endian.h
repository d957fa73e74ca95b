// Fixed-width big-endian integers, so RocksDB's bytewise key order is numeric
// order (log offsets, stream versions).
#ifndef GRIDLEDGER_COMMON_BIG_ENDIAN_H_
#define GRIDLEDGER_COMMON_BIG_ENDIAN_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace gridledger {

inline void AppendBigEndian64(uint64_t value, std::string* out) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((value >> shift) & 0xFF));
  }
}

inline std::string BigEndian64(uint64_t value) {
  std::string out;
  AppendBigEndian64(value, &out);
  return out;
}

// The value of the first 8 bytes of `bytes`; nullopt when there are fewer.
inline std::optional<uint64_t> ReadBigEndian64(absl::string_view bytes) {
  if (bytes.size() < 8) return std::nullopt;
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | static_cast<uint8_t>(bytes[i]);
  return value;
}

}  // namespace gridledger

#endif  // GRIDLEDGER_COMMON_BIG_ENDIAN_H_
