#include "services/common/service_call.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <algorithm>
#include <iterator>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/log.h"
#include "common/metrics.h"
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

// The value of metadata `key`, or nullopt; INVALID_ARGUMENT when it is sent
// more than once.
absl::StatusOr<std::optional<std::string>> MetadataValue(const grpc::ServerContext& context,
                                                         absl::string_view key) {
  const auto range =
      context.client_metadata().equal_range(grpc::string_ref(key.data(), key.size()));
  if (range.first == range.second) return std::optional<std::string>();
  if (std::next(range.first) != range.second) {
    return absl::InvalidArgumentError(absl::StrCat(key, " metadata: sent more than once"));
  }
  return std::optional<std::string>(
      std::string(range.first->second.data(), range.first->second.size()));
}

absl::Status CheckTraceId(absl::string_view key, const std::string& value) {
  if (value.empty() || value.size() > kMaxClientCommandId) {
    return absl::InvalidArgumentError(
        absl::StrCat(key, " metadata: must be 1 to ", kMaxClientCommandId, " characters"));
  }
  for (char c : value) {
    if (c <= ' ' || c > '~') {
      return absl::InvalidArgumentError(
          absl::StrCat(key, " metadata: must be printable ASCII without spaces"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CommandMetadata> ReadCommandMetadata(const grpc::ServerContext& context) {
  CommandMetadata metadata;
  GL_ASSIGN_OR_RETURN(std::optional<std::string> correlation,
                      MetadataValue(context, kCorrelationIdHeader));
  if (correlation) {
    GL_RETURN_IF_ERROR(CheckTraceId(kCorrelationIdHeader, *correlation));
    metadata.correlation_id = *std::move(correlation);
  }
  GL_ASSIGN_OR_RETURN(std::optional<std::string> causation,
                      MetadataValue(context, kCausationIdHeader));
  if (causation) {
    GL_RETURN_IF_ERROR(CheckTraceId(kCausationIdHeader, *causation));
    metadata.causation_id = *std::move(causation);
  }
  GL_ASSIGN_OR_RETURN(std::optional<std::string> occurred,
                      MetadataValue(context, kOccurredAtHeader));
  if (occurred) {
    absl::Time time;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, *occurred, &time, &error)) {
      return absl::InvalidArgumentError(
          absl::StrCat(kOccurredAtHeader, " metadata: \"", *occurred,
                       "\" is not an RFC 3339 time with its offset, e.g. "
                       "2026-11-30T09:15:00+08:00 (",
                       error, ")"));
    }
    metadata.occurred_at = time;
    metadata.occurred_at_text = *std::move(occurred);
  }
  return metadata;
}

absl::Time CommandTime(const grpc::ServerContext& context) {
  absl::StatusOr<CommandMetadata> metadata = ReadCommandMetadata(context);
  if (metadata.ok() && metadata->occurred_at) return *metadata->occurred_at;
  return absl::Now();
}

std::string RequestIdFrom(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) {
  for (const char* header : {"x-request-id", "x-correlation-id"}) {
    auto found = metadata.find(header);
    if (found == metadata.end()) continue;
    std::string id(found->second.data(), std::min<size_t>(found->second.size(), 128));
    for (char& c : id) {
      if (c < ' ' || c > '~') c = '?';
    }
    return id;
  }
  return "";
}

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
                                     const CommandMetadata& metadata, const CommandCall& call) {
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
  if (metadata.occurred_at) {
    // A retry states the same business time; another time is another request.
    command.request_digest = Sha256(absl::StrCat(
        command.request_digest, "\0", kOccurredAtHeader, "=",
        absl::FormatTime(absl::RFC3339_full, *metadata.occurred_at, absl::UTCTimeZone())));
  }
  command.correlation_id = metadata.correlation_id;
  command.causation_id = metadata.causation_id;
  command.stated_time = metadata.occurred_at;
  command.creates = call.creates;
  command.creates_in = call.unit;
  command.latest_only = call.latest_only;
  command.unscoped = call.unscoped;
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

namespace {

// The caller's x-request-id, as a log field: printable ASCII, at most 128
// characters kept; empty when it sent none.
// One line per failed command (its principal, request and command ids,
// stream, code and why), for operators; the client gets the same status.
grpc::Status LoggedIfFailed(grpc::Status status, const std::string& principal,
                            const grpc::ServerContext& context, const CommandCall& call,
                            const std::string& correlation_id) {
  if (status.ok()) return status;
  const std::string code(metrics::CodeName(status.error_code()));
  log::Warning("command.failed",
               absl::StrCat("gridledger: command ", call.command_id, " on ", call.stream_id, " by ",
                            principal.empty() ? "(unauthenticated)" : principal, " failed ", code,
                            ": ", status.error_message()),
               {{"principal", principal},
                {"request_id", RequestIdFrom(context.client_metadata())},
                {"command_id", call.command_id},
                {"stream_id", call.stream_id},
                {"correlation_id", correlation_id},
                {"code", code},
                {"reason", status.error_message()}});
  return status;
}

}  // namespace

grpc::Status ServeCommand(eventstore::EventStore& store, const TokenRegistry& tokens,
                          const grpc::ServerContext& context, const CommandCall& call,
                          v1::CommandReply* reply) {
  absl::StatusOr<Principal> principal = Authenticate(tokens, context);
  if (!principal.ok()) {
    return LoggedIfFailed(ToGrpcStatus(principal.status()), "", context, call, "");
  }
  absl::StatusOr<CommandMetadata> metadata = ReadCommandMetadata(context);
  if (!metadata.ok()) {
    return LoggedIfFailed(ToGrpcStatus(metadata.status()), principal->name, context, call, "");
  }
  auto failed = [&](const absl::Status& status) {
    return LoggedIfFailed(ToGrpcStatus(status), principal->name, context, call,
                          metadata->correlation_id);
  };
  absl::StatusOr<CommandContext> command = Admit(store, *principal, *metadata, call);
  if (!command.ok()) return failed(command.status());
  absl::StatusOr<CommandOutcome> outcome = ExecuteCommand(
      store, *command, call.stream_id, [&](const std::vector<v1::EventEnvelope>& history) {
        return call.decide(*principal, history);
      });
  if (!outcome.ok()) return failed(outcome.status());
  FillReply(*outcome, reply);
  return grpc::Status::OK;
}

grpc::Status PreviewCommand(eventstore::EventStore& store, const TokenRegistry& tokens,
                            const grpc::ServerContext& context, CommandCall call,
                            std::vector<v1::EventEnvelope>* events) {
  absl::StatusOr<Principal> principal = Authenticate(tokens, context);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  absl::StatusOr<CommandMetadata> metadata = ReadCommandMetadata(context);
  if (!metadata.ok()) return ToGrpcStatus(metadata.status());
  if (call.command_id.empty()) call.command_id = "preview";  // nothing is stored under it
  absl::StatusOr<CommandContext> command = Admit(store, *principal, *metadata, call);
  if (!command.ok()) return ToGrpcStatus(command.status());
  absl::StatusOr<eventstore::AppendRequest> decided = DecideWithoutAppending(
      store, *command, call.stream_id, [&](const std::vector<v1::EventEnvelope>& history) {
        return call.decide(*principal, history);
      });
  if (!decided.ok()) return ToGrpcStatus(decided.status());
  *events = std::move(decided->events);
  return grpc::Status::OK;
}

grpc::Status ServeCommands(eventstore::EventStore& store, const TokenRegistry& tokens,
                           const grpc::ServerContext& context,
                           const std::vector<CommandCall>& calls,
                           std::vector<grpc::Status>* statuses,
                           std::vector<v1::CommandReply>* replies) {
  absl::StatusOr<Principal> principal = Authenticate(tokens, context);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  absl::StatusOr<CommandMetadata> metadata = ReadCommandMetadata(context);
  if (!metadata.ok()) return ToGrpcStatus(metadata.status());
  statuses->assign(calls.size(), grpc::Status::OK);
  replies->assign(calls.size(), v1::CommandReply());
  // Stable addresses: the batch refers to them.
  std::vector<CommandContext> contexts;
  contexts.reserve(calls.size());
  std::vector<size_t> admitted;
  std::vector<BatchedCommand> batch;
  for (size_t i = 0; i < calls.size(); ++i) {
    absl::StatusOr<CommandContext> command = Admit(store, *principal, *metadata, calls[i]);
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
