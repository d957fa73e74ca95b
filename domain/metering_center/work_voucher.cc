#include "domain/metering_center/work_voucher.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "common/status_macros.h"
#include "domain/common/calendar.h"
#include "domain/common/validation.h"
#include "domain/metering_center/meter_lifecycle.h"

namespace gridledger::metering {
namespace {

using domain::CheckId;
using domain::CheckText;
using MeterStateKind = v1::MeterLifecycleState;

constexpr size_t kMaxNameBytes = 200;
constexpr size_t kMaxTextBytes = 2000;

// A real calendar day within the years every date of a request is held to.
bool IsValidDate(const v1::Date& date) {
  if (date.year() < 1990 || date.year() > 2100) return false;
  const absl::CivilDay day = domain::ToCivilDay(date);  // normalises 2026-02-30 to 03-02
  return day.year() == date.year() && day.month() == date.month() && day.day() == date.day();
}

std::string DayText(absl::CivilDay day) { return absl::FormatCivilTime(day); }

bool IsFinal(VoucherStatus status) {
  return status == VoucherStatus::kAccepted || status == VoucherStatus::kRefused;
}

// OK when `voucher` stands at `needed`. Otherwise NOT_FOUND (`field`) for a
// voucher never issued, else FAILED_PRECONDITION naming its state and the
// state `step` needs.
absl::Status RequireStatus(const VoucherState& voucher, VoucherStatus needed,
                           absl::string_view field, const std::string& voucher_id,
                           absl::string_view step) {
  if (voucher.status == VoucherStatus::kNone) {
    return absl::NotFoundError(
        absl::StrCat(field, ": voucher ", voucher_id, " is unknown; issue it first"));
  }
  if (voucher.status == needed) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "voucher ", voucher.voucher_id, " is ", VoucherStatusName(voucher.status), ": ", step,
      " needs it ", VoucherStatusName(needed),
      IsFinal(voucher.status) ? " (an accepted or refused voucher is final; redo refused work "
                                "on a new voucher)"
                              : ""));
}

// The meter state the work needs before it starts.
MeterStateKind NeededAtIssue(v1::VoucherWork work) {
  return work == v1::VOUCHER_WORK_INSTALL ? v1::METER_LIFECYCLE_STATE_DISPATCHED
                                          : v1::METER_LIFECYCLE_STATE_INSTALLED;
}

// The meter state that shows the work done; UNSPECIFIED when the meter's
// lifecycle does not show it (tests and reads leave the meter as it was).
MeterStateKind NeededAtCompletion(v1::VoucherWork work) {
  switch (work) {
    case v1::VOUCHER_WORK_INSTALL:
      return v1::METER_LIFECYCLE_STATE_INSTALLED;
    case v1::VOUCHER_WORK_REPLACE:  // the voucher's meter is the one taken out
    case v1::VOUCHER_WORK_REMOVE:
      return v1::METER_LIFECYCLE_STATE_REMOVED;
    default:
      return v1::METER_LIFECYCLE_STATE_UNSPECIFIED;
  }
}

// OK when meter `bar_code` is in state `needed` and, installed, at
// `account_id` (when both the voucher and the meter name one). NOT_FOUND
// (naming `field` when not empty) for an unknown meter; FAILED_PRECONDITION
// naming the meter's state and what `work` needs otherwise.
absl::Status RequireMeter(const v1::MeterState& meter, const std::string& bar_code,
                          MeterStateKind needed, const std::string& account_id,
                          absl::string_view field, absl::string_view work) {
  const std::string prefix = field.empty() ? "" : absl::StrCat(field, ": ");
  if (meter.state() == v1::METER_LIFECYCLE_STATE_UNSPECIFIED) {
    return absl::NotFoundError(absl::StrCat(prefix, "meter ", bar_code, " is unknown"));
  }
  if (meter.state() != needed) {
    return absl::FailedPreconditionError(absl::StrCat(prefix, "meter ", bar_code, " is ",
                                                      StateName(meter.state()), ": ", work,
                                                      " needs it ", StateName(needed)));
  }
  if (needed == v1::METER_LIFECYCLE_STATE_INSTALLED && !account_id.empty() &&
      !meter.account_id().empty() && meter.account_id() != account_id) {
    return absl::FailedPreconditionError(
        absl::StrCat(prefix, "meter ", bar_code, " is installed at account ", meter.account_id(),
                     ", not at account ", account_id, " the voucher names"));
  }
  return absl::OkStatus();
}

}  // namespace

