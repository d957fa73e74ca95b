// The supervision engine's side of the command path: clock ticks, and the
// alerts the engine decides (projections/views/supervision_view.h), appended
// as commands of the system principal "system:supervision" with the ids the
// engine derives from its alert ids, so a decision repeated after a crash,
// by a rebuild or by a second engine is the same command and lands once.
#ifndef GRIDLEDGER_SERVICES_MARKETING_DEPARTMENT_SUPERVISION_COMMANDS_H_
#define GRIDLEDGER_SERVICES_MARKETING_DEPARTMENT_SUPERVISION_COMMANDS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "eventstore/event_store.h"
#include "projections/views/supervision_view.h"
#include "services/common/command_runner.h"

namespace gridledger::marketing {

// The principal the engine and the server's clock act as.
inline constexpr char kSupervisionPrincipal[] = "system:supervision";

// The decide step of a clock tick at `at`: refused (FAILED_PRECONDITION) if
// before the latest tick (`latest`: the clock stream's last event, or none);
// `covers` is every partition's end now.
absl::StatusOr<v1::DomainEvent> DecideClockTick(const std::vector<v1::EventEnvelope>& latest,
                                                absl::Time at, const v1::Checkpoint& covers);

// A tick recorded by the server's own clock every `interval`: command id
// "clock/<start of the interval, unix seconds>", so the instances of a
// cluster record one tick per interval between them. OK when recorded or
// already recorded; FAILED_PRECONDITION when a later tick is in already
// (recorded ahead of this clock: nothing is recorded until time catches up).
absl::Status RecordWallClockTick(eventstore::EventStore& store, absl::Time now,
                                 absl::Duration interval);

// Appends the engine's decisions in order (ExecuteCommands). OK once each is
// in the log: newly, as a retry of the same command, or a resolution of an
// alert someone resolved by hand already. UNAVAILABLE otherwise (the view
// retries the chunk).
absl::Status RecordEngineAlerts(eventstore::EventStore& store,
                                const std::vector<projections::AlertAction>& actions);

}  // namespace gridledger::marketing

#endif  // GRIDLEDGER_SERVICES_MARKETING_DEPARTMENT_SUPERVISION_COMMANDS_H_
