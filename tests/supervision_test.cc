// The supervision engine on a real embedded store, through the real command
// path (marketing::RecordEngineAlerts) and the projection runtime: for every
// rule, on a seeded history, an alert is raised exactly once when its
// condition starts and resolved exactly once when it ends; thresholds set by
// events take effect from the tick that covers them; a tick judges only what
// it covers; a rebuild appends nothing and a dry replay decides exactly the
// alerts the log holds.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/ids.h"
#include "domain/common/calendar.h"
#include "domain/common/streams.h"
#include "domain/marketing_department/supervision_rules.h"
#include "eventstore/event_store_factory.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "projections/views/kpi_view.h"
#include "projections/views/supervision_view.h"
#include "services/marketing_department/supervision_commands.h"
#include "tests/testing/test_util.h"

namespace gridledger {
namespace {

using projections::ProjectionRunner;
using projections::SupervisionView;

constexpr char kUnit[] = "sn/xa/huyi";

absl::Time At(int month, int day, int hour = 9, int minute = 0) {
  return absl::FromCivil(absl::CivilSecond(2026, month, day, hour, minute, 0),
                         domain::UtilityZone());
}

v1::Date DateOf(int month, int day) { return domain::ToDate(absl::CivilDay(2026, month, day)); }

// What the log holds about alerts: per alert id, raises and resolutions.
struct AlertCounts {
  std::map<std::string, int> raised, resolved;
  std::map<std::string, v1::SupervisionRule> rule;
  int RaisedOf(v1::SupervisionRule r) const {
    int n = 0;
    for (const auto& [id, count] : raised) n += rule.at(id) == r ? count : 0;
    return n;
  }
  int ResolvedOf(v1::SupervisionRule r) const {
    int n = 0;
    for (const auto& [id, count] : resolved) n += rule.count(id) && rule.at(id) == r ? count : 0;
    return n;
  }
};

class SupervisionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = eventstore::OpenEventStore("embedded:" + dir_.path() + "/store");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    runner_ = OpenEngine("/engine", /*live=*/true);
  }

  std::unique_ptr<ProjectionRunner> OpenEngine(const std::string& subdir, bool live) {
    projections::AlertSink sink;
    if (live) {
      sink = [this](const std::vector<projections::AlertAction>& actions) {
        return marketing::RecordEngineAlerts(*store_, actions);
      };
    }
    auto runner = ProjectionRunner::Open(
        store_.get(), std::make_unique<SupervisionView>(std::move(sink)), dir_.path() + subdir);
    EXPECT_TRUE(runner.ok()) << runner.status();
    return runner.ok() ? *std::move(runner) : nullptr;
  }

  // Appends one event as a unit's clerk would, at business time `at`.
  void Append(const std::string& stream, v1::DomainEvent payload, absl::Time at) {
    eventstore::AppendRequest request;
    request.stream_id = stream;
    request.command_id = NewUuid();
    v1::EventEnvelope& envelope = request.events.emplace_back();
    envelope.set_type(eventstore::EventTypeOf(payload));
    envelope.set_schema_version(2);
    *envelope.mutable_occurred_at() = domain::ToTimestamp(at);
    envelope.mutable_actor()->set_principal("clerk");
    envelope.set_org_unit(kUnit);
    *envelope.mutable_payload() = std::move(payload);
    absl::StatusOr<eventstore::AppendResult> outcome = store_->Append(request);
    ASSERT_TRUE(outcome.ok()) << outcome.status();
  }

  // Records a tick covering everything in the log now (as RecordClockTick
  // does), without applying it.
  void RecordTick(absl::Time at) {
    absl::StatusOr<v1::Checkpoint> covers = store_->EndCheckpoint();
    ASSERT_TRUE(covers.ok());
    absl::StatusOr<v1::DomainEvent> tick = marketing::DecideClockTick({}, at, *covers);
    ASSERT_TRUE(tick.ok());
    Append(std::string(domain::kClockStream), *tick, at);
  }

  // A tick, then the engine catches up (its alerts land and are applied too).
  void Tick(absl::Time at) {
    RecordTick(at);
    CatchUp(*runner_);
  }

  static void CatchUp(ProjectionRunner& runner) {
    for (int i = 0; i < 3; ++i) {
      const absl::StatusOr<int64_t> caught_up = runner.CatchUp();
      ASSERT_TRUE(caught_up.ok()) << caught_up.status();
    }
  }

  AlertCounts Alerts() {
    AlertCounts counts;
    v1::Checkpoint from;
    for (;;) {
      absl::StatusOr<eventstore::ReadAllResult> read = store_->ReadAll(from, 1000);
      EXPECT_TRUE(read.ok());
      if (!read.ok() || read->events.empty()) break;
      for (const v1::EventEnvelope& e : read->events) {
        if (e.payload().has_supervision_alert_raised()) {
          const auto& raised = e.payload().supervision_alert_raised();
          ++counts.raised[raised.alert_id()];
          counts.rule[raised.alert_id()] = raised.rule();
          EXPECT_EQ(e.actor().principal(), marketing::kSupervisionPrincipal);
          EXPECT_EQ(raised.org_unit(), kUnit);
          EXPECT_FALSE(raised.evidence().empty());
        }
        if (e.payload().has_supervision_alert_resolved()) {
          ++counts.resolved[e.payload().supervision_alert_resolved().alert_id()];
        }
      }
      from = read->next;
    }
    for (const auto& [id, n] : counts.raised) EXPECT_EQ(n, 1) << id << " raised twice";
    for (const auto& [id, n] : counts.resolved) EXPECT_EQ(n, 1) << id << " resolved twice";
    return counts;
  }

