// The rules of an electronic work voucher (作业单) for field work on one
// meter, as pure functions over the voucher's stream ("voucher-<id>"): fold
// its events into its state, check each command's fields, and decide each
// step's event or refuse it. No I/O, no clock; thread-safe.
//
//   issued → dispatched → on site → completed → accepted | refused
//
// Each step only from the one before it; accepted and refused are final (a
// refused voucher's work is redone on a new voucher). The meter's own events
// decide what work may be issued and whether it was done:
//
//   work            at issue, the meter must be    at completion
//   install         DISPATCHED                     INSTALLED
//   replace         INSTALLED                      INSTALLED
//   remove          INSTALLED                      REMOVED
//   on-site test    INSTALLED                      —
//   read on site    INSTALLED                      —
//
// and where the voucher names an account the meter is installed at (and
// the meter records one), they must agree.
//
// Refusals: INVALID_ARGUMENT naming the request field ("voucher.voucher_id:
// …"); NOT_FOUND for an unknown voucher or meter; ALREADY_EXISTS for a
// voucher id issued before; FAILED_PRECONDITION naming the voucher's state
// (or the meter's) for a step out of order.
#ifndef GRIDLEDGER_DOMAIN_METERING_CENTER_WORK_VOUCHER_H_
#define GRIDLEDGER_DOMAIN_METERING_CENTER_WORK_VOUCHER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "gridledger/v1/envelope.pb.h"
#include "gridledger/v1/metering_service.pb.h"

namespace gridledger::metering {

// Where a voucher stands: kNone before it is issued.
enum class VoucherStatus { kNone, kIssued, kDispatched, kOnSite, kCompleted, kAccepted, kRefused };

// A voucher after its events.
struct VoucherState {
  VoucherStatus status = VoucherStatus::kNone;
  std::string voucher_id;
  v1::VoucherWork work = v1::VOUCHER_WORK_UNSPECIFIED;
  std::string meter_bar_code;
  std::string account_id;
  std::string application_id;
  v1::Date due_on;
  std::string issued_by;
  std::string crew;                        // once dispatched
  google::protobuf::Timestamp arrived_at;  // once on site
  std::string result;                      // once completed
  v1::Date completed_on;
  std::string verifier;  // once accepted or refused
  std::string refusal_reason;
  int64_t version = 0;  // the stream version of its last event
};

// The voucher after `history` (its stream's events, oldest first).
VoucherState FoldVoucher(const std::vector<v1::EventEnvelope>& history);

// One step of that fold: `voucher` after `event`; events of other types
// leave it as it was.
void ApplyVoucherEvent(const v1::EventEnvelope& event, VoucherState* voucher);

// "NONE", "ISSUED", "DISPATCHED", "ON_SITE", "COMPLETED", "ACCEPTED",
// "REFUSED", for messages.
std::string VoucherStatusName(VoucherStatus status);

// "INSTALL", "REPLACE", "REMOVE", "ON_SITE_TEST", "READ_ON_SITE", for messages.
std::string VoucherWorkName(v1::VoucherWork work);

// Field checks of each step's request, before anything is read. Each is
// INVALID_ARGUMENT naming the field by its path in the request ("voucher.",
// "dispatch.", "on_site.", "completion.", "verification.") or OK.
//
// Issue: voucher_id an id (1–64 of [A-Za-z0-9-]); work set; meter_bar_code
// a bar code; account_id an id, required for an install (the metering point
// the meter goes to), else optional; application_id an id when given;
// due_on a valid date; issued_by text of at most 200 bytes.
absl::Status CheckVoucherIssue(const v1::WorkVoucherIssued& issued);
// Dispatch: voucher_id; crew required text (at most 200 bytes).
absl::Status CheckVoucherDispatch(const v1::WorkVoucherDispatched& dispatch);
// On site: voucher_id; scanned_bar_code a bar code.
absl::Status CheckVoucherOnSite(const v1::WorkVoucherOnSite& on_site);
// Complete: voucher_id; result required text (at most 2,000 bytes);
// completed_on a valid date when given.
absl::Status CheckVoucherCompletion(const v1::WorkVoucherCompleted& completion);
// Verify: voucher_id; reason text (at most 2,000 bytes), required when the
// work is refused; verifier text (at most 200 bytes).
absl::Status CheckVoucherVerification(const v1::WorkVoucherVerified& verification);

// Each Decide* runs its step's field check first, then returns the event to
// append or why not.

// Issue a new voucher for work on `meter` (the folded state of the meter the
// voucher names; a meter the caller may not see is passed as unknown, with
// only its bar code). ALREADY_EXISTS when the voucher id was issued before;
// NOT_FOUND for an unknown meter; FAILED_PRECONDITION when the meter is not
// in the state the work needs or is installed at another account than the
// voucher names; INVALID_ARGUMENT when due_on is before the day of `now`
// (the command's business time). account_id, when not given, is the
// meter's account; issued_by, when not given, is `principal`.
absl::StatusOr<v1::DomainEvent> DecideIssueVoucher(const VoucherState& voucher,
                                                   const v1::MeterState& meter,
                                                   v1::WorkVoucherIssued issued,
                                                   const std::string& principal, absl::Time now);

// Dispatch an issued voucher to a crew.
absl::StatusOr<v1::DomainEvent> DecideDispatchVoucher(const VoucherState& voucher,
                                                      v1::WorkVoucherDispatched dispatch);

// The crew is at the meter: a dispatched voucher, and the bar code the crew
// scanned must be the voucher's meter (FAILED_PRECONDITION "wrong meter"
// naming both bar codes otherwise). arrived_at, when not given, is `now`
// (the command's business time).
absl::StatusOr<v1::DomainEvent> DecideVoucherOnSite(const VoucherState& voucher,
                                                    v1::WorkVoucherOnSite on_site, absl::Time now);

// The work is done: a voucher on site, whose meter (`meter`, folded from
// the meter's stream now; unknown as for issue) shows it (table above).
// completed_on, when not given, is the day of `now`; it may not be before
// the day the crew arrived (FAILED_PRECONDITION).
absl::StatusOr<v1::DomainEvent> DecideCompleteVoucher(const VoucherState& voucher,
                                                      const v1::MeterState& meter,
                                                      v1::WorkVoucherCompleted completion,
                                                      absl::Time now);

// The work is accepted or refused (with a reason): a completed voucher.
// verifier, when not given, is `principal`.
absl::StatusOr<v1::DomainEvent> DecideVerifyVoucher(const VoucherState& voucher,
                                                    v1::WorkVoucherVerified verification,
                                                    const std::string& principal);

}  // namespace gridledger::metering

#endif  // GRIDLEDGER_DOMAIN_METERING_CENTER_WORK_VOUCHER_H_