std::string VoucherStatusName(VoucherStatus status) {
  switch (status) {
    case VoucherStatus::kNone:
      return "NONE";
    case VoucherStatus::kIssued:
      return "ISSUED";
    case VoucherStatus::kDispatched:
      return "DISPATCHED";
    case VoucherStatus::kOnSite:
      return "ON_SITE";
    case VoucherStatus::kCompleted:
      return "COMPLETED";
    case VoucherStatus::kAccepted:
      return "ACCEPTED";
    case VoucherStatus::kRefused:
      return "REFUSED";
  }
  return "UNKNOWN";
}

std::string VoucherWorkName(v1::VoucherWork work) {
  std::string name = v1::VoucherWork_Name(work);
  const std::string prefix = "VOUCHER_WORK_";
  return name.rfind(prefix, 0) == 0 ? name.substr(prefix.size()) : name;
}

void ApplyVoucherEvent(const v1::EventEnvelope& envelope, VoucherState* voucher_state) {
  VoucherState& voucher = *voucher_state;
  const v1::DomainEvent& e = envelope.payload();
  switch (e.event_case()) {
    case v1::DomainEvent::kWorkVoucherIssued: {
      const v1::WorkVoucherIssued& issued = e.work_voucher_issued();
      voucher.status = VoucherStatus::kIssued;
      voucher.voucher_id = issued.voucher_id();
      voucher.work = issued.work();
      voucher.meter_bar_code = issued.meter_bar_code();
      voucher.account_id = issued.account_id();
      voucher.application_id = issued.application_id();
      voucher.due_on = issued.due_on();
      voucher.issued_by = issued.issued_by();
      break;
    }
    case v1::DomainEvent::kWorkVoucherDispatched:
      voucher.status = VoucherStatus::kDispatched;
      voucher.crew = e.work_voucher_dispatched().crew();
      break;
    case v1::DomainEvent::kWorkVoucherOnSite:
      voucher.status = VoucherStatus::kOnSite;
      voucher.arrived_at = e.work_voucher_on_site().arrived_at();
      break;
    case v1::DomainEvent::kWorkVoucherCompleted:
      voucher.status = VoucherStatus::kCompleted;
      voucher.result = e.work_voucher_completed().result();
      voucher.completed_on = e.work_voucher_completed().completed_on();
      break;
    case v1::DomainEvent::kWorkVoucherVerified: {
      const v1::WorkVoucherVerified& verified = e.work_voucher_verified();
      voucher.status = verified.accepted() ? VoucherStatus::kAccepted : VoucherStatus::kRefused;
      voucher.verifier = verified.verifier();
      voucher.refusal_reason = verified.accepted() ? "" : verified.reason();
      break;
    }
    default:
      return;  // not a voucher's event
  }
  voucher.version = envelope.stream_version();
}

VoucherState FoldVoucher(const std::vector<v1::EventEnvelope>& history) {
  VoucherState voucher;
  for (const v1::EventEnvelope& envelope : history) ApplyVoucherEvent(envelope, &voucher);
  return voucher;
}

