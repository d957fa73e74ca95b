#include "projections/views/view_keys.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace gridledger::projections {
namespace {

absl::TimeZone UtilityZone() { return absl::FixedTimeZone(8 * 60 * 60); }

}  // namespace

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

v1::Date LocalDate(const google::protobuf::Timestamp& time) {
  const absl::CivilDay day = absl::ToCivilDay(absl::FromUnixSeconds(time.seconds()), UtilityZone());
  return FromCivilDay(day);
}

v1::Period PeriodOf(const v1::Date& date) {
  v1::Period period;
  period.set_year(date.year());
  period.set_month(date.month());
  return period;
}

absl::CivilDay ToCivilDay(const v1::Date& date) {
  return absl::CivilDay(date.year(), date.month(), date.day());
}

v1::Date FromCivilDay(absl::CivilDay day) {
  v1::Date date;
  date.set_year(static_cast<int32_t>(day.year()));
  date.set_month(day.month());
  date.set_day(day.day());
  return date;
}

v1::Date Today() { return FromCivilDay(absl::ToCivilDay(absl::Now(), UtilityZone())); }

bool IsSet(const v1::Date& date) { return date.year() != 0; }
bool IsSet(const v1::Period& period) { return period.year() != 0; }

}  // namespace gridledger::projections