  // Exactly `raised` alerts of `rule` raised and `resolved` resolved so far.
  void ExpectRule(v1::SupervisionRule rule, int raised, int resolved, const std::string& when) {
    AlertCounts counts = Alerts();
    EXPECT_EQ(counts.RaisedOf(rule), raised) << v1::SupervisionRule_Name(rule) << " " << when;
    EXPECT_EQ(counts.ResolvedOf(rule), resolved) << v1::SupervisionRule_Name(rule) << " " << when;
  }

  // The rebuild and replay checks every test ends with: a second engine from
  // zero with the live sink appends nothing; one without a sink decides
  // exactly the alerts the log holds, in the same states.
  void ExpectRebuildAndReplayAgree() {
    absl::StatusOr<v1::Checkpoint> end_before = store_->EndCheckpoint();
    ASSERT_TRUE(end_before.ok());
    std::unique_ptr<ProjectionRunner> rebuilt = OpenEngine("/rebuilt", /*live=*/true);
    CatchUp(*rebuilt);
    absl::StatusOr<v1::Checkpoint> end_after = store_->EndCheckpoint();
    ASSERT_TRUE(end_after.ok());
    EXPECT_EQ(end_after->DebugString(), end_before->DebugString())
        << "a rebuild appended alerts again";

    std::unique_ptr<ProjectionRunner> replayed = OpenEngine("/replayed", /*live=*/false);
    CatchUp(*replayed);
    AlertCounts recorded = Alerts();
    std::map<std::string, bool> recorded_open;
    for (const auto& [id, n] : recorded.raised) {
      recorded_open[id] = recorded.resolved.count(id) == 0;
    }
    EXPECT_EQ(OpenByAlert(*replayed), recorded_open);
    EXPECT_EQ(OpenByAlert(*runner_), recorded_open);
  }

  // The engine's decisions: alert id → open.
  static std::map<std::string, bool> OpenByAlert(ProjectionRunner& runner) {
    absl::StatusOr<std::vector<v1::AlertRecord>> decided =
        projections::EngineDecisions(projections::ViewReader(runner.db()));
    EXPECT_TRUE(decided.ok());
    std::map<std::string, bool> open;
    if (!decided.ok()) return open;
    for (const v1::AlertRecord& r : *decided) {
      open[r.raised().alert_id()] = r.state() == v1::ALERT_STATE_OPEN;
    }
    return open;
  }

  testing::TempDir dir_;
  std::unique_ptr<eventstore::EventStore> store_;
  std::unique_ptr<ProjectionRunner> runner_;
};

v1::DomainEvent Payload(const std::function<void(v1::DomainEvent&)>& fill) {
  v1::DomainEvent event;
  fill(event);
  return event;
}

TEST_F(SupervisionTest, ApplicationPastItsCommittedDate) {
  const std::string stream = domain::kApplication.StreamOf("A-1");
  Append(stream, Payload([](v1::DomainEvent& e) {
           e.mutable_application_submitted()->set_application_id("A-1");
         }),
         At(6, 1));
  Append(stream, Payload([](v1::DomainEvent& e) {
           e.mutable_application_accepted()->set_application_id("A-1");
           *e.mutable_application_accepted()->mutable_due_date() = DateOf(6, 10);
         }),
         At(6, 2));
  const auto rule = v1::SUPERVISION_RULE_APPLICATION_STEP_OVERDUE;
  Tick(At(6, 10, 23));
  ExpectRule(rule, 0, 0, "on its due day");
  Tick(At(6, 11));
  ExpectRule(rule, 1, 0, "the day after");
  Tick(At(6, 12));
  ExpectRule(rule, 1, 0, "two days after");
  Append(stream, Payload([](v1::DomainEvent& e) {
           e.mutable_application_closed()->set_application_id("A-1");
         }),
         At(6, 12, 10));
  Tick(At(6, 12, 11));
  ExpectRule(rule, 1, 1, "closed");
  Tick(At(6, 20));
  ExpectRule(rule, 1, 1, "later");
  ExpectRebuildAndReplayAgree();
}

TEST_F(SupervisionTest, ReadUncheckedThenFlaggedAndUndecided) {
  const std::string stream = domain::kAccount.StreamOf("42");
  Append(stream, Payload([](v1::DomainEvent& e) {
           e.mutable_meter_read_recorded()->set_read_id("R-1");
           e.mutable_meter_read_recorded()->set_account_id("42");
         }),
         At(6, 1));  // a Monday
  Tick(At(6, 4));    // Thursday: 3 working days
  ExpectRule(v1::SUPERVISION_RULE_READ_UNCHECKED, 0, 0, "after 3 working days");
  Tick(At(6, 5));  // 4
  ExpectRule(v1::SUPERVISION_RULE_READ_UNCHECKED, 1, 0, "after 4 working days");
  Append(stream, Payload([](v1::DomainEvent& e) {
           e.mutable_meter_read_checked()->set_read_id("R-1");
           e.mutable_meter_read_checked()->set_passed(false);
         }),
         At(6, 8));  // Monday, flagged
  Tick(At(6, 8, 12));
  ExpectRule(v1::SUPERVISION_RULE_READ_UNCHECKED, 1, 1, "checked");
  ExpectRule(v1::SUPERVISION_RULE_FLAGGED_READ_UNDECIDED, 0, 0, "just flagged");
  Tick(At(6, 12));  // Friday: 4 working days since the flag
  ExpectRule(v1::SUPERVISION_RULE_FLAGGED_READ_UNDECIDED, 1, 0, "undecided");
  Append(stream,
         Payload([](v1::DomainEvent& e) { e.mutable_read_check_decided()->set_read_id("R-1"); }),
         At(6, 12, 10));
  Tick(At(6, 12, 11));
  ExpectRule(v1::SUPERVISION_RULE_FLAGGED_READ_UNDECIDED, 1, 1, "decided");
  ExpectRebuildAndReplayAgree();
}

