#include "services/common/service_call.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "absl/strings/str_cat.h"
#include "common/sha256.h"
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
  if (call.request != nullptr) {
    if (absl::Status s = CheckRequestFields(*call.request); !s.ok()) return ToGrpcStatus(s);
  }
  if (call.precheck) {
    if (absl::Status s = call.precheck(*principal); !s.ok()) return ToGrpcStatus(s);
  }
  if (absl::Status s = CheckCommandId(call.command_id); !s.ok()) return ToGrpcStatus(s);
  if (call.request == nullptr) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "a command was served without its request");
  }
  if (!call.unit_field.empty() && !call.unit.empty()) {
    if (absl::Status s = CheckUnitToActIn(store, *principal, call.unit_field, call.unit); !s.ok()) {
      return ToGrpcStatus(s);
    }
  }
  CommandContext command{&*principal, acting_role, ScopedCommandId(*principal, call.command_id),
                         ""};
  command.request_digest = RequestDigest(*call.request);
  command.creates = call.creates;
  command.creates_in = call.unit;
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
