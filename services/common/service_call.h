// One command RPC, end to end, for any unit's service: authenticate the call,
// check the role, run the command (command_runner.h) and fill the reply.
#ifndef GRIDLEDGER_SERVICES_COMMON_SERVICE_CALL_H_
#define GRIDLEDGER_SERVICES_COMMON_SERVICE_CALL_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "eventstore/event_store.h"
#include "gridledger/v1/command.pb.h"
#include "services/common/auth.h"
#include "services/common/command_runner.h"

namespace gridledger::service {

// Given who calls and the stream's events, the events to append or a refusal.
using DecideAs = std::function<absl::StatusOr<std::vector<v1::DomainEvent>>(
    const Principal& principal, const std::vector<v1::EventEnvelope>& history)>;

struct CommandCall {
  std::vector<std::string> roles;  // any of them may call (admin always may)
  // The client's command id: 1–128 printable ASCII characters, no spaces.
  // It is scoped to the calling principal (stored as "<principal>:<id>"), so
  // one principal can neither answer nor block another's command, and bound
  // to `request`: a reuse with a different request is ALREADY_EXISTS.
  std::string command_id;
  std::string stream_id;
  // Optional, before anything is read: e.g. field checks, or a refusal by role
  // ("collectors cannot create or alter bills").
  std::function<absl::Status(const Principal&)> precheck;
  DecideAs decide;
  // Scoping (scope.h). A command that creates its aggregate sets `creates`;
  // if its request names the unit to create it in, `unit_field` and `unit`
  // say so (checked: well formed, in the caller's scope, registered); with
  // no unit named (the unit's rules say whether one is required) the
  // aggregate belongs to the caller's own unit. Every command is refused
  // NOT_FOUND on a stream outside the caller's scope.
  bool creates = false;
  std::string unit_field;
  std::string unit;
  // The rules need only the stream's latest event (CommandContext::latest_only).
  bool latest_only = false;
  // A stream of the whole utility in no unit (CommandContext::unscoped).
  bool unscoped = false;
  // The RPC's request message; required (its type and deterministic bytes
  // are the command's digest).
  const google::protobuf::Message* request = nullptr;
};

// Most commands decide one event: wraps it (or its refusal) for DecideAs.
inline absl::StatusOr<std::vector<v1::DomainEvent>> OneEvent(
    absl::StatusOr<v1::DomainEvent> event) {
  if (!event.ok()) return event.status();
  return std::vector<v1::DomainEvent>{*std::move(event)};
}

// Request metadata every command may carry (all optional):
//   x-correlation-id  the business process the command belongs to
//   x-causation-id    the event or message that caused it
//   x-occurred-at     the command's business time, RFC 3339 with offset, for
//                     a command whose events state none (keyed in later)
// The ids are 1–128 printable ASCII characters; every event of the command
// carries them (EventEnvelope.correlation_id, causation_id).
inline constexpr char kCorrelationIdHeader[] = "x-correlation-id";
inline constexpr char kCausationIdHeader[] = "x-causation-id";
inline constexpr char kOccurredAtHeader[] = "x-occurred-at";
struct CommandMetadata {
  std::string correlation_id;
  std::string causation_id;
  std::optional<absl::Time> occurred_at;
  std::string occurred_at_text;
};
// INVALID_ARGUMENT naming the header for a malformed or repeated value.
absl::StatusOr<CommandMetadata> ReadCommandMetadata(const grpc::ServerContext& context);
// The command's time for rules that date what they decide (a step's
// deadline, a ticket's arrival): x-occurred-at when sent and well formed
// (ServeCommand refuses it otherwise), else now.
absl::Time CommandTime(const grpc::ServerContext& context);

// The id a caller gave its request, for logs: the x-request-id header, else
// x-correlation-id; at most 128 characters, anything but printable ASCII
// replaced by '?'; empty when neither is sent.
std::string RequestIdFrom(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata);

// The store's command id for a principal's client command id.
std::string ScopedCommandId(const Principal& principal, absl::string_view command_id);
// SHA-256 of the request's full type name and deterministic serialization.
std::string RequestDigest(const google::protobuf::Message& request);

// gRPC status from the first failure: UNAUTHENTICATED, PERMISSION_DENIED,
// INVALID_ARGUMENT for a malformed command_id, the precheck's, the scope's
// (scope.h), ALREADY_EXISTS
// for a command id reused with another request, the rules', the store's.
grpc::Status ServeCommand(eventstore::EventStore& store, const TokenRegistry& tokens,
                          const grpc::ServerContext& context, const CommandCall& call,
                          v1::CommandReply* reply);

// The events ServeCommand would append for `call` (authenticated, admitted
// and decided the same way; a command_id is optional), with nothing
// appended: a preview such as a bill before it is issued.
grpc::Status PreviewCommand(eventstore::EventStore& store, const TokenRegistry& tokens,
                            const grpc::ServerContext& context, CommandCall call,
                            std::vector<v1::EventEnvelope>* events);

// ServeCommand for many commands of one caller in one RPC (bulk ingest): the
// call is authenticated once (its failure is the returned status, and then
// nothing runs); otherwise OK, and each command's own status and reply are
// at its index in `statuses` and `replies` (both resized to calls.size()).
// The commands' appends are made together (ExecuteCommands).
grpc::Status ServeCommands(eventstore::EventStore& store, const TokenRegistry& tokens,
                           const grpc::ServerContext& context,
                           const std::vector<CommandCall>& calls,
                           std::vector<grpc::Status>* statuses,
                           std::vector<v1::CommandReply>* replies);

}  // namespace gridledger::service

#endif  // GRIDLEDGER_SERVICES_COMMON_SERVICE_CALL_H_
