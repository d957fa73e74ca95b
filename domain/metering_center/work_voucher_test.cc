#include "domain/metering_center/work_voucher.h"

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "domain/common/calendar.h"
#include "domain/metering_center/meter_lifecycle.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gridledger::metering {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// 2026-11-02 10:00 in the utility's zone: the commands' business time.
absl::Time Now() {
  return absl::FromCivil(absl::CivilSecond(2026, 11, 2, 10, 0, 0), domain::UtilityZone());
}

v1::Date Day(int year, int month, int day) {
  v1::Date d;
  d.set_year(year);
  d.set_month(month);
  d.set_day(day);
  return d;
}

v1::MeterState Meter(v1::MeterLifecycleState state, const std::string& account_id = "") {
  v1::MeterState meter;
  meter.set_bar_code("M-1");
  meter.set_state(state);
  meter.set_account_id(account_id);
  return meter;
}

v1::MeterState UnknownMeter() {
  v1::MeterState meter;
  meter.set_bar_code("M-1");  // as the service passes a meter it cannot see
  return meter;
}

v1::MeterState Dispatched() { return Meter(v1::METER_LIFECYCLE_STATE_DISPATCHED); }
v1::MeterState Installed() { return Meter(v1::METER_LIFECYCLE_STATE_INSTALLED, "6101000123"); }
v1::MeterState Removed() { return Meter(v1::METER_LIFECYCLE_STATE_REMOVED); }

v1::WorkVoucherIssued Issue(v1::VoucherWork work, const std::string& account_id = "6101000123") {
  v1::WorkVoucherIssued v;
  v.set_voucher_id("V-1");
  v.set_work(work);
  v.set_meter_bar_code("M-1");
  v.set_account_id(account_id);
  *v.mutable_due_on() = Day(2026, 11, 9);
  return v;
}

v1::WorkVoucherDispatched Dispatch(const std::string& crew = "crew-huyi-3") {
  v1::WorkVoucherDispatched d;
  d.set_voucher_id("V-1");
  d.set_crew(crew);
  return d;
}

v1::WorkVoucherOnSite OnSite(const std::string& scanned = "M-1") {
  v1::WorkVoucherOnSite o;
  o.set_voucher_id("V-1");
  o.set_scanned_bar_code(scanned);
  return o;
}

v1::WorkVoucherCompleted Completion(const std::string& result = "done, seals S-77 and S-78") {
  v1::WorkVoucherCompleted c;
  c.set_voucher_id("V-1");
  c.set_result(result);
  return c;
}

v1::WorkVoucherVerified Verification(bool accepted, const std::string& reason = "") {
  v1::WorkVoucherVerified v;
  v.set_voucher_id("V-1");
  v.set_accepted(accepted);
  v.set_reason(reason);
  return v;
}

// A voucher's history built by applying decisions, as the service would.
class VoucherHistory {
 public:
  VoucherState state() const { return FoldVoucher(history_); }
  const std::vector<v1::EventEnvelope>& history() const { return history_; }
  const v1::DomainEvent& last() const { return history_.back().payload(); }
  absl::Status Apply(absl::StatusOr<v1::DomainEvent> event) {
    if (!event.ok()) return event.status();
    v1::EventEnvelope envelope;
    envelope.set_stream_version(static_cast<int64_t>(history_.size()) + 1);
    *envelope.mutable_payload() = *std::move(event);
    history_.push_back(std::move(envelope));
    return absl::OkStatus();
  }

 private:
  std::vector<v1::EventEnvelope> history_;
};

// A voucher for `work` taken through its steps up to `until` (on the meter
// states each step needs).
VoucherHistory VoucherAt(VoucherStatus until, v1::VoucherWork work = v1::VOUCHER_WORK_REPLACE) {
  VoucherHistory v;
  const v1::MeterState& before = work == v1::VOUCHER_WORK_INSTALL ? Dispatched() : Installed();
  const v1::MeterState& after =
      work == v1::VOUCHER_WORK_REMOVE || work == v1::VOUCHER_WORK_REPLACE ? Removed() : Installed();
  EXPECT_TRUE(v.Apply(DecideIssueVoucher(v.state(), before, Issue(work), "tech-1", Now())).ok());
  if (until == VoucherStatus::kIssued) return v;
  EXPECT_TRUE(v.Apply(DecideDispatchVoucher(v.state(), Dispatch())).ok());
  if (until == VoucherStatus::kDispatched) return v;
  EXPECT_TRUE(v.Apply(DecideVoucherOnSite(v.state(), OnSite(), Now())).ok());
  if (until == VoucherStatus::kOnSite) return v;
  EXPECT_TRUE(v.Apply(DecideCompleteVoucher(v.state(), after, Completion(), Now())).ok());
  if (until == VoucherStatus::kCompleted) return v;
  const v1::WorkVoucherVerified verdict =
      Verification(until == VoucherStatus::kAccepted, "seal missing");
  EXPECT_TRUE(v.Apply(DecideVerifyVoucher(v.state(), verdict, "tech-2")).ok());
  return v;
}