TEST_F(SupervisionTest, BillUncheckedThenDunningStagesUntilPaid) {
  const std::string stream = domain::kAccount.StreamOf("42");
  Append(stream, Payload([](v1::DomainEvent& e) {
           v1::BillIssued* bill = e.mutable_bill_issued();
           bill->set_bill_id("B-1");
           bill->set_account_id("42");
           bill->set_total_fen(10000);
           *bill->mutable_due_date() = DateOf(6, 20);
         }),
         At(6, 5));
  Tick(At(6, 14));  // 6 days left
  ExpectRule(v1::SUPERVISION_RULE_BILL_UNCHECKED_NEAR_DUE, 0, 0, "6 days before");
  Tick(At(6, 15));  // 5 days left
  ExpectRule(v1::SUPERVISION_RULE_BILL_UNCHECKED_NEAR_DUE, 1, 0, "5 days before");
  Append(stream, Payload([](v1::DomainEvent& e) { e.mutable_bill_checked()->set_bill_id("B-1"); }),
         At(6, 15, 10));
  Tick(At(6, 20, 20));
  ExpectRule(v1::SUPERVISION_RULE_BILL_UNCHECKED_NEAR_DUE, 1, 1, "checked");
  ExpectRule(v1::SUPERVISION_RULE_BILL_UNPAID_STAGE_1, 0, 0, "on the due day");
  Tick(At(6, 21));
  ExpectRule(v1::SUPERVISION_RULE_BILL_UNPAID_STAGE_1, 1, 0, "a day late");
  ExpectRule(v1::SUPERVISION_RULE_BILL_UNPAID_STAGE_2, 0, 0, "a day late");
  // A partial payment leaves it unpaid.
  Append(stream, Payload([](v1::DomainEvent& e) {
           v1::PaymentPosted* p = e.mutable_payment_posted();
           p->set_payment_id("P-1");
           p->set_account_id("42");
           p->set_amount_fen(4000);
           p->add_allocations()->set_bill_id("B-1");
           p->mutable_allocations(0)->set_amount_fen(4000);
         }),
         At(6, 25));
  Tick(At(7, 6));  // 16 days late
  ExpectRule(v1::SUPERVISION_RULE_BILL_UNPAID_STAGE_1, 1, 0, "partly paid");
  ExpectRule(v1::SUPERVISION_RULE_BILL_UNPAID_STAGE_2, 1, 0, "16 days late");
  Tick(At(7, 21));  // 31 days late
  ExpectRule(v1::SUPERVISION_RULE_BILL_UNPAID_STAGE_3, 1, 0, "31 days late");
  Append(stream, Payload([](v1::DomainEvent& e) {
           v1::PaymentPosted* p = e.mutable_payment_posted();
           p->set_payment_id("P-2");
           p->set_account_id("42");
           p->set_amount_fen(6000);
           p->add_allocations()->set_bill_id("B-1");
           p->mutable_allocations(0)->set_amount_fen(6000);
         }),
         At(7, 22));
  Tick(At(7, 22, 12));
  for (auto rule :
       {v1::SUPERVISION_RULE_BILL_UNPAID_STAGE_1, v1::SUPERVISION_RULE_BILL_UNPAID_STAGE_2,
        v1::SUPERVISION_RULE_BILL_UNPAID_STAGE_3}) {
    ExpectRule(rule, 1, 1, "paid in full");
  }
  // The second payment reversed: unpaid again, a second alert of each stage.
  Append(stream, Payload([](v1::DomainEvent& e) {
           e.mutable_payment_reversed()->set_payment_id("P-2");
           e.mutable_payment_reversed()->set_account_id("42");
         }),
         At(7, 23));
  Tick(At(7, 23, 12));
  for (auto rule :
       {v1::SUPERVISION_RULE_BILL_UNPAID_STAGE_1, v1::SUPERVISION_RULE_BILL_UNPAID_STAGE_2,
        v1::SUPERVISION_RULE_BILL_UNPAID_STAGE_3}) {
    ExpectRule(rule, 2, 1, "payment reversed");
  }
  ExpectRebuildAndReplayAgree();
}

