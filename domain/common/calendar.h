// Calendar conversions shared by every unit and the views: business dates are
// civil days in the utility's zone (Asia/Shanghai, UTC+8, no daylight saving).
#ifndef GRIDLEDGER_DOMAIN_COMMON_CALENDAR_H_
#define GRIDLEDGER_DOMAIN_COMMON_CALENDAR_H_

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "gridledger/v1/common.pb.h"

namespace gridledger::domain {

absl::TimeZone UtilityZone();
absl::CivilDay UtilityDay(absl::Time time);
// The calendar date of a time in the utility's zone.
v1::Date UtilityDate(const google::protobuf::Timestamp& time);
v1::Date UtilityToday();

absl::CivilDay ToCivilDay(const v1::Date& date);
v1::Date ToDate(absl::CivilDay day);

google::protobuf::Timestamp ToTimestamp(absl::Time time);
absl::Time FromTimestamp(const google::protobuf::Timestamp& timestamp);

}  // namespace gridledger::domain

#endif  // GRIDLEDGER_DOMAIN_COMMON_CALENDAR_H_
