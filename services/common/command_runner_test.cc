#include "services/common/command_runner.h"

#include <atomic>
#include <thread>

#include "domain/common/calendar.h"
#include "eventstore/event_store_factory.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_util.h"

namespace gridledger::service {
namespace {

v1::DomainEvent Scrapped(const std::string& reason) {
  v1::DomainEvent event;
  event.mutable_meter_scrapped()->set_bar_code("M1");
  event.mutable_meter_scrapped()->set_reason(reason);
  return event;
}

class CommandRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = eventstore::OpenEventStore("embedded:" + dir_.path());
    ASSERT_TRUE(store.ok());
    store_ = *std::move(store);
    principal_ = Principal{"tech-1", "sn/xa", {"metering_technician"}};
  }
  CommandContext Context(const std::string& command_id) {
    return CommandContext{&principal_, "metering_technician", command_id, "corr-1"};
  }
  testing::TempDir dir_;
  std::unique_ptr<eventstore::EventStore> store_;
  Principal principal_;
};

TEST_F(CommandRunnerTest, AppendsWithActorAndAnswersRetriesWithoutDecidingAgain) {
  int decisions = 0;
  Decide decide = [&](const std::vector<v1::EventEnvelope>& history)
      -> absl::StatusOr<std::vector<v1::DomainEvent>> {
    ++decisions;
    if (!history.empty()) return absl::FailedPreconditionError("already scrapped");
    return std::vector<v1::DomainEvent>{Scrapped("burnt")};
  };
  absl::StatusOr<CommandOutcome> first = ExecuteCommand(*store_, Context("c1"), "meter-M1", decide);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->deduplicated);
  absl::StatusOr<CommandOutcome> retry = ExecuteCommand(*store_, Context("c1"), "meter-M1", decide);
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->deduplicated);
  EXPECT_EQ(decisions, 1) << "a retry is answered before the rules run again";
  auto events = store_->ReadStream("meter-M1");
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].type(), "gridledger.v1.MeterScrapped");
  EXPECT_EQ((*events)[0].actor().principal(), "tech-1");
  EXPECT_EQ((*events)[0].actor().role(), "metering_technician");
  EXPECT_EQ((*events)[0].actor().org_unit(), "sn/xa");
  EXPECT_EQ((*events)[0].correlation_id(), "corr-1");
  // A new command id runs the rules, which now refuse.
  EXPECT_EQ(ExecuteCommand(*store_, Context("c2"), "meter-M1", decide).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ExecuteCommand(*store_, Context(""), "meter-M1", decide).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Business time: the event's own time wins over x-occurred-at, which wins
// over now; each is held to the BT rules (a stated x-occurred-at even when
// the event's own time overrules it); causation ids reach every event.
TEST_F(CommandRunnerTest, OccurredAtIsTheCommandsBusinessTimeHeldToItsRules) {
  const absl::Time now = absl::Now();
  const absl::Time calibrated = now - absl::Hours(24 * 3);
  Decide calibrate =
      [&](const std::vector<v1::EventEnvelope>&) -> absl::StatusOr<std::vector<v1::DomainEvent>> {
    v1::DomainEvent event;
    event.mutable_meter_calibrated()->set_bar_code("M2");
    *event.mutable_meter_calibrated()->mutable_verified_on() =
        domain::ToDate(domain::UtilityDay(calibrated));
    return std::vector<v1::DomainEvent>{event, Scrapped("after the test")};
  };
  CommandContext keyed_in = Context("bt-1");
  keyed_in.stated_time = now - absl::Hours(24 * 5);  // the meter's stream begins then
  keyed_in.causation_id = "cause-1";
  ASSERT_TRUE(
      ExecuteCommand(*store_, keyed_in, "meter-M2", [](const std::vector<v1::EventEnvelope>&) {
        return absl::StatusOr<std::vector<v1::DomainEvent>>(
            std::vector<v1::DomainEvent>{Scrapped("received")});
      }).ok());
  ASSERT_TRUE(ExecuteCommand(*store_, Context("bt-2"), "meter-M2", calibrate).ok());
  auto events = store_->ReadStream("meter-M2");
  ASSERT_EQ(events->size(), 3u);
  EXPECT_EQ(domain::FromTimestamp((*events)[0].occurred_at()),
            absl::FromUnixSeconds(absl::ToUnixSeconds(*keyed_in.stated_time)));
  EXPECT_EQ((*events)[0].causation_id(), "cause-1");
  // Both events of the calibration carry its verified_on (00:00 that day).
  const absl::Time day = absl::FromCivil(domain::UtilityDay(calibrated), domain::UtilityZone());
  EXPECT_EQ(domain::FromTimestamp((*events)[1].occurred_at()), day);
  EXPECT_EQ(domain::FromTimestamp((*events)[2].occurred_at()), day);

  CommandContext future = Context("bt-3");
  future.stated_time = now + absl::Hours(1);
  absl::Status refused = ExecuteCommand(*store_, future, "meter-M2", calibrate).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(refused.message()), ::testing::HasSubstr("x-occurred-at: "));
  CommandContext before_start = Context("bt-4");
  before_start.stated_time = now - absl::Hours(24 * 30);
  EXPECT_EQ(ExecuteCommand(*store_, before_start, "meter-M2", calibrate).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(CommandRunnerTest, ConcurrentCommandsAreDecidedOnTheLatestState) {
  // Each command appends the count it saw; with retries on conflict, the
  // stream must read 0, 1, 2, … with no count repeated.
  Decide decide = [](const std::vector<v1::EventEnvelope>& history)
      -> absl::StatusOr<std::vector<v1::DomainEvent>> {
    return std::vector<v1::DomainEvent>{Scrapped(std::to_string(history.size()))};
  };
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        auto outcome =
            ExecuteCommand(*store_, Context("t" + std::to_string(t) + "-" + std::to_string(i)),
                           "meter-M2", decide);
        if (!outcome.ok()) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  auto events = store_->ReadStream("meter-M2");
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size() + failures.load(), 40u);
  for (size_t i = 0; i < events->size(); ++i) {
    EXPECT_EQ((*events)[i].payload().meter_scrapped().reason(), std::to_string(i));
  }
}

}  // namespace
}  // namespace gridledger::service
