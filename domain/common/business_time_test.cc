#include "domain/common/business_time.h"

#include "domain/common/calendar.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gridledger::domain {
namespace {

using ::testing::HasSubstr;

const absl::Time kNow = absl::FromCivil(absl::CivilSecond(2026, 12, 3, 10, 0, 0), UtilityZone());

v1::DomainEvent ReadAt(absl::Time at) {
  v1::DomainEvent event;
  *event.mutable_meter_read_recorded()->mutable_read_at() = ToTimestamp(at);
  return event;
}

v1::DomainEvent PaidOn(int year, int month, int day) {
  v1::DomainEvent event;
  *event.mutable_payment_posted()->mutable_paid_on() = ToDate(absl::CivilDay(year, month, day));
  return event;
}

v1::EventEnvelope Began(absl::Time at) {
  v1::EventEnvelope first;
  first.set_stream_id("account-1");
  *first.mutable_occurred_at() = ToTimestamp(at);
  return first;
}

TEST(BusinessTimeTest, TheFirstStatedTimeWinsThenMetadataThenNow) {
  const absl::Time read_at = kNow - absl::Hours(72);
  v1::DomainEvent unstated;
  unstated.mutable_bill_checked();
  BusinessTime picked = BusinessTimeOf({unstated, ReadAt(read_at)}, kNow - absl::Hours(1), kNow);
  EXPECT_EQ(picked.time, read_at);
  EXPECT_EQ(picked.stated_by, "read_at");
  picked = BusinessTimeOf({unstated}, kNow - absl::Hours(1), kNow);
  EXPECT_EQ(picked.time, kNow - absl::Hours(1));
  EXPECT_EQ(picked.stated_by, "x-occurred-at");
  picked = BusinessTimeOf({unstated}, std::nullopt, kNow);
  EXPECT_EQ(picked.time, kNow);
  EXPECT_EQ(picked.stated_by, "");
}

TEST(BusinessTimeTest, ADateStatesTheStartOfItsDayInTheUtilitysZone) {
  std::optional<BusinessTime> stated = StatedBusinessTime(PaidOn(2026, 11, 15));
  ASSERT_TRUE(stated.has_value());
  EXPECT_EQ(stated->stated_by, "paid_on");
  EXPECT_EQ(stated->time, absl::FromCivil(absl::CivilSecond(2026, 11, 15, 0, 0, 0), UtilityZone()));
  EXPECT_FALSE(StatedBusinessTime(v1::DomainEvent()).has_value());
}

TEST(BusinessTimeTest, AFutureTimeBeyondTheSkewIsRefusedNamingTheField) {
  EXPECT_TRUE(CheckBusinessTime({kNow + absl::Minutes(4), "read_at"}, kNow, {}).ok());
  absl::Status status = CheckBusinessTime({kNow + absl::Minutes(6), "read_at"}, kNow, {});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("read_at: 2026-12-03T10:06:00+08:00"));
  EXPECT_THAT(std::string(status.message()), HasSubstr(kRuleNotFuture));
  EXPECT_EQ(CheckBusinessTime({absl::FromUnixSeconds(0), "x-occurred-at"}, kNow, {}).code(),
            absl::StatusCode::kInvalidArgument);
  // The moment the command ran is never checked (it is now by definition).
  EXPECT_TRUE(CheckBusinessTime({kNow + absl::Hours(1), ""}, kNow, {}).ok());
}

TEST(BusinessTimeTest, ATimeOnADayBeforeTheAggregateBeganIsRefused) {
  const absl::Time opened =
      absl::FromCivil(absl::CivilSecond(2026, 11, 2, 15, 0, 0), UtilityZone());
  // The same day, earlier in it: taken (a date-only field states 00:00).
  EXPECT_TRUE(CheckBusinessTime({opened - absl::Hours(15), "paid_on"}, kNow, {Began(opened)}).ok());
  absl::Status status =
      CheckBusinessTime({opened - absl::Hours(16), "x-occurred-at"}, kNow, {Began(opened)});
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(status.message()), HasSubstr("x-occurred-at: 2026-11-01T23:00:00+08:00"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("account-1 began (2026-11-02"));
  EXPECT_THAT(std::string(status.message()), HasSubstr(kRuleNotBeforeStart));
}

}  // namespace
}  // namespace gridledger::domain
