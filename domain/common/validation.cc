#include "domain/common/validation.h"

#include <cstdint>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "domain/common/calendar.h"

namespace gridledger::domain {

absl::Status CheckId(const std::string& field, const std::string& id) {
  if (id.empty() || id.size() > 64) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": must be 1-64 characters"));
  }
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-') {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": only letters, digits and '-' are allowed"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckPlainId(const std::string& field, const std::string& id) {
  if (id.empty() || id.size() > 64 || id.find_first_of(" /\t\n") != std::string::npos) {
    return absl::InvalidArgumentError(field + ": must be 1-64 characters without spaces or '/'");
  }
  return absl::OkStatus();
}

namespace {

// The code point of the UTF-8 sequence at text[i], advancing i; -1 when the
// bytes there are not valid UTF-8 (overlong, surrogate, past U+10FFFF, cut).
int32_t NextCodePoint(const std::string& text, size_t& i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  int length = 0;
  int32_t cp = 0;
  if (lead < 0x80) {
    ++i;
    return lead;
  }
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
    cp = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    cp = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    cp = lead & 0x07;
  } else {
    return -1;
  }
  if (i + length > text.size()) return -1;
  for (int k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return -1;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  constexpr int32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMinForLength[length] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
  i += length;
  return cp;
}

bool IsControlOrBidi(int32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x200E || cp == 0x200F ||
         (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x061C;
}

}  // namespace

absl::Status CheckText(const std::string& field, const std::string& text, size_t max_bytes,
                       bool required) {
  if (required && text.empty()) return absl::InvalidArgumentError(field + ": must be set");
  if (text.size() > max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": must be at most ", max_bytes, " bytes of UTF-8"));
  }
  for (size_t i = 0; i < text.size();) {
    const size_t at = i;
    const int32_t cp = NextCodePoint(text, i);
    if (cp < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": must be valid UTF-8 (bad byte at offset ", at, ")"));
    }
    if (IsControlOrBidi(cp)) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": must not contain control or bidirectional-override characters (U+",
                       absl::Hex(cp, absl::kZeroPad4), " at offset ", at, ")"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckRegisters(const std::string& field, const v1::Registers& r) {
  const std::pair<const char*, int64_t> values[] = {
      {"total_wh", r.total_wh()},        {"sharp_wh", r.sharp_wh()},
      {"peak_wh", r.peak_wh()},          {"flat_wh", r.flat_wh()},
      {"valley_wh", r.valley_wh()},      {"reactive_varh", r.reactive_varh()},
      {"max_demand_w", r.max_demand_w()}};
  for (const auto& [name, value] : values) {
    if (value < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".", name, ": must not be negative, got ", value));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckPeriod(const std::string& field, const v1::Period& p) {
  if (p.year() < 1990 || p.year() > 2200 || p.month() < 1 || p.month() > 12) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": must be a year 1990-2200 and month 1-12"));
  }
  return absl::OkStatus();
}

absl::Status CheckDate(const std::string& field, const v1::Date& d) {
  if (d.year() < 1990 || d.year() > 2200 || d.month() < 1 || d.month() > 12 || d.day() < 1 ||
      d.day() > 31 || ToCivilDay(d).day() != d.day()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": must be a valid date"));
  }
  return absl::OkStatus();
}

}  // namespace gridledger::domain
