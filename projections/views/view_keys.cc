#include "projections/views/view_keys.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace gridledger::projections {
std::string PeriodKey(const v1::Period& period) {
  return absl::StrFormat("%04d%02d", period.year(), period.month());
}

std::string DateKey(const v1::Date& date) {
  return absl::StrFormat("%04d%02d%02d", date.year(), date.month(), date.day());
}

std::string SequenceKey(int64_t sequence) { return absl::StrFormat("%016d", sequence); }

std::string UnitKey(absl::string_view org_unit) { return absl::StrCat(org_unit, "/|"); }

std::string UnitPrefix(absl::string_view org_unit) { return absl::StrCat(org_unit, "/"); }

std::vector<std::string> UnitAndAncestors(absl::string_view org_unit) {
  std::vector<std::string> units;
  std::string path;
  for (absl::string_view part : absl::StrSplit(org_unit, '/', absl::SkipEmpty())) {
    if (!path.empty()) path += '/';
    absl::StrAppend(&path, part);
    units.push_back(path);
  }
  return units;
}

v1::Period PeriodOf(const v1::Date& date) {
  v1::Period period;
  period.set_year(date.year());
  period.set_month(date.month());
  return period;
}

bool IsSet(const v1::Date& date) { return date.year() != 0; }
bool IsSet(const v1::Period& period) { return period.year() != 0; }

}  // namespace gridledger::projections
