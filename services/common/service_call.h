// One command RPC, end to end, for any unit's service: authenticate the call,
// check the role, run the command (command_runner.h) and fill the reply.
#ifndef GRIDLEDGER_SERVICES_COMMON_SERVICE_CALL_H_
#define GRIDLEDGER_SERVICES_COMMON_SERVICE_CALL_H_

#include <grpcpp/grpcpp.h>

#include <functional>
#include <string>
#include <vector>

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
  std::string command_id;
  std::string stream_id;
  // Optional, before anything is read: e.g. field checks, or a refusal by role
  // ("collectors cannot create or alter bills").
  std::function<absl::Status(const Principal&)> precheck;
  DecideAs decide;
};

// Most commands decide one event: wraps it (or its refusal) for DecideAs.
inline absl::StatusOr<std::vector<v1::DomainEvent>> OneEvent(
    absl::StatusOr<v1::DomainEvent> event) {
  if (!event.ok()) return event.status();
  return std::vector<v1::DomainEvent>{*std::move(event)};
}

// gRPC status from the first failure: UNAUTHENTICATED, PERMISSION_DENIED,
// the precheck's, the rules', the store's.
grpc::Status ServeCommand(eventstore::EventStore& store, const TokenRegistry& tokens,
                          const grpc::ServerContext& context, const CommandCall& call,
                          v1::CommandReply* reply);

}  // namespace gridledger::service

#endif  // GRIDLEDGER_SERVICES_COMMON_SERVICE_CALL_H_