// --- the happy path, for each kind of work ---

TEST(WorkVoucherTest, AnInstallRunsFromIssueToAcceptance) {
  VoucherHistory v;
  ASSERT_TRUE(v.Apply(DecideIssueVoucher(v.state(), Dispatched(), Issue(v1::VOUCHER_WORK_INSTALL),
                                         "tech-1", Now()))
                  .ok());
  EXPECT_EQ(v.last().work_voucher_issued().issued_by(), "tech-1") << "the issuer by default";
  EXPECT_EQ(v.state().status, VoucherStatus::kIssued);
  EXPECT_EQ(v.state().work, v1::VOUCHER_WORK_INSTALL);
  EXPECT_EQ(v.state().meter_bar_code, "M-1");
  EXPECT_EQ(v.state().account_id, "6101000123");
  EXPECT_EQ(v.state().due_on.day(), 9);

  ASSERT_TRUE(v.Apply(DecideDispatchVoucher(v.state(), Dispatch())).ok());
  EXPECT_EQ(v.state().status, VoucherStatus::kDispatched);
  EXPECT_EQ(v.state().crew, "crew-huyi-3");

  ASSERT_TRUE(v.Apply(DecideVoucherOnSite(v.state(), OnSite(), Now())).ok());
  EXPECT_EQ(v.state().status, VoucherStatus::kOnSite);
  EXPECT_EQ(domain::FromTimestamp(v.last().work_voucher_on_site().arrived_at()), Now())
      << "arrived_at defaults to the command's time";

  ASSERT_TRUE(v.Apply(DecideCompleteVoucher(v.state(), Installed(), Completion(), Now())).ok());
  EXPECT_EQ(v.state().status, VoucherStatus::kCompleted);
  const v1::Date& completed_on = v.last().work_voucher_completed().completed_on();
  EXPECT_EQ(domain::ToCivilDay(completed_on), absl::CivilDay(2026, 11, 2))
      << "completed_on defaults to the command's day";
  EXPECT_EQ(v.state().result, "done, seals S-77 and S-78");

  ASSERT_TRUE(v.Apply(DecideVerifyVoucher(v.state(), Verification(true), "tech-2")).ok());
  EXPECT_EQ(v.state().status, VoucherStatus::kAccepted);
  EXPECT_EQ(v.state().verifier, "tech-2") << "the verifying principal by default";
  EXPECT_EQ(v.state().version, 5);
}

TEST(WorkVoucherTest, EveryKindOfWorkCompletesOnTheMeterStateThatShowsIt) {
  struct Case {
    v1::VoucherWork work;
    v1::MeterState at_issue;
    v1::MeterState at_completion;
  };
  const v1::MeterState verified = Meter(v1::METER_LIFECYCLE_STATE_VERIFIED);
  for (const Case& c : {Case{v1::VOUCHER_WORK_INSTALL, Dispatched(), Installed()},
                        Case{v1::VOUCHER_WORK_REPLACE, Installed(), Removed()},
                        Case{v1::VOUCHER_WORK_REMOVE, Installed(), Removed()},
                        // Tests and reads leave the meter's lifecycle as it was:
                        // whatever the meter is by then does not stop them.
                        Case{v1::VOUCHER_WORK_ON_SITE_TEST, Installed(), Installed()},
                        Case{v1::VOUCHER_WORK_ON_SITE_TEST, Installed(), verified},
                        Case{v1::VOUCHER_WORK_READ_ON_SITE, Installed(), Installed()}}) {
    SCOPED_TRACE(VoucherWorkName(c.work));
    VoucherHistory v;
    ASSERT_TRUE(
        v.Apply(DecideIssueVoucher(v.state(), c.at_issue, Issue(c.work), "tech-1", Now())).ok());
    ASSERT_TRUE(v.Apply(DecideDispatchVoucher(v.state(), Dispatch())).ok());
    ASSERT_TRUE(v.Apply(DecideVoucherOnSite(v.state(), OnSite(), Now())).ok());
    ASSERT_TRUE(
        v.Apply(DecideCompleteVoucher(v.state(), c.at_completion, Completion(), Now())).ok());
    ASSERT_TRUE(v.Apply(DecideVerifyVoucher(v.state(), Verification(true), "tech-2")).ok());
    EXPECT_EQ(v.state().status, VoucherStatus::kAccepted);
  }
}

