// The rules of an application for supply (业扩报装) and of a 95598 service
// ticket, as pure functions over their events. Dates are civil days in the
// utility's zone (UTC+8, Asia/Shanghai has no daylight saving); working days
// are Monday to Friday (no holiday calendar yet).
#ifndef GRIDLEDGER_DOMAIN_CUSTOMER_SERVICE_APPLICATION_H_
#define GRIDLEDGER_DOMAIN_CUSTOMER_SERVICE_APPLICATION_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "domain/common/calendar.h"
#include "gridledger/v1/customer_service.pb.h"
#include "gridledger/v1/envelope.pb.h"

namespace gridledger::customer {

// The committed limit in working days for an application's kind.
int32_t CommittedWorkingDays(const v1::ApplicationSubmitted& application);

// `days` working days after `from` (from itself not counted).
absl::CivilDay AddWorkingDays(absl::CivilDay from, int32_t days);
// Working days after `from` up to and including `to` (0 if to ≤ from).
int32_t WorkingDaysBetween(absl::CivilDay from, absl::CivilDay to);

// The utility's calendar day at `time` (domain/common/calendar.h).
using domain::UtilityDay;

struct Application {
  bool exists = false;
  v1::ApplicationSubmitted submitted;
  v1::ApplicationStep step = v1::APPLICATION_STEP_UNSPECIFIED;
  bool ended = false;
  int32_t committed_working_days = 0;
  absl::CivilDay accepted_on;
  absl::CivilDay due;
  bool needs_bay_approval = false;
  std::string bay;
  int64_t version = 0;
};

Application FoldApplication(const std::vector<v1::EventEnvelope>& history);
v1::ApplicationView ViewOf(const Application& application);

// submitted_at: as stated (an application taken on paper and keyed in later;
// the command runner holds it to the business-time rules), else `now`.
absl::StatusOr<v1::DomainEvent> DecideSubmit(const Application& application,
                                             v1::ApplicationSubmitted submitted, absl::Time now);
absl::StatusOr<v1::DomainEvent> DecideAccept(const Application& application,
                                             const std::string& account_manager,
                                             absl::CivilDay today);
// `bay_approved`: whether the Marketing Department granted the plan's bay.
absl::StatusOr<v1::DomainEvent> DecideStep(const Application& application,
                                           const v1::CompleteStepRequest& request,
                                           bool bay_approved, absl::CivilDay today);
absl::StatusOr<v1::DomainEvent> DecideEnd(const Application& application, const std::string& reason,
                                          bool withdrawn);

enum class TicketState { kNone, kOpened, kDispatched, kOnSite, kResolved, kClosed };

struct Ticket {
  TicketState state = TicketState::kNone;
  v1::ServiceTicketOpened opened;
  google::protobuf::Timestamp on_site_due_by;
};

Ticket FoldTicket(const std::vector<v1::EventEnvelope>& history);
absl::StatusOr<v1::DomainEvent> DecideOpenTicket(const Ticket& ticket,
                                                 v1::ServiceTicketOpened opened, absl::Time now);
// Dispatch sets the on-site limit (urban 45 min, rural 90 from opening);
// on-site computes within_limit.
absl::StatusOr<v1::DomainEvent> DecideAdvanceTicket(const Ticket& ticket,
                                                    const v1::AdvanceTicketRequest& request,
                                                    absl::Time now);

}  // namespace gridledger::customer

#endif  // GRIDLEDGER_DOMAIN_CUSTOMER_SERVICE_APPLICATION_H_