absl::Status CheckVoucherIssue(const v1::WorkVoucherIssued& issued) {
  GL_RETURN_IF_ERROR(CheckId("voucher.voucher_id", issued.voucher_id()));
  if (issued.work() == v1::VOUCHER_WORK_UNSPECIFIED || !v1::VoucherWork_IsValid(issued.work())) {
    return absl::InvalidArgumentError(
        "voucher.work: must be INSTALL, REPLACE, REMOVE, ON_SITE_TEST or READ_ON_SITE");
  }
  GL_RETURN_IF_ERROR(CheckBarCode("voucher.meter_bar_code", issued.meter_bar_code()));
  if (issued.work() == v1::VOUCHER_WORK_INSTALL && issued.account_id().empty()) {
    return absl::InvalidArgumentError(
        "voucher.account_id: an install must name the account the meter goes to");
  }
  if (!issued.account_id().empty()) {
    GL_RETURN_IF_ERROR(CheckId("voucher.account_id", issued.account_id()));
  }
  if (!issued.application_id().empty()) {
    GL_RETURN_IF_ERROR(CheckId("voucher.application_id", issued.application_id()));
  }
  if (!IsValidDate(issued.due_on())) {
    return absl::InvalidArgumentError(
        "voucher.due_on: must be a valid date (the day the work is due)");
  }
  return CheckText("voucher.issued_by", issued.issued_by(), kMaxNameBytes, /*required=*/false);
}

absl::Status CheckVoucherDispatch(const v1::WorkVoucherDispatched& dispatch) {
  GL_RETURN_IF_ERROR(CheckId("dispatch.voucher_id", dispatch.voucher_id()));
  return CheckText("dispatch.crew", dispatch.crew(), kMaxNameBytes, /*required=*/true);
}

absl::Status CheckVoucherOnSite(const v1::WorkVoucherOnSite& on_site) {
  GL_RETURN_IF_ERROR(CheckId("on_site.voucher_id", on_site.voucher_id()));
  return CheckBarCode("on_site.scanned_bar_code", on_site.scanned_bar_code());
}

absl::Status CheckVoucherCompletion(const v1::WorkVoucherCompleted& completion) {
  GL_RETURN_IF_ERROR(CheckId("completion.voucher_id", completion.voucher_id()));
  GL_RETURN_IF_ERROR(
      CheckText("completion.result", completion.result(), kMaxTextBytes, /*required=*/true));
  if (completion.has_completed_on() && !IsValidDate(completion.completed_on())) {
    return absl::InvalidArgumentError("completion.completed_on: must be a valid date");
  }
  return absl::OkStatus();
}

absl::Status CheckVoucherVerification(const v1::WorkVoucherVerified& verification) {
  GL_RETURN_IF_ERROR(CheckId("verification.voucher_id", verification.voucher_id()));
  if (!verification.accepted() && verification.reason().empty()) {
    return absl::InvalidArgumentError(
        "verification.reason: refused work needs a reason (it is redone on a new voucher)");
  }
  GL_RETURN_IF_ERROR(
      CheckText("verification.reason", verification.reason(), kMaxTextBytes, /*required=*/false));
  return CheckText("verification.verifier", verification.verifier(), kMaxNameBytes,
                   /*required=*/false);
}

absl::StatusOr<v1::DomainEvent> DecideIssueVoucher(const VoucherState& voucher,
                                                   const v1::MeterState& meter,
                                                   v1::WorkVoucherIssued issued,
                                                   const std::string& principal, absl::Time now) {
  GL_RETURN_IF_ERROR(CheckVoucherIssue(issued));
  if (voucher.status != VoucherStatus::kNone) {
    return absl::AlreadyExistsError(absl::StrCat("voucher.voucher_id: voucher ",
                                                 issued.voucher_id(), " was issued already (it is ",
                                                 VoucherStatusName(voucher.status), ")"));
  }
  const absl::CivilDay today = domain::UtilityDay(now);
  if (domain::ToCivilDay(issued.due_on()) < today) {
    return absl::InvalidArgumentError(
        absl::StrCat("voucher.due_on: ", DayText(domain::ToCivilDay(issued.due_on())),
                     " is before ", DayText(today), ", the day the voucher is issued"));
  }
  GL_RETURN_IF_ERROR(RequireMeter(meter, issued.meter_bar_code(), NeededAtIssue(issued.work()),
                                  issued.account_id(), "voucher.meter_bar_code",
                                  absl::StrCat(VoucherWorkName(issued.work()), " work")));
  if (issued.account_id().empty()) issued.set_account_id(meter.account_id());
  issued.set_issued_by(principal);  // who issues is the caller, never what it says
  v1::DomainEvent event;
  *event.mutable_work_voucher_issued() = std::move(issued);
  return event;
}

