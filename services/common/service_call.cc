#include "services/common/service_call.h"

#include "services/common/grpc_util.h"

namespace gridledger::service {

grpc::Status ServeCommand(eventstore::EventStore& store, const TokenRegistry& tokens,
                          const grpc::ServerContext& context, const CommandCall& call,
                          v1::CommandReply* reply) {
  absl::StatusOr<Principal> principal = Authenticate(tokens, context);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  std::string acting_role = "admin";
  bool allowed = principal->HasRole("admin");
  for (const std::string& role : call.roles) {
    if (principal->HasRole(role)) {
      acting_role = role;
      allowed = true;
      break;
    }
  }
  if (!allowed) {
    std::string needed;
    for (const std::string& role : call.roles) needed += (needed.empty() ? "" : ", ") + role;
    return grpc::Status(
        grpc::StatusCode::PERMISSION_DENIED,
        principal->name + " lacks the role for this: one of " + needed + " is needed");
  }
  if (call.precheck) {
    if (absl::Status s = call.precheck(*principal); !s.ok()) return ToGrpcStatus(s);
  }
  CommandContext command{&*principal, acting_role, call.command_id, ""};
  absl::StatusOr<CommandOutcome> outcome = ExecuteCommand(
      store, command, call.stream_id, [&](const std::vector<v1::EventEnvelope>& history) {
        return call.decide(*principal, history);
      });
  if (!outcome.ok()) return ToGrpcStatus(outcome.status());
  reply->set_stream_id(outcome->outcome.stream_id());
  reply->set_first_version(outcome->outcome.first_version());
  reply->set_last_version(outcome->outcome.last_version());
  *reply->mutable_positions() = outcome->outcome.positions();
  reply->set_deduplicated(outcome->deduplicated);
  return grpc::Status::OK;
}

}  // namespace gridledger::service
