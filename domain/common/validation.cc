#include "domain/common/validation.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

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

}  // namespace gridledger::domain