TEST_F(SupervisionTest, MeterVerificationAndOnSiteTestOverdue) {
  const std::string stream = domain::kMeter.StreamOf("ZZ01");
  Append(stream, Payload([](v1::DomainEvent& e) {
           e.mutable_meter_calibrated()->set_bar_code("ZZ01");
           e.mutable_meter_calibrated()->set_passed(true);
           *e.mutable_meter_calibrated()->mutable_next_due() = DateOf(6, 30);
         }),
         At(6, 1));
  Append(stream, Payload([](v1::DomainEvent& e) { e.mutable_meter_installed(); }), At(6, 2));
  Append(stream, Payload([](v1::DomainEvent& e) {
           e.mutable_on_site_test_recorded()->set_bar_code("ZZ01");
           *e.mutable_on_site_test_recorded()->mutable_next_due() = DateOf(6, 15);
         }),
         At(6, 3));
  Tick(At(6, 15));
  ExpectRule(v1::SUPERVISION_RULE_METER_ON_SITE_TEST_OVERDUE, 0, 0, "on the test's due day");
  Tick(At(6, 16));
  ExpectRule(v1::SUPERVISION_RULE_METER_ON_SITE_TEST_OVERDUE, 1, 0, "a day past");
  Append(stream, Payload([](v1::DomainEvent& e) {
           e.mutable_on_site_test_recorded()->set_bar_code("ZZ01");
           *e.mutable_on_site_test_recorded()->mutable_next_due() = DateOf(12, 15);
         }),
         At(6, 17));
  Tick(At(7, 1));
  ExpectRule(v1::SUPERVISION_RULE_METER_ON_SITE_TEST_OVERDUE, 1, 1, "tested");
  ExpectRule(v1::SUPERVISION_RULE_METER_VERIFICATION_OVERDUE, 1, 0, "a day past verification");
  Append(stream, Payload([](v1::DomainEvent& e) { e.mutable_meter_removed(); }), At(7, 2));
  Append(stream, Payload([](v1::DomainEvent& e) { e.mutable_meter_scrapped(); }), At(7, 3));
  Tick(At(7, 3, 12));
  ExpectRule(v1::SUPERVISION_RULE_METER_VERIFICATION_OVERDUE, 1, 1, "scrapped");
  ExpectRebuildAndReplayAgree();
}

// A class I metering point's first on-site test falls due three months
// after installation (DL/T 448), with no test recorded.
TEST_F(SupervisionTest, OnSiteTestDueByTheInstallationsClass) {
  const std::string stream = domain::kMeter.StreamOf("ZZ02");
  Append(stream, Payload([](v1::DomainEvent& e) {
           e.mutable_meter_installed()->set_bar_code("ZZ02");
           e.mutable_meter_installed()->set_metering_class(1);
         }),
         At(3, 10));
  Tick(At(6, 10));
  ExpectRule(v1::SUPERVISION_RULE_METER_ON_SITE_TEST_OVERDUE, 0, 0, "three months on");
  Tick(At(6, 11));
  ExpectRule(v1::SUPERVISION_RULE_METER_ON_SITE_TEST_OVERDUE, 1, 0, "a day past");
  Append(stream, Payload([](v1::DomainEvent& e) { e.mutable_meter_removed(); }), At(6, 12));
  Tick(At(6, 12, 12));
  ExpectRule(v1::SUPERVISION_RULE_METER_ON_SITE_TEST_OVERDUE, 1, 1, "removed");
  ExpectRebuildAndReplayAgree();
}

TEST_F(SupervisionTest, TicketDispatchOnSiteAndResolutionLimits) {
  const std::string stream = domain::kTicket.StreamOf("T-1");
  const absl::Time opened = At(6, 1, 9);
  Append(stream, Payload([&](v1::DomainEvent& e) {
           e.mutable_service_ticket_opened()->set_ticket_id("T-1");
           *e.mutable_service_ticket_opened()->mutable_opened_at() = domain::ToTimestamp(opened);
         }),
         opened);
  Tick(opened + absl::Minutes(30));
  ExpectRule(v1::SUPERVISION_RULE_TICKET_DISPATCH_LATE, 0, 0, "30 minutes");
  Tick(opened + absl::Minutes(31));
  ExpectRule(v1::SUPERVISION_RULE_TICKET_DISPATCH_LATE, 1, 0, "31 minutes");
  Append(stream, Payload([&](v1::DomainEvent& e) {
           e.mutable_service_ticket_dispatched()->set_ticket_id("T-1");
           *e.mutable_service_ticket_dispatched()->mutable_on_site_due_by() =
               domain::ToTimestamp(opened + absl::Minutes(45));
         }),
         opened + absl::Minutes(32));
  Tick(opened + absl::Minutes(45));
  ExpectRule(v1::SUPERVISION_RULE_TICKET_DISPATCH_LATE, 1, 1, "dispatched");
  ExpectRule(v1::SUPERVISION_RULE_TICKET_ON_SITE_LATE, 0, 0, "at the on-site limit");
  Tick(opened + absl::Minutes(46));
  ExpectRule(v1::SUPERVISION_RULE_TICKET_ON_SITE_LATE, 1, 0, "past the on-site limit");
  Append(stream, Payload([](v1::DomainEvent& e) { e.mutable_service_ticket_on_site(); }),
         opened + absl::Minutes(50));
  Tick(opened + absl::Hours(25));
  ExpectRule(v1::SUPERVISION_RULE_TICKET_ON_SITE_LATE, 1, 1, "on site");
  ExpectRule(v1::SUPERVISION_RULE_TICKET_RESOLUTION_LATE, 1, 0, "25 hours open");
  Append(stream, Payload([](v1::DomainEvent& e) { e.mutable_service_ticket_resolved(); }),
         opened + absl::Hours(26));
  Tick(opened + absl::Hours(27));
  ExpectRule(v1::SUPERVISION_RULE_TICKET_RESOLUTION_LATE, 1, 1, "resolved");
  ExpectRebuildAndReplayAgree();
}

