// When a command's events happened in the business (EventEnvelope.occurred_at)
// as opposed to when the store recorded them (recorded_at). A command states
// it in its payload where the event has a field for it (a read's read_at, a
// payment's paid_on, a calibration's verified_on, …: StatedBusinessTime), or
// for the whole command in request metadata (x-occurred-at, RFC 3339: data
// captured on paper and keyed in later); otherwise it is the moment the
// command ran. BusinessTimeOf picks it; CheckBusinessTime holds it to the
// rules every unit shares (docs/ARCHITECTURE.md, "Business time"):
//   BT-NOT-FUTURE  not later than now + kBusinessTimeSkew, nor before 1990
//                  (INVALID_ARGUMENT)
//   BT-NOT-BEFORE-START  not on a day before the aggregate's first event
//                  (FAILED_PRECONDITION: a read before the account opened)
// A date-only field states the start of that day in the utility's zone.
#ifndef GRIDLEDGER_DOMAIN_COMMON_BUSINESS_TIME_H_
#define GRIDLEDGER_DOMAIN_COMMON_BUSINESS_TIME_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gridledger/v1/envelope.pb.h"

namespace gridledger::domain {

// How far ahead of the server's clock a stated time may be (clock skew
// between a handheld reader or a bank's system and the server).
inline constexpr absl::Duration kBusinessTimeSkew = absl::Minutes(5);

inline constexpr char kRuleNotFuture[] = "BT-NOT-FUTURE";
inline constexpr char kRuleNotBeforeStart[] = "BT-NOT-BEFORE-START";

// A business time and where it was stated: the event field ("read_at",
// "paid_on", …) or "x-occurred-at" for request metadata, or "" when it is
// the moment the command ran.
struct BusinessTime {
  absl::Time time;
  std::string stated_by;
};

// The time `event` states for itself, when its type has such a field and
// the field is set.
std::optional<BusinessTime> StatedBusinessTime(const v1::DomainEvent& event);

// The command's business time, the same for all its events: the first time
// one of `events` states, else `from_metadata`, else `now`.
BusinessTime BusinessTimeOf(const std::vector<v1::DomainEvent>& events,
                            const std::optional<absl::Time>& from_metadata, absl::Time now);

// BT-NOT-FUTURE and BT-NOT-BEFORE-START for a command on a stream whose
// events so far are `history` (oldest first); the error names the field
// that stated the time and the rule.
absl::Status CheckBusinessTime(const BusinessTime& business, absl::Time now,
                               const std::vector<v1::EventEnvelope>& history);

}  // namespace gridledger::domain

#endif  // GRIDLEDGER_DOMAIN_COMMON_BUSINESS_TIME_H_
