#include "common/ids.h"

#include <cstdint>

#include "absl/random/random.h"
#include "absl/strings/ascii.h"

namespace gridledger {
namespace {

absl::BitGen& ThreadBitGen() {
  thread_local absl::BitGen gen;
  return gen;
}

}  // namespace

std::string NewUuid() {
  uint8_t bytes[16];
  for (auto& b : bytes) b = absl::Uniform<uint8_t>(ThreadBitGen());
  bytes[6] = (bytes[6] & 0x0F) | 0x40;  // version 4
  bytes[8] = (bytes[8] & 0x3F) | 0x80;  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 0xF]);
  }
  return out;
}

bool IsUuid(absl::string_view text) {
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool dash_slot = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_slot != (text[i] == '-')) return false;
    if (!dash_slot && !absl::ascii_isxdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  return true;
}

}  // namespace gridledger