TEST_F(SupervisionTest, WorkVoucherPastItsDueDay) {
  const std::string stream = domain::kVoucher.StreamOf("V-1");
  Append(stream, Payload([](v1::DomainEvent& e) {
           e.mutable_work_voucher_issued()->set_voucher_id("V-1");
           *e.mutable_work_voucher_issued()->mutable_due_on() = DateOf(6, 10);
         }),
         At(6, 1));
  Tick(At(6, 10, 20));
  ExpectRule(v1::SUPERVISION_RULE_VOUCHER_LATE, 0, 0, "on its due day");
  Tick(At(6, 11));
  ExpectRule(v1::SUPERVISION_RULE_VOUCHER_LATE, 1, 0, "a day late");
  Append(stream, Payload([](v1::DomainEvent& e) { e.mutable_work_voucher_completed(); }),
         At(6, 12));
  Tick(At(6, 12, 12));
  ExpectRule(v1::SUPERVISION_RULE_VOUCHER_LATE, 1, 1, "completed");
  ExpectRebuildAndReplayAgree();
}

// A unit's threshold counts from the first tick that covers it, and a
// city's holds for its counties.
TEST_F(SupervisionTest, ThresholdsSetByEventsInheritDownTheTree) {
  Append(domain::SupervisionStreamOf("sn/xa"), Payload([](v1::DomainEvent& e) {
           v1::SupervisionThresholdSet* t = e.mutable_supervision_threshold_set();
           t->set_org_unit("sn/xa");
           t->set_rule(v1::SUPERVISION_RULE_VOUCHER_LATE);
           t->set_value(5);
         }),
         At(6, 1));
  Append(domain::kVoucher.StreamOf("V-1"), Payload([](v1::DomainEvent& e) {
           e.mutable_work_voucher_issued()->set_voucher_id("V-1");
           *e.mutable_work_voucher_issued()->mutable_due_on() = DateOf(6, 10);
         }),
         At(6, 1));
  Tick(At(6, 15));  // 5 days late: not more than 5
  ExpectRule(v1::SUPERVISION_RULE_VOUCHER_LATE, 0, 0, "within the city's threshold");
  Tick(At(6, 16));
  ExpectRule(v1::SUPERVISION_RULE_VOUCHER_LATE, 1, 0, "past the city's threshold");
  ExpectRebuildAndReplayAgree();
}

// A tick judges the log as it stood when the tick was recorded: a payment
// appended after it (though applied before the engine judges) waits for the
// next tick, so every run raises the same alerts.
TEST_F(SupervisionTest, ATickJudgesOnlyWhatItCovers) {
  const std::string stream = domain::kAccount.StreamOf("42");
  Append(stream, Payload([](v1::DomainEvent& e) {
           v1::BillIssued* bill = e.mutable_bill_issued();
           bill->set_bill_id("B-1");
           bill->set_account_id("42");
           bill->set_total_fen(500);
           *bill->mutable_due_date() = DateOf(6, 20);
         }),
         At(6, 5));
  Append(stream, Payload([](v1::DomainEvent& e) { e.mutable_bill_checked()->set_bill_id("B-1"); }),
         At(6, 6));
  RecordTick(At(6, 22));
  Append(stream, Payload([](v1::DomainEvent& e) {
           v1::PaymentPosted* p = e.mutable_payment_posted();
           p->set_payment_id("P-1");
           p->set_account_id("42");
           p->set_amount_fen(500);
           p->add_allocations()->set_bill_id("B-1");
           p->mutable_allocations(0)->set_amount_fen(500);
         }),
         At(6, 22, 10));
  CatchUp(*runner_);  // the tick and the payment in one chunk
  ExpectRule(v1::SUPERVISION_RULE_BILL_UNPAID_STAGE_1, 1, 0, "the tick before the payment");
  Tick(At(6, 22, 12));
  ExpectRule(v1::SUPERVISION_RULE_BILL_UNPAID_STAGE_1, 1, 1, "the tick after it");
  ExpectRebuildAndReplayAgree();
}

