// How every command of every unit runs: answer a retried command id with its
// first outcome; otherwise load the stream, let the unit's rules decide the
// events, and append them with the version they were decided on and the
// command id. A concurrent writer (ABORTED) makes it reload and decide again,
// a few times, before ABORTED reaches the client.
#ifndef GRIDLEDGER_SERVICES_COMMON_COMMAND_RUNNER_H_
#define GRIDLEDGER_SERVICES_COMMON_COMMAND_RUNNER_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "eventstore/event_store.h"
#include "gridledger/v1/envelope.pb.h"
#include "services/common/auth.h"

namespace gridledger::service {

struct CommandOutcome {
  v1::AppendOutcome outcome;
  bool deduplicated = false;
};

// Given the stream's events so far (oldest first), the events to append, or
// the business reason not to (FAILED_PRECONDITION, PERMISSION_DENIED, …).
using Decide = std::function<absl::StatusOr<std::vector<v1::DomainEvent>>(
    const std::vector<v1::EventEnvelope>& history)>;

struct CommandContext {
  const Principal* principal = nullptr;
  std::string role;        // the role the principal acts in
  std::string command_id;  // as the store keeps it (service_call.h scopes it)
  // Optional, from request metadata (service_call.h), stamped on every event
  // of the command: the business process it belongs to, and the event or
  // message that caused it.
  std::string correlation_id;
  std::string causation_id;
  // Optional: the command's business time from request metadata
  // (x-occurred-at), used when no event of it states one
  // (domain/common/business_time.h).
  std::optional<absl::Time> stated_time;
  // Optional: the request's digest. A command id already used with another
  // digest is ALREADY_EXISTS, before any rule runs.
  std::string request_digest;
  // Scoping (scope.h): a stream that exists must belong to a unit within the
  // principal's, else NOT_FOUND (or ALREADY_EXISTS "taken" for a command
  // that `creates` its aggregate). A new aggregate belongs to `creates_in`,
  // or the principal's unit when that is empty; the runner stamps the unit on
  // every event it appends (EventEnvelope.org_unit).
  bool creates = false;
  std::string creates_in;
  // For a stream that only grows and whose rules need only its latest event
  // (the clock): `decide` sees just that event, not the whole history, and
  // the business-time rules compare with it.
  bool latest_only = false;
  // A stream of the whole utility, in no org unit (the clock): no scoping,
  // and its events carry no unit. Only for commands no unit owns.
  bool unscoped = false;
};

// Every event of a command has the command's business time as occurred_at
// (domain::BusinessTimeOf), checked by domain::CheckBusinessTime.
// INVALID_ARGUMENT for a missing or over-long command_id; ALREADY_EXISTS for
// a command id bound to another request; FAILED_PRECONDITION for one used on
// another stream; NOT_FOUND for a stream outside the principal's scope;
// otherwise the store's or `decide`'s error unchanged.
absl::StatusOr<CommandOutcome> ExecuteCommand(eventstore::EventStore& store,
                                              const CommandContext& context,
                                              const std::string& stream_id, const Decide& decide);

// The append ExecuteCommand would make for the command, decided the same
// way (scope, rules, business time), with nothing appended: a preview.
absl::StatusOr<eventstore::AppendRequest> DecideWithoutAppending(eventstore::EventStore& store,
                                                                 const CommandContext& context,
                                                                 const std::string& stream_id,
                                                                 const Decide& decide);

// One command of a batch.
struct BatchedCommand {
  const CommandContext* context = nullptr;
  std::string stream_id;
  Decide decide;
};

// As ExecuteCommand for each command, its result at the same index, with the
// appends of many commands made together (EventStore::AppendBatch: one group
// commit, one Kafka transaction per partition) instead of one by one.
// Commands on one stream run in the order given: the batch runs in waves,
// each taking at most one command per stream, decided on the streams as the
// waves before left them. A command whose append meets a concurrent writer
// (ABORTED) runs again alone, as ExecuteCommand does.
std::vector<absl::StatusOr<CommandOutcome>> ExecuteCommands(
    eventstore::EventStore& store, const std::vector<BatchedCommand>& commands);

}  // namespace gridledger::service

#endif  // GRIDLEDGER_SERVICES_COMMON_COMMAND_RUNNER_H_