TEST(WorkVoucherTest, RefusedWorkIsFinalAndKeepsItsReason) {
  VoucherHistory v = VoucherAt(VoucherStatus::kRefused);
  EXPECT_EQ(v.state().status, VoucherStatus::kRefused);
  EXPECT_EQ(v.state().refusal_reason, "seal missing");
  EXPECT_FALSE(v.last().work_voucher_verified().accepted());
}

TEST(WorkVoucherTest, StatedTimesAndNamesAreKept) {
  VoucherHistory v;
  v1::WorkVoucherIssued issued = Issue(v1::VOUCHER_WORK_READ_ON_SITE, "");
  issued.set_issued_by("Wang Li");
  issued.set_application_id("A-2026-0042");
  ASSERT_TRUE(v.Apply(DecideIssueVoucher(v.state(), Installed(), issued, "tech-1", Now())).ok());
  EXPECT_EQ(v.state().issued_by, "tech-1") << "the caller, whatever the request says";
  EXPECT_EQ(v.state().application_id, "A-2026-0042");
  EXPECT_EQ(v.state().account_id, "6101000123") << "the meter's account when none is named";
  ASSERT_TRUE(v.Apply(DecideDispatchVoucher(v.state(), Dispatch())).ok());
  v1::WorkVoucherOnSite on_site = OnSite();
  *on_site.mutable_arrived_at() = domain::ToTimestamp(Now() - absl::Hours(24));
  ASSERT_TRUE(v.Apply(DecideVoucherOnSite(v.state(), on_site, Now())).ok());
  EXPECT_EQ(domain::FromTimestamp(v.state().arrived_at), Now() - absl::Hours(24));
  v1::WorkVoucherCompleted completion = Completion();
  *completion.mutable_completed_on() = Day(2026, 11, 1);  // the day it arrived
  ASSERT_TRUE(v.Apply(DecideCompleteVoucher(v.state(), Installed(), completion, Now())).ok());
  EXPECT_EQ(v.state().completed_on.day(), 1);
  v1::WorkVoucherVerified verification = Verification(true);
  verification.set_verifier("Zhao Min");
  ASSERT_TRUE(v.Apply(DecideVerifyVoucher(v.state(), verification, "tech-2")).ok());
  EXPECT_EQ(v.state().verifier, "tech-2") << "the caller, whatever the request says";
}

// --- field checks: INVALID_ARGUMENT naming the field ---

void ExpectInvalid(const absl::Status& status, const std::string& field) {
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr(field + ":"));
}

TEST(WorkVoucherTest, IssueChecksEveryField) {
  const auto refused = [](const v1::WorkVoucherIssued& issued) {
    return DecideIssueVoucher(VoucherState(), Installed(), issued, "tech-1", Now()).status();
  };
  v1::WorkVoucherIssued v = Issue(v1::VOUCHER_WORK_REMOVE);
  v.clear_voucher_id();
  ExpectInvalid(refused(v), "voucher.voucher_id");
  v.set_voucher_id("V 1");
  ExpectInvalid(refused(v), "voucher.voucher_id");

  v = Issue(v1::VOUCHER_WORK_UNSPECIFIED);
  ExpectInvalid(refused(v), "voucher.work");
  v.set_work(static_cast<v1::VoucherWork>(99));
  ExpectInvalid(refused(v), "voucher.work");

  v = Issue(v1::VOUCHER_WORK_REMOVE);
  v.clear_meter_bar_code();
  ExpectInvalid(refused(v), "voucher.meter_bar_code");
  v.set_meter_bar_code("M/1");
  ExpectInvalid(refused(v), "voucher.meter_bar_code");

  ExpectInvalid(refused(Issue(v1::VOUCHER_WORK_INSTALL, "")), "voucher.account_id");
  ExpectInvalid(refused(Issue(v1::VOUCHER_WORK_REMOVE, "acc 1")), "voucher.account_id");

  v = Issue(v1::VOUCHER_WORK_REMOVE);
  v.set_application_id("A/1");
  ExpectInvalid(refused(v), "voucher.application_id");

  v = Issue(v1::VOUCHER_WORK_REMOVE);
  v.clear_due_on();
  ExpectInvalid(refused(v), "voucher.due_on");
  *v.mutable_due_on() = Day(2026, 2, 30);
  ExpectInvalid(refused(v), "voucher.due_on");
  *v.mutable_due_on() = Day(2026, 11, 1);  // yesterday
  const absl::Status past = refused(v);
  ExpectInvalid(past, "voucher.due_on");
  EXPECT_THAT(std::string(past.message()), HasSubstr("before 2026-11-02"));
  *v.mutable_due_on() = Day(2026, 11, 2);  // today will do
  EXPECT_TRUE(refused(v).ok());

  v.set_issued_by("bad\nname");
  ExpectInvalid(refused(v), "voucher.issued_by");
}

