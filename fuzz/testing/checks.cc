#include "fuzz/testing/checks.h"

#include <google/protobuf/stubs/logging.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"

namespace gridledger::fuzzing {
namespace {

// Consumes one field path: an identifier, then any of ".identifier", "[n]"
// or ".*".
bool ConsumeField(absl::string_view* text) {
  const auto is_start = [](char c) { return c >= 'a' && c <= 'z'; };
  const auto is_part = [](char c) {
    return absl::ascii_islower(static_cast<unsigned char>(c)) ||
           absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '[' ||
           c == ']' || c == '*';
  };
  if (text->empty() || !is_start(text->front())) return false;
  size_t length = 1;
  while (length < text->size() && is_part((*text)[length])) ++length;
  text->remove_prefix(length);
  return true;
}

}  // namespace

void FuzzCheck(bool condition, absl::string_view what) {
  if (!condition) FuzzFailure(what);
}

void FuzzFailure(absl::string_view what) {
  std::fprintf(stderr, "\n== fuzz invariant broken: %.*s\n", static_cast<int>(what.size()),
               what.data());
  std::abort();
}

void QuietProtobufLogging() {
  static const bool kQuiet = [] {
    google::protobuf::SetLogHandler(nullptr);
    return true;
  }();
  (void)kQuiet;
}

bool IsValidUtf8(absl::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    size_t length = 1;
    uint32_t code = lead;
    uint32_t min = 0;
    if (lead < 0x80) {
      ++i;
      continue;
    }
    if ((lead & 0xE0) == 0xC0) {
      length = 2;
      code = lead & 0x1F;
      min = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3;
      code = lead & 0x0F;
      min = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4;
      code = lead & 0x07;
      min = 0x10000;
    } else {
      return false;
    }
    if (text.size() - i < length) return false;
    for (size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    i += length;
  }
  return true;
}

bool NamesAField(absl::string_view message) {
  if (!ConsumeField(&message)) return false;
  while (absl::ConsumePrefix(&message, ", ") || absl::ConsumePrefix(&message, " and ")) {
    if (!ConsumeField(&message)) return false;
  }
  return absl::ConsumePrefix(&message, ": ") && !message.empty();
}

bool HasControlCharacter(absl::string_view text) {
  for (char c : text) {
    if (absl::ascii_iscntrl(static_cast<unsigned char>(c))) return true;
  }
  return false;
}

}  // namespace gridledger::fuzzing
