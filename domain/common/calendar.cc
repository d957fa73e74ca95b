#include "domain/common/calendar.h"

#include "absl/time/clock.h"

namespace gridledger::domain {

absl::TimeZone UtilityZone() { return absl::FixedTimeZone(8 * 3600); }

absl::CivilDay UtilityDay(absl::Time time) { return absl::ToCivilDay(time, UtilityZone()); }

v1::Date UtilityDate(const google::protobuf::Timestamp& time) {
  return ToDate(UtilityDay(FromTimestamp(time)));
}

v1::Date UtilityToday() { return ToDate(UtilityDay(absl::Now())); }

absl::CivilDay ToCivilDay(const v1::Date& date) {
  return absl::CivilDay(date.year(), date.month(), date.day());
}

v1::Date ToDate(absl::CivilDay day) {
  v1::Date date;
  date.set_year(static_cast<int32_t>(day.year()));
  date.set_month(day.month());
  date.set_day(day.day());
  return date;
}

google::protobuf::Timestamp ToTimestamp(absl::Time time) {
  google::protobuf::Timestamp timestamp;
  timestamp.set_seconds(absl::ToUnixSeconds(time));
  return timestamp;
}

absl::Time FromTimestamp(const google::protobuf::Timestamp& timestamp) {
  return absl::FromUnixSeconds(timestamp.seconds()) + absl::Nanoseconds(timestamp.nanos());
}

}  // namespace gridledger::domain