TEST(WorkVoucherTest, TheOtherStepsCheckTheirFields) {
  VoucherHistory issued = VoucherAt(VoucherStatus::kIssued);
  v1::WorkVoucherDispatched dispatch = Dispatch("");
  ExpectInvalid(DecideDispatchVoucher(issued.state(), dispatch).status(), "dispatch.crew");
  dispatch = Dispatch();
  dispatch.clear_voucher_id();
  ExpectInvalid(DecideDispatchVoucher(issued.state(), dispatch).status(), "dispatch.voucher_id");

  VoucherHistory dispatched = VoucherAt(VoucherStatus::kDispatched);
  ExpectInvalid(DecideVoucherOnSite(dispatched.state(), OnSite(""), Now()).status(),
                "on_site.scanned_bar_code");
  v1::WorkVoucherOnSite on_site = OnSite();
  on_site.clear_voucher_id();
  ExpectInvalid(DecideVoucherOnSite(dispatched.state(), on_site, Now()).status(),
                "on_site.voucher_id");

  VoucherHistory at_meter = VoucherAt(VoucherStatus::kOnSite);
  ExpectInvalid(
      DecideCompleteVoucher(at_meter.state(), Installed(), Completion(""), Now()).status(),
      "completion.result");
  v1::WorkVoucherCompleted completion = Completion();
  *completion.mutable_completed_on() = Day(2026, 13, 1);
  ExpectInvalid(DecideCompleteVoucher(at_meter.state(), Installed(), completion, Now()).status(),
                "completion.completed_on");
  completion = Completion();
  completion.clear_voucher_id();
  ExpectInvalid(DecideCompleteVoucher(at_meter.state(), Installed(), completion, Now()).status(),
                "completion.voucher_id");

  VoucherHistory completed = VoucherAt(VoucherStatus::kCompleted);
  ExpectInvalid(DecideVerifyVoucher(completed.state(), Verification(false), "tech-2").status(),
                "verification.reason");
  v1::WorkVoucherVerified verification = Verification(true);
  verification.clear_voucher_id();
  ExpectInvalid(DecideVerifyVoucher(completed.state(), verification, "tech-2").status(),
                "verification.voucher_id");
  // A check stands alone too (the service runs it before reading anything).
  ExpectInvalid(CheckVoucherVerification(Verification(false)), "verification.reason");
  EXPECT_TRUE(CheckVoucherVerification(Verification(false, "meter sealed badly")).ok());
}

// --- the meter must be in the state the work needs ---

TEST(WorkVoucherTest, IssueNeedsAKnownMeterInTheStateTheWorkNeeds) {
  const absl::Status unknown =
      DecideIssueVoucher(VoucherState(), UnknownMeter(), Issue(v1::VOUCHER_WORK_REMOVE), "t", Now())
          .status();
  EXPECT_EQ(unknown.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(unknown.message()),
              AllOf(HasSubstr("voucher.meter_bar_code"), HasSubstr("M-1 is unknown")));

  const absl::Status not_dispatched =
      DecideIssueVoucher(VoucherState(), Meter(v1::METER_LIFECYCLE_STATE_VERIFIED),
                         Issue(v1::VOUCHER_WORK_INSTALL), "t", Now())
          .status();
  EXPECT_EQ(not_dispatched.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(not_dispatched.message()),
              AllOf(HasSubstr("is VERIFIED"), HasSubstr("INSTALL work needs it DISPATCHED")));

  const absl::Status installed_already =
      DecideIssueVoucher(VoucherState(), Installed(), Issue(v1::VOUCHER_WORK_INSTALL), "t", Now())
          .status();
  EXPECT_EQ(installed_already.code(), absl::StatusCode::kFailedPrecondition);

  for (v1::VoucherWork work : {v1::VOUCHER_WORK_REPLACE, v1::VOUCHER_WORK_REMOVE,
                               v1::VOUCHER_WORK_ON_SITE_TEST, v1::VOUCHER_WORK_READ_ON_SITE}) {
    SCOPED_TRACE(VoucherWorkName(work));
    for (const v1::MeterState& meter :
         {Dispatched(), Removed(), Meter(v1::METER_LIFECYCLE_STATE_SCRAPPED)}) {
      const absl::Status refused =
          DecideIssueVoucher(VoucherState(), meter, Issue(work), "t", Now()).status();
      EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
      EXPECT_THAT(std::string(refused.message()),
                  AllOf(HasSubstr(StateName(meter.state())), HasSubstr("needs it INSTALLED")));
    }
    EXPECT_TRUE(DecideIssueVoucher(VoucherState(), Installed(), Issue(work), "t", Now()).ok());
  }
}