absl::StatusOr<v1::DomainEvent> DecideDispatchVoucher(const VoucherState& voucher,
                                                      v1::WorkVoucherDispatched dispatch) {
  GL_RETURN_IF_ERROR(CheckVoucherDispatch(dispatch));
  GL_RETURN_IF_ERROR(RequireStatus(voucher, VoucherStatus::kIssued, "dispatch.voucher_id",
                                   dispatch.voucher_id(), "dispatching a crew"));
  v1::DomainEvent event;
  *event.mutable_work_voucher_dispatched() = std::move(dispatch);
  return event;
}

absl::StatusOr<v1::DomainEvent> DecideVoucherOnSite(const VoucherState& voucher,
                                                    v1::WorkVoucherOnSite on_site, absl::Time now) {
  GL_RETURN_IF_ERROR(CheckVoucherOnSite(on_site));
  GL_RETURN_IF_ERROR(RequireStatus(voucher, VoucherStatus::kDispatched, "on_site.voucher_id",
                                   on_site.voucher_id(), "recording the crew on site"));
  if (on_site.scanned_bar_code() != voucher.meter_bar_code) {
    return absl::FailedPreconditionError(absl::StrCat(
        "on_site.scanned_bar_code: wrong meter: the crew scanned ", on_site.scanned_bar_code(),
        " but voucher ", voucher.voucher_id, " is for meter ", voucher.meter_bar_code));
  }
  if (!on_site.has_arrived_at()) *on_site.mutable_arrived_at() = domain::ToTimestamp(now);
  v1::DomainEvent event;
  *event.mutable_work_voucher_on_site() = std::move(on_site);
  return event;
}

absl::StatusOr<v1::DomainEvent> DecideCompleteVoucher(const VoucherState& voucher,
                                                      const v1::MeterState& meter,
                                                      v1::WorkVoucherCompleted completion,
                                                      absl::Time now) {
  GL_RETURN_IF_ERROR(CheckVoucherCompletion(completion));
  GL_RETURN_IF_ERROR(RequireStatus(voucher, VoucherStatus::kOnSite, "completion.voucher_id",
                                   completion.voucher_id(), "completing the work"));
  if (!completion.has_completed_on()) {
    *completion.mutable_completed_on() = domain::ToDate(domain::UtilityDay(now));
  }
  const absl::CivilDay completed = domain::ToCivilDay(completion.completed_on());
  const absl::CivilDay arrived = domain::UtilityDay(domain::FromTimestamp(voucher.arrived_at));
  if (completed < arrived) {
    return absl::FailedPreconditionError(absl::StrCat(
        "completion.completed_on: ", DayText(completed), " is before the crew of voucher ",
        voucher.voucher_id, " arrived on site (", DayText(arrived), ")"));
  }
  const MeterStateKind needed = NeededAtCompletion(voucher.work);
  if (needed != v1::METER_LIFECYCLE_STATE_UNSPECIFIED) {
    GL_RETURN_IF_ERROR(RequireMeter(meter, voucher.meter_bar_code, needed, voucher.account_id, "",
                                    absl::StrCat("completing ", VoucherWorkName(voucher.work),
                                                 " work on voucher ", voucher.voucher_id)));
  }
  v1::DomainEvent event;
  *event.mutable_work_voucher_completed() = std::move(completion);
  return event;
}

absl::StatusOr<v1::DomainEvent> DecideVerifyVoucher(const VoucherState& voucher,
                                                    v1::WorkVoucherVerified verification,
                                                    const std::string& principal) {
  GL_RETURN_IF_ERROR(CheckVoucherVerification(verification));
  GL_RETURN_IF_ERROR(RequireStatus(voucher, VoucherStatus::kCompleted, "verification.voucher_id",
                                   verification.voucher_id(), "verifying the work"));
  verification.set_verifier(principal);
  v1::DomainEvent event;
  *event.mutable_work_voucher_verified() = std::move(verification);
  return event;
}

}  // namespace gridledger::metering
