#include "domain/customer_service/application.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gridledger::customer {
namespace {

using ::testing::HasSubstr;

class History {
 public:
  absl::Status Apply(absl::StatusOr<v1::DomainEvent> event, absl::Time at) {
    if (!event.ok()) return event.status();
    v1::EventEnvelope envelope;
    envelope.set_stream_version(static_cast<int64_t>(events_.size()) + 1);
    envelope.mutable_occurred_at()->set_seconds(absl::ToUnixSeconds(at));
    *envelope.mutable_payload() = *std::move(event);
    events_.push_back(std::move(envelope));
    return absl::OkStatus();
  }
  Application application() const { return FoldApplication(events_); }
  Ticket ticket() const { return FoldTicket(events_); }
  const v1::DomainEvent& last() const { return events_.back().payload(); }

 private:
  std::vector<v1::EventEnvelope> events_;
};

// Monday 2026-11-23, 10:00 in Shanghai.
const absl::Time kMonday =
    absl::FromCivil(absl::CivilSecond(2026, 11, 23, 10, 0, 0), absl::FixedTimeZone(8 * 3600));

v1::ApplicationSubmitted HighVoltage(bool dual) {
  v1::ApplicationSubmitted a;
  a.set_application_id("A-1");
  a.set_application_type(v1::APPLICATION_TYPE_NEW_CONNECTION);
  a.set_customer_name("Qinling Cement");
  a.set_category(v1::CUSTOMER_CATEGORY_LARGE_INDUSTRIAL);
  a.set_voltage_class(v1::VOLTAGE_CLASS_10KV);
  a.set_supply_mode(dual ? v1::SUPPLY_MODE_HIGH_VOLTAGE_DUAL : v1::SUPPLY_MODE_HIGH_VOLTAGE_SINGLE);
  a.set_requested_capacity_kva(2000);
  a.set_org_unit("sn/xa/huyi");
  return a;
}

TEST(WorkingDaysTest, SkipWeekends) {
  const absl::CivilDay friday(2026, 11, 27);
  EXPECT_EQ(AddWorkingDays(friday, 1), absl::CivilDay(2026, 11, 30));  // Monday
  EXPECT_EQ(AddWorkingDays(absl::CivilDay(2026, 11, 23), 5), absl::CivilDay(2026, 11, 30));
  EXPECT_EQ(WorkingDaysBetween(absl::CivilDay(2026, 11, 23), absl::CivilDay(2026, 11, 30)), 5);
  EXPECT_EQ(WorkingDaysBetween(absl::CivilDay(2026, 11, 30), absl::CivilDay(2026, 11, 23)), 0);
}

TEST(CommittedLimitTest, ByKind) {
  v1::ApplicationSubmitted a = HighVoltage(false);
  EXPECT_EQ(CommittedWorkingDays(a), 22);
  EXPECT_EQ(CommittedWorkingDays(HighVoltage(true)), 32);
  a.set_category(v1::CUSTOMER_CATEGORY_RESIDENTIAL);
  EXPECT_EQ(CommittedWorkingDays(a), 5);
  a.set_category(v1::CUSTOMER_CATEGORY_GENERAL_INDUSTRIAL_COMMERCIAL);
  a.set_supply_mode(v1::SUPPLY_MODE_LOW_VOLTAGE);
  EXPECT_EQ(CommittedWorkingDays(a), 6);
}

v1::CompleteStepRequest Step(int which, bool flag = true) {
  v1::CompleteStepRequest r;
  switch (which) {
    case 3:
      r.mutable_site_survey()->set_surveyor("s1");
      break;
    case 4:
      r.mutable_supply_plan()->set_needs_bay_approval(flag);
      r.mutable_supply_plan()->set_substation("Huyi 110 kV");
      r.mutable_supply_plan()->set_bay("bay-7");
      break;
    case 5:
      r.mutable_design_review()->set_approved(flag);
      break;
    case 6:
      r.mutable_construction()->set_contractor("c1");
      break;
    case 7:
      r.mutable_completion_inspection()->set_passed(flag);
      break;
    case 8:
      r.mutable_meter_installed()->set_meter_bar_code("M-1");
      break;
    case 9:
      r.mutable_energised();
      break;
    default:
      r.mutable_closed();
      break;
  }
  return r;
}

TEST(ApplicationTest, EveryStepInOrderWithBayApprovalAndDeadlines) {
  History h;
  ASSERT_TRUE(h.Apply(DecideSubmit(h.application(), HighVoltage(false), kMonday), kMonday).ok());
  ASSERT_TRUE(h.Apply(DecideAccept(h.application(), "mgr", UtilityDay(kMonday)), kMonday).ok());
  EXPECT_EQ(h.last().application_accepted().committed_working_days(), 22);
  EXPECT_EQ(h.last().application_accepted().due_date().day(), 23);  // 22 working days → 2026-12-23
  EXPECT_EQ(h.last().application_accepted().due_date().month(), 12);
  // Out of order is refused, naming both steps.
  EXPECT_THAT(
      std::string(
          DecideStep(h.application(), Step(6), false, UtilityDay(kMonday)).status().message()),
      HasSubstr("is at ACCEPTED; the next step is SITE_SURVEY, not CONSTRUCTION"));
  ASSERT_TRUE(
      h.Apply(DecideStep(h.application(), Step(3), false, UtilityDay(kMonday)), kMonday).ok());
  EXPECT_EQ(h.last().site_survey_completed().deadline().next_step(),
            v1::APPLICATION_STEP_SUPPLY_PLAN);
  ASSERT_TRUE(
      h.Apply(DecideStep(h.application(), Step(4), false, UtilityDay(kMonday)), kMonday).ok());
  // The bay needs the Marketing Department first.
  EXPECT_THAT(
      std::string(
          DecideStep(h.application(), Step(5), false, UtilityDay(kMonday)).status().message()),
      HasSubstr("awaits the Marketing Department's approval of bay bay-7"));
  // A design not approved leaves the step to be done again.
  ASSERT_TRUE(
      h.Apply(DecideStep(h.application(), Step(5, false), true, UtilityDay(kMonday)), kMonday)
          .ok());
  EXPECT_EQ(h.application().step, v1::APPLICATION_STEP_SUPPLY_PLAN);
  for (int step = 5; step <= 10; ++step) {
    ASSERT_TRUE(h.Apply(DecideStep(h.application(), Step(step), true, absl::CivilDay(2026, 12, 10)),
                        kMonday)
                    .ok())
        << step;
  }
  EXPECT_TRUE(h.last().application_closed().on_time());
  EXPECT_EQ(h.last().application_closed().working_days_taken(), 13);
  EXPECT_TRUE(h.application().ended);
}

TEST(ApplicationTest, LateClosureIsNotOnTime) {
  History h;
  v1::ApplicationSubmitted a = HighVoltage(false);
  a.set_category(v1::CUSTOMER_CATEGORY_RESIDENTIAL);
  a.set_supply_mode(v1::SUPPLY_MODE_LOW_VOLTAGE);
  ASSERT_TRUE(h.Apply(DecideSubmit(h.application(), a, kMonday), kMonday).ok());
  ASSERT_TRUE(h.Apply(DecideAccept(h.application(), "mgr", UtilityDay(kMonday)), kMonday).ok());
  for (int step = 3; step <= 9; ++step) {
    ASSERT_TRUE(
        h.Apply(DecideStep(h.application(), Step(step, false), true, UtilityDay(kMonday)), kMonday)
            .ok());
    if (step == 5 || step == 7) {  // not approved / not passed: do again
      ASSERT_TRUE(
          h.Apply(DecideStep(h.application(), Step(step, true), true, UtilityDay(kMonday)), kMonday)
              .ok());
    }
  }
  // Due 5 working days after Monday = next Monday; closing on Tuesday is late.
  ASSERT_TRUE(
      h.Apply(DecideStep(h.application(), Step(10), true, absl::CivilDay(2026, 12, 1)), kMonday)
          .ok());
  EXPECT_FALSE(h.last().application_closed().on_time());
  EXPECT_EQ(h.last().application_closed().working_days_taken(), 6);
}

TEST(ApplicationTest, RejectOrWithdrawAtAnyOpenStepButNotTwice) {
  History h;
  ASSERT_TRUE(h.Apply(DecideSubmit(h.application(), HighVoltage(true), kMonday), kMonday).ok());
  EXPECT_EQ(DecideEnd(h.application(), "", true).status().code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(h.Apply(DecideEnd(h.application(), "customer moved", true), kMonday).ok());
  EXPECT_EQ(h.last().application_withdrawn().at_step(), v1::APPLICATION_STEP_SUBMITTED);
  EXPECT_EQ(DecideEnd(h.application(), "again", false).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(DecideAccept(h.application(), "m", UtilityDay(kMonday)).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(ApplicationTest, SubmissionFieldsAreNamed) {
  v1::ApplicationSubmitted a = HighVoltage(false);
  a.set_requested_capacity_kva(0);
  EXPECT_THAT(std::string(DecideSubmit(Application(), a, kMonday).status().message()),
              HasSubstr("requested_capacity_kva"));
  a = HighVoltage(false);
  a.set_application_type(v1::APPLICATION_TYPE_TRANSFER);
  EXPECT_THAT(std::string(DecideSubmit(Application(), a, kMonday).status().message()),
              HasSubstr("application.account_id"));
}

TEST(TicketTest, UrbanOnSiteWithinFortyFiveMinutes) {
  History h;
  v1::ServiceTicketOpened opened;
  opened.set_ticket_id("T-1");
  opened.set_category(v1::TICKET_CATEGORY_FAULT_REPAIR);
  opened.set_area(v1::SERVICE_AREA_URBAN);
  opened.set_org_unit("sn/xa");
  ASSERT_TRUE(h.Apply(DecideOpenTicket(h.ticket(), opened, kMonday), kMonday).ok());
  v1::AdvanceTicketRequest r;
  r.mutable_on_site();
  EXPECT_EQ(DecideAdvanceTicket(h.ticket(), r, kMonday).status().code(),
            absl::StatusCode::kFailedPrecondition);
  r.mutable_dispatched()->set_crew("crew-3");
  ASSERT_TRUE(h.Apply(DecideAdvanceTicket(h.ticket(), r, kMonday), kMonday).ok());
  EXPECT_EQ(h.last().service_ticket_dispatched().on_site_due_by().seconds(),
            absl::ToUnixSeconds(kMonday + absl::Minutes(45)));
  r.mutable_on_site();
  ASSERT_TRUE(
      h.Apply(DecideAdvanceTicket(h.ticket(), r, kMonday + absl::Minutes(46)), kMonday).ok());
  EXPECT_FALSE(h.last().service_ticket_on_site().within_limit());
  r.mutable_resolved()->set_resolution("fuse replaced");
  ASSERT_TRUE(h.Apply(DecideAdvanceTicket(h.ticket(), r, kMonday), kMonday).ok());
  r.mutable_closed()->set_satisfaction(5);
  ASSERT_TRUE(h.Apply(DecideAdvanceTicket(h.ticket(), r, kMonday), kMonday).ok());
  EXPECT_EQ(h.ticket().state, TicketState::kClosed);
}

}  // namespace
}  // namespace gridledger::customer