TEST(WorkVoucherTest, WorkOnAnInstalledMeterMustBeAtTheAccountItNames) {
  const absl::Status elsewhere =
      DecideIssueVoucher(VoucherState(), Installed(), Issue(v1::VOUCHER_WORK_REMOVE, "6101000999"),
                         "t", Now())
          .status();
  EXPECT_EQ(elsewhere.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(elsewhere.message()),
              AllOf(HasSubstr("installed at account 6101000123"), HasSubstr("6101000999")));
  // A meter that records no account (installed before accounts were kept on
  // meters) is taken at the voucher's word.
  EXPECT_TRUE(DecideIssueVoucher(VoucherState(), Meter(v1::METER_LIFECYCLE_STATE_INSTALLED),
                                 Issue(v1::VOUCHER_WORK_REMOVE, "6101000999"), "t", Now())
                  .ok());
}

TEST(WorkVoucherTest, CompletionNeedsTheMetersOwnEventsToShowTheWork) {
  struct Case {
    v1::VoucherWork work;
    v1::MeterState meter_now;
    const char* says;
  };
  for (const Case& c :
       {Case{v1::VOUCHER_WORK_INSTALL, Dispatched(), "is DISPATCHED"},
        Case{v1::VOUCHER_WORK_REPLACE, Installed(), "is INSTALLED"},
        Case{v1::VOUCHER_WORK_REMOVE, Installed(), "is INSTALLED"},
        Case{v1::VOUCHER_WORK_INSTALL, Meter(v1::METER_LIFECYCLE_STATE_INSTALLED, "6101000999"),
             "installed at account 6101000999"}}) {
    SCOPED_TRACE(VoucherWorkName(c.work));
    VoucherHistory v = VoucherAt(VoucherStatus::kOnSite, c.work);
    const absl::Status refused =
        DecideCompleteVoucher(v.state(), c.meter_now, Completion(), Now()).status();
    EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(std::string(refused.message()), AllOf(HasSubstr("M-1"), HasSubstr(c.says)));
  }
  VoucherHistory v = VoucherAt(VoucherStatus::kOnSite, v1::VOUCHER_WORK_REMOVE);
  EXPECT_EQ(DecideCompleteVoucher(v.state(), UnknownMeter(), Completion(), Now()).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(WorkVoucherTest, CompletionIsNotDatedBeforeTheCrewArrived) {
  VoucherHistory v = VoucherAt(VoucherStatus::kOnSite);
  v1::WorkVoucherCompleted completion = Completion();
  *completion.mutable_completed_on() = Day(2026, 11, 1);
  const absl::Status refused =
      DecideCompleteVoucher(v.state(), Installed(), completion, Now()).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.message()),
              AllOf(HasSubstr("completion.completed_on"), HasSubstr("2026-11-02")));
}

// --- the scan on site ---

TEST(WorkVoucherTest, AScanOfAnotherMeterIsRefusedNamingBoth) {
  VoucherHistory v = VoucherAt(VoucherStatus::kDispatched);
  const absl::Status refused = DecideVoucherOnSite(v.state(), OnSite("M-2"), Now()).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.message()),
              AllOf(HasSubstr("wrong meter"), HasSubstr("M-2"), HasSubstr("M-1")));
  EXPECT_EQ(v.state().status, VoucherStatus::kDispatched);
  EXPECT_TRUE(DecideVoucherOnSite(v.state(), OnSite("M-1"), Now()).ok());
}