// Work vouchers feed the KPIs in the month they are verified: on time when
// accepted and completed by their due day; refusals counted apart.
TEST_F(SupervisionTest, VoucherKpisCountVerifiedVouchers) {
  struct Voucher {
    std::string id;
    int completed_day;  // in June; due on the 10th
    bool accepted;
  };
  const std::vector<Voucher> vouchers = {
      {"V-1", 9, true}, {"V-2", 10, true}, {"V-3", 12, true}, {"V-4", 8, false}};
  for (const Voucher& v : vouchers) {
    const std::string stream = domain::kVoucher.StreamOf(v.id);
    Append(stream, Payload([&](v1::DomainEvent& e) {
             e.mutable_work_voucher_issued()->set_voucher_id(v.id);
             *e.mutable_work_voucher_issued()->mutable_due_on() = DateOf(6, 10);
           }),
           At(6, 1));
    Append(stream, Payload([&](v1::DomainEvent& e) {
             *e.mutable_work_voucher_completed()->mutable_completed_on() =
                 DateOf(6, v.completed_day);
           }),
           At(6, v.completed_day));
    Append(stream, Payload([&](v1::DomainEvent& e) {
             e.mutable_work_voucher_verified()->set_accepted(v.accepted);
           }),
           At(6, 15));
  }
  auto kpis = ProjectionRunner::Open(store_.get(), std::make_unique<projections::KpiView>(),
                                     dir_.path() + "/kpi");
  ASSERT_TRUE(kpis.ok());
  ASSERT_TRUE((*kpis)->CatchUp().ok());
  v1::Period june;
  june.set_year(2026);
  june.set_month(6);
  absl::StatusOr<v1::KpiReport> report =
      projections::ReadKpis(projections::ViewReader((*kpis)->db()), "sn/xa", june, DateOf(6, 30));
  ASSERT_TRUE(report.ok()) << report.status();
  int found = 0;
  for (const v1::KpiValue& v : report->values()) {
    if (v.kpi() == v1::KPI_VOUCHER_ON_TIME_RATE) {
      EXPECT_EQ(v.numerator(), 2);    // V-1 and V-2: accepted, by the 10th
      EXPECT_EQ(v.denominator(), 4);  // every verified voucher
      EXPECT_EQ(v.value(), 5000);
      ++found;
    }
    if (v.kpi() == v1::KPI_VOUCHERS_REFUSED) {
      EXPECT_EQ(v.value(), 1);
      ++found;
    }
  }
  EXPECT_EQ(found, 2);
}

// The supply topology of the line-loss cases: feeder F-1 with transformer
// area TA-1, accounts 42 and 43 hanging from it, and May's gateway
// reads (feeder 62,000 Wh, area 60,000 Wh in).
class LineLossTest : public SupervisionTest {
 protected:
  void SetUp() override {
    SupervisionTest::SetUp();
    Register("F-1", v1::SUPPLY_NODE_KIND_FEEDER, "");
    Register("TA-1", v1::SUPPLY_NODE_KIND_TRANSFORMER_AREA, "F-1");
    for (const char* account : {"42", "43"}) {
      Append(domain::kAccount.StreamOf(account), Payload([&](v1::DomainEvent& e) {
               v1::AccountConnected* c = e.mutable_account_connected();
               c->set_account_id(account);
               c->set_transformer_area_id("TA-1");
               c->set_feeder_id("F-1");
               c->set_org_unit(kUnit);
             }),
             At(5, 1));
    }
    GatewayRead("F-1", 62000);
    GatewayRead("TA-1", 60000);
  }

  void Register(const std::string& id, v1::SupplyNodeKind kind, const std::string& feeder) {
    Append(domain::kSupply.StreamOf(id), Payload([&](v1::DomainEvent& e) {
             v1::SupplyNodeRegistered* n = e.mutable_supply_node_registered();
             n->set_node_id(id);
             n->set_kind(kind);
             n->set_feeder_id(feeder);
             n->set_org_unit(kUnit);
           }),
           At(5, 1));
  }

  void GatewayRead(const std::string& node, int64_t energy_wh) {
    Append(domain::kSupply.StreamOf(node), Payload([&](v1::DomainEvent& e) {
             v1::GatewayReadRecorded* r = e.mutable_gateway_read_recorded();
             r->set_node_id(node);
             r->mutable_period()->set_year(2026);
             r->mutable_period()->set_month(5);
             r->set_energy_wh(energy_wh);
           }),
           At(6, 1));
  }

  void Bill(const std::string& account, const std::string& bill_id, int64_t energy_wh) {
    Append(domain::kAccount.StreamOf(account), Payload([&](v1::DomainEvent& e) {
             v1::BillIssued* b = e.mutable_bill_issued();
             b->set_bill_id(bill_id);
             b->set_account_id(account);
             b->mutable_period()->set_year(2026);
             b->mutable_period()->set_month(5);
             b->set_energy_wh(energy_wh);
             b->set_total_fen(energy_wh / 2);
             *b->mutable_due_date() = DateOf(6, 25);
           }),
           At(6, 3));
  }
};

// Judged from the 10th of the next month; raised once when out of range,
// resolved once when later bills bring it back, raised anew when a bill is
// reversed.
TEST_F(LineLossTest, FeederAndAreaLossOutOfRange) {
  Bill("42", "B-42", 50000);  // feeder 1,935 bp, area 1,667 bp
  Tick(At(6, 9, 23));
  ExpectRule(v1::SUPERVISION_RULE_FEEDER_LINE_LOSS_OUT_OF_RANGE, 0, 0, "before the 10th");
  ExpectRule(v1::SUPERVISION_RULE_AREA_LINE_LOSS_OUT_OF_RANGE, 0, 0, "before the 10th");
  Tick(At(6, 10));
  ExpectRule(v1::SUPERVISION_RULE_FEEDER_LINE_LOSS_OUT_OF_RANGE, 1, 0, "on the 10th");
  ExpectRule(v1::SUPERVISION_RULE_AREA_LINE_LOSS_OUT_OF_RANGE, 1, 0, "on the 10th");
  Tick(At(6, 11));
  ExpectRule(v1::SUPERVISION_RULE_FEEDER_LINE_LOSS_OUT_OF_RANGE, 1, 0, "a day on");

  Bill("43", "B-43", 9000);  // billed 59,000: feeder 484 bp, area 167 bp
  Tick(At(6, 12));
  ExpectRule(v1::SUPERVISION_RULE_FEEDER_LINE_LOSS_OUT_OF_RANGE, 1, 1, "billed in full");
  ExpectRule(v1::SUPERVISION_RULE_AREA_LINE_LOSS_OUT_OF_RANGE, 1, 1, "billed in full");

  Append(domain::kAccount.StreamOf("43"),
         Payload([](v1::DomainEvent& e) { e.mutable_bill_reversed()->set_bill_id("B-43"); }),
         At(6, 13));
  Tick(At(6, 13, 12));
  ExpectRule(v1::SUPERVISION_RULE_FEEDER_LINE_LOSS_OUT_OF_RANGE, 2, 1, "a bill reversed");
  ExpectRule(v1::SUPERVISION_RULE_AREA_LINE_LOSS_OUT_OF_RANGE, 2, 1, "a bill reversed");
  ExpectRebuildAndReplayAgree();
}

