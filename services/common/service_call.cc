#include "services/common/service_call.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "absl/strings/str_cat.h"
#include "common/sha256.h"
#include "common/status_macros.h"
#include "services/common/grpc_util.h"
#include "services/common/request_check.h"
#include "services/common/scope.h"

namespace gridledger::service {
namespace {

constexpr size_t kMaxClientCommandId = 128;

absl::Status CheckCommandId(const std::string& command_id) {
  if (command_id.empty()) {
    return absl::InvalidArgumentError("command_id: must be set (a unique id per command)");
  }
  if (command_id.size() > kMaxClientCommandId) {
    return absl::InvalidArgumentError(
        absl::StrCat("command_id: must be at most ", kMaxClientCommandId, " characters"));
  }
  for (char c : command_id) {
    if (c <= ' ' || c > '~') {
      return absl::InvalidArgumentError(
          "command_id: must be printable ASCII without spaces (a UUID, say)");
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string ScopedCommandId(const Principal& principal, absl::string_view command_id) {
  return absl::StrCat(principal.name, ":", command_id);
}

std::string RequestDigest(const google::protobuf::Message& request) {
  std::string bytes = request.GetDescriptor()->full_name();
  bytes.push_back('\0');
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    request.SerializeToCodedStream(&coded);
  }
  return Sha256(bytes);
}

namespace {

// The command's context once the caller may run it: the role it acts in,
// the request's fields, the precheck, the command id and the unit it names
// checked, in that order; the first failure otherwise.
absl::StatusOr<CommandContext> Admit(eventstore::EventStore& store, const Principal& principal,
                                     const CommandCall& call) {
  std::string acting_role = "admin";
  bool allowed = principal.HasRole("admin");
  for (const std::string& role : call.roles) {
    if (principal.HasRole(role)) {
      acting_role = role;
      allowed = true;
      break;
    }
  }
  if (!allowed) {
    std::string needed;
    for (const std::string& role : call.roles) needed += (needed.empty() ? "" : ", ") + role;
    return absl::PermissionDeniedError(principal.name + " lacks the role for this: one of " +
                                       needed + " is needed");
  }
  if (call.request != nullptr) GL_RETURN_IF_ERROR(CheckRequestFields(*call.request));
  if (call.precheck) GL_RETURN_IF_ERROR(call.precheck(principal));
  GL_RETURN_IF_ERROR(CheckCommandId(call.command_id));
  if (call.request == nullptr) {
    return absl::InternalError("a command was served without its request");
  }
  if (!call.unit_field.empty() && !call.unit.empty()) {
    GL_RETURN_IF_ERROR(CheckUnitToActIn(store, principal, call.unit_field, call.unit));
  }
  CommandContext command{&principal, acting_role, ScopedCommandId(principal, call.command_id), ""};
  command.request_digest = RequestDigest(*call.request);
  command.creates = call.creates;
  command.creates_in = call.unit;
  return command;
}

void FillReply(const CommandOutcome& outcome, v1::CommandReply* reply) {
  reply->set_stream_id(outcome.outcome.stream_id());
  reply->set_first_version(outcome.outcome.first_version());
  reply->set_last_version(outcome.outcome.last_version());
  *reply->mutable_positions() = outcome.outcome.positions();
  reply->set_deduplicated(outcome.deduplicated);
}

}  // namespace

grpc::Status ServeCommand(eventstore::EventStore& store, const TokenRegistry& tokens,
                          const grpc::ServerContext& context, const CommandCall& call,
                          v1::CommandReply* reply) {
  absl::StatusOr<Principal> principal = Authenticate(tokens, context);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  absl::StatusOr<CommandContext> command = Admit(store, *principal, call);
  if (!command.ok()) return ToGrpcStatus(command.status());
  absl::StatusOr<CommandOutcome> outcome = ExecuteCommand(
      store, *command, call.stream_id, [&](const std::vector<v1::EventEnvelope>& history) {
        return call.decide(*principal, history);
      });
  if (!outcome.ok()) return ToGrpcStatus(outcome.status());
  FillReply(*outcome, reply);
  return grpc::Status::OK;
}

grpc::Status ServeCommands(eventstore::EventStore& store, const TokenRegistry& tokens,
                           const grpc::ServerContext& context,
                           const std::vector<CommandCall>& calls,
                           std::vector<grpc::Status>* statuses,
                           std::vector<v1::CommandReply>* replies) {
  absl::StatusOr<Principal> principal = Authenticate(tokens, context);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  statuses->assign(calls.size(), grpc::Status::OK);
  replies->assign(calls.size(), v1::CommandReply());
  // Stable addresses: the batch refers to them.
  std::vector<CommandContext> contexts;
  contexts.reserve(calls.size());
  std::vector<size_t> admitted;
  std::vector<BatchedCommand> batch;
  for (size_t i = 0; i < calls.size(); ++i) {
    absl::StatusOr<CommandContext> command = Admit(store, *principal, calls[i]);
    if (!command.ok()) {
      (*statuses)[i] = ToGrpcStatus(command.status());
      continue;
    }
    contexts.push_back(*std::move(command));
    admitted.push_back(i);
    const CommandCall* call = &calls[i];
    batch.push_back(BatchedCommand{&contexts.back(), call->stream_id,
                                   [call, &principal](const std::vector<v1::EventEnvelope>& h) {
                                     return call->decide(*principal, h);
                                   }});
  }
  std::vector<absl::StatusOr<CommandOutcome>> outcomes = ExecuteCommands(store, batch);
  for (size_t k = 0; k < admitted.size(); ++k) {
    if (!outcomes[k].ok()) {
      (*statuses)[admitted[k]] = ToGrpcStatus(outcomes[k].status());
    } else {
      FillReply(*outcomes[k], &(*replies)[admitted[k]]);
    }
  }
  return grpc::Status::OK;
}

}  // namespace gridledger::service