// --- each step only from the one before it ---

TEST(WorkVoucherTest, AVoucherNeverIssuedIsUnknownToEveryStep) {
  const VoucherState none;
  const absl::Status dispatch = DecideDispatchVoucher(none, Dispatch()).status();
  EXPECT_EQ(dispatch.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(dispatch.message()),
              AllOf(HasSubstr("dispatch.voucher_id"), HasSubstr("V-1 is unknown")));
  EXPECT_EQ(DecideVoucherOnSite(none, OnSite(), Now()).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(DecideCompleteVoucher(none, Installed(), Completion(), Now()).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(DecideVerifyVoucher(none, Verification(true), "t").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(WorkVoucherTest, IssuingAnIdTwiceIsRefused) {
  VoucherHistory v = VoucherAt(VoucherStatus::kIssued);
  const absl::Status again =
      DecideIssueVoucher(v.state(), Installed(), Issue(v1::VOUCHER_WORK_REPLACE), "t", Now())
          .status();
  EXPECT_EQ(again.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(again.message()), AllOf(HasSubstr("V-1"), HasSubstr("ISSUED")));
}

// Every step but the one the voucher's state allows is refused, naming the
// state it is in and the state the step needs.
TEST(WorkVoucherTest, EveryStepOutOfOrderIsRefusedNamingTheState) {
  const auto dispatch = [](const VoucherState& s) {
    return DecideDispatchVoucher(s, Dispatch()).status();
  };
  const auto on_site = [](const VoucherState& s) {
    return DecideVoucherOnSite(s, OnSite(), Now()).status();
  };
  const auto complete = [](const VoucherState& s) {
    return DecideCompleteVoucher(s, Removed(), Completion(), Now()).status();  // a replacement
  };
  const auto verify = [](const VoucherState& s) {
    return DecideVerifyVoucher(s, Verification(true), "tech-2").status();
  };
  struct Step {
    const char* name;
    std::function<absl::Status(const VoucherState&)> decide;
    VoucherStatus allowed_from;
    const char* needs;
  };
  const std::vector<Step> steps = {
      {"dispatch", dispatch, VoucherStatus::kIssued, "needs it ISSUED"},
      {"on site", on_site, VoucherStatus::kDispatched, "needs it DISPATCHED"},
      {"complete", complete, VoucherStatus::kOnSite, "needs it ON_SITE"},
      {"verify", verify, VoucherStatus::kCompleted, "needs it COMPLETED"},
  };
  for (VoucherStatus at :
       {VoucherStatus::kIssued, VoucherStatus::kDispatched, VoucherStatus::kOnSite,
        VoucherStatus::kCompleted, VoucherStatus::kAccepted, VoucherStatus::kRefused}) {
    const VoucherHistory v = VoucherAt(at);
    ASSERT_EQ(v.state().status, at);
    for (const Step& step : steps) {
      SCOPED_TRACE(absl::StrCat(step.name, " when ", VoucherStatusName(at)));
      const absl::Status status = step.decide(v.state());
      if (at == step.allowed_from) {
        EXPECT_TRUE(status.ok()) << status;
        continue;
      }
      EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
      EXPECT_THAT(std::string(status.message()),
                  AllOf(HasSubstr(absl::StrCat("voucher V-1 is ", VoucherStatusName(at))),
                        HasSubstr(step.needs)));
      if (at == VoucherStatus::kAccepted || at == VoucherStatus::kRefused) {
        EXPECT_THAT(std::string(status.message()), HasSubstr("final"));
      }
    }
  }
}

TEST(WorkVoucherTest, TheFoldIgnoresOtherEventsAndNamesItsStates) {
  VoucherHistory v = VoucherAt(VoucherStatus::kDispatched);
  v1::DomainEvent other;
  other.mutable_meter_scrapped()->set_bar_code("M-1");
  ASSERT_TRUE(v.Apply(other).ok());
  EXPECT_EQ(v.state().status, VoucherStatus::kDispatched);
  EXPECT_EQ(v.state().version, 2);
  EXPECT_EQ(VoucherStatusName(VoucherStatus::kNone), "NONE");
  EXPECT_EQ(VoucherStatusName(VoucherStatus::kOnSite), "ON_SITE");
  EXPECT_EQ(VoucherWorkName(v1::VOUCHER_WORK_READ_ON_SITE), "READ_ON_SITE");
}

}  // namespace
}  // namespace gridledger::metering