// A month judged in range leaves the scan; a lower threshold set later
// judges it again (and raises), and the alert names the node's stream while
// its evidence is the bill it rests on.
TEST_F(LineLossTest, LoweredThresholdJudgesSettledMonthsAgain) {
  Bill("42", "B-42", 59000);  // feeder 484 bp, area 167 bp: in range
  Tick(At(6, 10));
  ExpectRule(v1::SUPERVISION_RULE_FEEDER_LINE_LOSS_OUT_OF_RANGE, 0, 0, "in range");
  Tick(At(6, 11));
  Append(domain::SupervisionStreamOf("sn/xa"), Payload([](v1::DomainEvent& e) {
           v1::SupervisionThresholdSet* t = e.mutable_supervision_threshold_set();
           t->set_org_unit("sn/xa");
           t->set_rule(v1::SUPERVISION_RULE_FEEDER_LINE_LOSS_OUT_OF_RANGE);
           t->set_value(400);
         }),
         At(6, 12));
  Tick(At(6, 12, 12));
  ExpectRule(v1::SUPERVISION_RULE_FEEDER_LINE_LOSS_OUT_OF_RANGE, 1, 0, "below the new threshold");
  ExpectRule(v1::SUPERVISION_RULE_AREA_LINE_LOSS_OUT_OF_RANGE, 0, 0, "its own threshold unchanged");
  v1::Checkpoint from;
  int found = 0;
  for (;;) {
    absl::StatusOr<eventstore::ReadAllResult> read = store_->ReadAll(from, 1000);
    ASSERT_TRUE(read.ok());
    if (read->events.empty()) break;
    for (const v1::EventEnvelope& e : read->events) {
      if (!e.payload().has_supervision_alert_raised()) continue;
      const v1::SupervisionAlertRaised& raised = e.payload().supervision_alert_raised();
      EXPECT_EQ(raised.subject_stream_id(), domain::kSupply.StreamOf("F-1"));
      ASSERT_EQ(raised.evidence_size(), 1);
      EXPECT_EQ(raised.evidence(0).stream_id(), domain::kAccount.StreamOf("42"));
      EXPECT_EQ(raised.observed(), 484);
      EXPECT_EQ(raised.threshold(), 400);
      ++found;
    }
    from = read->next;
  }
  EXPECT_EQ(found, 1);
  ExpectRebuildAndReplayAgree();
}

// More billed than entered is a negative loss: an alert at any threshold;
// energy billed with no gateway read at all, too.
TEST_F(LineLossTest, NegativeLossAndNoEnergyInAlert) {
  Bill("42", "B-42", 70000);  // area −1,667 bp, feeder −1,290 bp
  Register("TA-2", v1::SUPPLY_NODE_KIND_TRANSFORMER_AREA, "F-1");
  Append(domain::kAccount.StreamOf("44"), Payload([](v1::DomainEvent& e) {
           v1::AccountConnected* c = e.mutable_account_connected();
           c->set_account_id("44");
           c->set_transformer_area_id("TA-2");
           c->set_feeder_id("F-1");
           c->set_org_unit(kUnit);
         }),
         At(6, 2));
  Bill("44", "B-44", 100);  // TA-2 has no gateway read
  Tick(At(6, 10));
  ExpectRule(v1::SUPERVISION_RULE_AREA_LINE_LOSS_OUT_OF_RANGE, 2, 0, "negative and no energy in");
  ExpectRule(v1::SUPERVISION_RULE_FEEDER_LINE_LOSS_OUT_OF_RANGE, 1, 0, "negative");
  ExpectRebuildAndReplayAgree();
}

