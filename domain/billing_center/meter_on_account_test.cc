#include "domain/billing_center/meter_on_account.h"

#include "domain/common/calendar.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gridledger::billing {
namespace {

using ::testing::HasSubstr;

absl::Time Day(int month, int day) {
  return absl::FromCivil(absl::CivilSecond(2026, month, day, 9, 0, 0), domain::UtilityZone());
}

v1::EventEnvelope Installed(const std::string& account, absl::Time at) {
  v1::EventEnvelope event;
  v1::MeterInstalled* installed = event.mutable_payload()->mutable_meter_installed();
  installed->set_bar_code("M-1");
  installed->set_account_id(account);
  *installed->mutable_installed_at() = domain::ToTimestamp(at);
  return event;
}

v1::EventEnvelope Removed(absl::Time at) {
  v1::EventEnvelope event;
  *event.mutable_occurred_at() = domain::ToTimestamp(at);  // removed_at unset: the event's time
  event.mutable_payload()->mutable_meter_removed()->set_bar_code("M-1");
  return event;
}

v1::EventEnvelope Received() {
  v1::EventEnvelope event;
  event.mutable_payload()->mutable_meter_received()->set_bar_code("M-1");
  return event;
}

TEST(MeterOnAccountTest, AReadWhileTheMeterHangsOnTheAccountIsTaken) {
  const std::vector<v1::EventEnvelope> history = {
      Received(), Installed("A", Day(10, 5)), Removed(Day(11, 20)), Installed("B", Day(11, 21))};
  EXPECT_TRUE(CheckMeterOnAccount(history, "M-1", "A", Day(10, 5)).ok());
  EXPECT_TRUE(CheckMeterOnAccount(history, "M-1", "A", Day(11, 20)).ok());  // its removal read
  EXPECT_TRUE(CheckMeterOnAccount(history, "M-1", "B", Day(12, 1)).ok());
}

TEST(MeterOnAccountTest, AnyOtherReadIsRefusedNamingTheFieldAndRule) {
  const std::vector<v1::EventEnvelope> history = {
      Received(), Installed("A", Day(10, 5)), Removed(Day(11, 20)), Installed("B", Day(11, 21))};
  struct Case {
    std::vector<v1::EventEnvelope> history;
    std::string account;
    absl::Time read_at;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {{Received(), Installed("A", Day(10, 5))},
       "A",
       Day(10, 4),
       "was not installed there on 2026-10-04"},
      {history, "A", Day(11, 22), "installed on another account"},
      {history, "C", Day(12, 1), "installed on another account"},
      {history, "B", Day(11, 20), "was not installed there"},
      {{Received()}, "A", Day(12, 1), "never installed"},
      {{}, "A", Day(12, 1), "no such meter"},
  };
  for (const Case& c : cases) {
    absl::Status status = CheckMeterOnAccount(c.history, "M-1", c.account, c.read_at);
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << c.expected;
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.expected));
    EXPECT_THAT(std::string(status.message()), HasSubstr("read.meter_bar_code: meter M-1"));
    EXPECT_THAT(std::string(status.message()), HasSubstr("C-METER-ON-ACCOUNT"));
  }
}

}  // namespace
}  // namespace gridledger::billing