// The KPI view's line loss: each node's inputs and the county's (its
// feeders'), equal to the sums of the events.
TEST_F(LineLossTest, KpiViewReportsEachNodeAndTheUnit) {
  Bill("42", "B-42", 50000);
  Bill("43", "B-43", 4000);
  Append(domain::kAccount.StreamOf("43"),
         Payload([](v1::DomainEvent& e) { e.mutable_bill_reversed()->set_bill_id("B-43"); }),
         At(6, 4));
  Bill("43", "B-43b", 3000);
  auto kpis = ProjectionRunner::Open(store_.get(), std::make_unique<projections::KpiView>(),
                                     dir_.path() + "/kpi");
  ASSERT_TRUE(kpis.ok());
  ASSERT_TRUE((*kpis)->CatchUp().ok());
  v1::Period may_period;
  may_period.set_year(2026);
  may_period.set_month(5);
  std::map<std::string, std::pair<int64_t, int64_t>> loss;  // breakdown → (loss, in)
  for (const std::string& unit : std::vector<std::string>{"sn/xa", kUnit}) {
    absl::StatusOr<v1::KpiReport> report = projections::ReadKpis(
        projections::ViewReader((*kpis)->db()), unit, may_period, DateOf(6, 30));
    ASSERT_TRUE(report.ok()) << report.status();
    for (const v1::KpiValue& v : report->values()) {
      if (v.kpi() != v1::KPI_LINE_LOSS_RATE) continue;
      loss[absl::StrCat(unit, ":", v.breakdown())] = {v.numerator(), v.denominator()};
      if (v.breakdown() == "feeder/F-1") EXPECT_EQ(v.value(), 1452);  // 9,000 / 62,000
    }
  }
  const std::map<std::string, std::pair<int64_t, int64_t>> expected = {
      {"sn/xa:", {9000, 62000}},
      {"sn/xa:feeder/F-1", {9000, 62000}},
      {"sn/xa:area/TA-1", {7000, 60000}},
      {"sn/xa/huyi:", {9000, 62000}},
      {"sn/xa/huyi:feeder/F-1", {9000, 62000}},
      {"sn/xa/huyi:area/TA-1", {7000, 60000}},
  };
  EXPECT_EQ(loss, expected);
}

// A KPI measured short of its target: judged once its period is over, raised
// once, resolved once a later measurement meets it; a rate without data is
// not judged.
TEST_F(SupervisionTest, KpiMeasuredOffTarget) {
  const std::string stream = domain::KpiStreamOf(kUnit);
  auto measure = [&](int64_t value, int64_t denominator, bool meets, absl::Time at) {
    Append(stream, Payload([&](v1::DomainEvent& e) {
             v1::KpiMeasured* m = e.mutable_kpi_measured();
             m->set_org_unit(kUnit);
             m->mutable_period()->set_year(2026);
             m->mutable_period()->set_month(5);
             v1::KpiMeasurement* fee = m->add_values();
             fee->set_kpi(v1::KPI_FEE_RECOVERY_RATE);
             fee->set_measure("rate");
             fee->set_value(value);
             fee->set_unit("bp");
             fee->set_denominator(denominator);
             fee->set_target_value(9800);
             fee->set_meets_target(meets);
             v1::KpiMeasurement* empty = m->add_values();  // no data: never judged
             empty->set_kpi(v1::KPI_CALIBRATION_PASS_RATE);
             empty->set_measure("rate");
             empty->set_target_value(9800);
           }),
           at);
  };
  measure(9100, 500000, false, At(5, 20));
  Tick(At(5, 31, 23));
  ExpectRule(v1::SUPERVISION_RULE_KPI_OFF_TARGET, 0, 0, "within the period");
  Tick(At(6, 1, 9));
  ExpectRule(v1::SUPERVISION_RULE_KPI_OFF_TARGET, 1, 0, "the period over");
  Tick(At(6, 5, 9));
  ExpectRule(v1::SUPERVISION_RULE_KPI_OFF_TARGET, 1, 0, "days later");
  measure(9850, 500000, true, At(6, 6));
  Tick(At(6, 6, 12));
  ExpectRule(v1::SUPERVISION_RULE_KPI_OFF_TARGET, 1, 1, "measured on target");
  ExpectRebuildAndReplayAgree();
}

// A clock tick before the latest is refused: time only goes forward.
TEST(ClockTickTest, RefusesATickBeforeTheLatest) {
  v1::EventEnvelope latest;
  *latest.mutable_payload()->mutable_clock_ticked()->mutable_at() = domain::ToTimestamp(At(6, 2));
  EXPECT_THAT(marketing::DecideClockTick({latest}, At(6, 1), {}),
              testing::StatusIs(absl::StatusCode::kFailedPrecondition, "only goes forward"));
  EXPECT_TRUE(marketing::DecideClockTick({latest}, At(6, 2), {}).ok());
}

TEST(SupervisionThresholdTest, RefusesOutOfRangeAndUnknownRules) {
  v1::SupervisionThresholdSet threshold;
  threshold.set_org_unit("sn/xa");
  threshold.set_rule(v1::SUPERVISION_RULE_TICKET_DISPATCH_LATE);
  threshold.set_value(24 * 60 + 1);
  EXPECT_THAT(marketing::CheckSupervisionThreshold(threshold),
              testing::StatusIs(absl::StatusCode::kInvalidArgument, "threshold.value"));
  threshold.set_value(-1);
  EXPECT_THAT(marketing::CheckSupervisionThreshold(threshold),
              testing::StatusIs(absl::StatusCode::kInvalidArgument, "threshold.value"));
  threshold.set_value(10);
  EXPECT_TRUE(marketing::CheckSupervisionThreshold(threshold).ok());
  threshold.set_rule(v1::SUPERVISION_RULE_UNSPECIFIED);
  EXPECT_THAT(marketing::CheckSupervisionThreshold(threshold),
              testing::StatusIs(absl::StatusCode::kInvalidArgument, "threshold.rule"));
  threshold.set_rule(v1::SUPERVISION_RULE_VOUCHER_LATE);
  threshold.set_org_unit("bad unit");
  EXPECT_THAT(marketing::CheckSupervisionThreshold(threshold),
              testing::StatusIs(absl::StatusCode::kInvalidArgument, "threshold.org_unit"));
}

}  // namespace
}  // namespace gridledger
