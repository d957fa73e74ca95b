#include "server/cluster_service.h"

#include <openssl/crypto.h>

#include <chrono>
#include <fstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "services/common/grpc_util.h"

namespace gridledger::server {
namespace {

constexpr size_t kMinSecretLength = 16;

// The store's status as gRPC's; an ABORTED one keeps its current-version
// payload in the error details, so the forwarding instance can restore it.
grpc::Status ToForwardedStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  std::string details;
  if (auto current = status.GetPayload(eventstore::kCurrentVersionPayload)) {
    details = std::string(*current);
  }
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()),
                      details);
}

// The owner's answer as the store's status. A call that never reached an
// owner (connection refused, deadline) is UNAVAILABLE: the caller looks for
// the owner again.
absl::Status FromForwardedStatus(const grpc::Status& status, const std::string& owner) {
  if (status.ok()) return absl::OkStatus();
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
      status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
      status.error_code() == grpc::StatusCode::CANCELLED) {
    return absl::UnavailableError(
        absl::StrCat("the owner at ", owner, " did not answer: ", status.error_message()));
  }
  absl::Status result(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  if (status.error_code() == grpc::StatusCode::ABORTED && !status.error_details().empty()) {
    result.SetPayload(eventstore::kCurrentVersionPayload, absl::Cord(status.error_details()));
  }
  return result;
}

}  // namespace

absl::StatusOr<std::string> LoadClusterSecret(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) {
    return absl::InvalidArgumentError(absl::StrCat("--cluster_secret: cannot read ", path));
  }
  std::string secret(absl::StripAsciiWhitespace(line));
  if (secret.size() < kMinSecretLength) {
    return absl::InvalidArgumentError(absl::StrCat("--cluster_secret: the secret in ", path,
                                                   " must be at least ", kMinSecretLength,
                                                   " characters on its first line"));
  }
  return secret;
}

// --- ClusterService ----------------------------------------------------------

ClusterService::ClusterService(eventstore::ClusterMember* member,
                               const service::TokenRegistry* tokens, std::string secret)
    : member_(member), tokens_(tokens), secret_(std::move(secret)) {}

bool ClusterService::HasSecret(const grpc::ServerContext& context) const {
  const auto [begin, end] = context.client_metadata().equal_range(kClusterSecretHeader);
  if (begin == end || std::next(begin) != end) return false;
  const grpc::string_ref given = begin->second;
  return given.size() == secret_.size() &&
         CRYPTO_memcmp(given.data(), secret_.data(), secret_.size()) == 0;
}

grpc::Status ClusterService::ForwardAppends(grpc::ServerContext* context,
                                            const v1::ForwardAppendsRequest* request,
                                            v1::ForwardAppendsReply* reply) {
  if (!HasSecret(*context)) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "Cluster: only instances of this deployment may forward");
  }
  std::vector<eventstore::AppendRequest> appends;
  appends.reserve(request->appends_size());
  for (const v1::ForwardAppendRequest& forwarded : request->appends()) {
    eventstore::AppendRequest& append = appends.emplace_back();
    append.stream_id = forwarded.stream_id();
    append.expected_version = forwarded.expected_version();
    append.command_id = forwarded.command_id();
    append.request_digest = forwarded.request_digest();
    append.events.assign(forwarded.events().begin(), forwarded.events().end());
  }
  for (absl::StatusOr<eventstore::AppendResult>& result :
       member_->AppendOwnedBatch(std::move(appends))) {
    v1::ForwardAppendResult* answer = reply->add_results();
    if (!result.ok()) {
      answer->set_code(static_cast<int32_t>(result.status().code()));
      answer->set_message(std::string(result.status().message()));
      if (auto current = result.status().GetPayload(eventstore::kCurrentVersionPayload)) {
        answer->set_current_version(std::string(*current));
      }
      continue;
    }
    *answer->mutable_outcome() = std::move(result->outcome);
    answer->set_deduplicated(result->deduplicated);
  }
  return grpc::Status::OK;
}

grpc::Status ClusterService::ForwardReadStream(grpc::ServerContext* context,
                                               const v1::ForwardReadStreamRequest* request,
                                               v1::ForwardReadStreamReply* reply) {
  if (!HasSecret(*context)) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "Cluster: only instances of this deployment may forward");
  }
  absl::StatusOr<v1::ForwardReadStreamReply> result =
      member_->ReadOwned(request->stream_id(), request->from_version(), request->max_count());
  if (!result.ok()) return ToForwardedStatus(result.status());
  *reply = *std::move(result);
  return grpc::Status::OK;
}

grpc::Status ClusterService::ForwardLookupCommand(grpc::ServerContext* context,
                                                  const v1::ForwardLookupCommandRequest* request,
                                                  v1::ForwardLookupCommandReply* reply) {
  if (!HasSecret(*context)) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "Cluster: only instances of this deployment may forward");
  }
  absl::StatusOr<std::optional<v1::AppendOutcome>> result =
      member_->LookupOwned(request->stream_id(), request->command_id());
  if (!result.ok()) return ToForwardedStatus(result.status());
  if (*result) {
    reply->set_found(true);
    *reply->mutable_outcome() = **result;
  }
  return grpc::Status::OK;
}

grpc::Status ClusterService::Status(grpc::ServerContext* context,
                                    const v1::ClusterStatusRequest* request,
                                    v1::ClusterStatusReply* reply) {
  if (!HasSecret(*context)) {
    absl::StatusOr<service::Principal> principal = service::Authenticate(*tokens_, *context);
    if (!principal.ok()) return service::ToGrpcStatus(principal.status());
    if (!principal->HasRole("admin")) {
      return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                          "Cluster.Status: needs the admin role");
    }
  }
  absl::StatusOr<v1::ClusterStatusReply> status = member_->Status();
  if (!status.ok()) return service::ToGrpcStatus(status.status());
  *reply = *std::move(status);
  return grpc::Status::OK;
}

// --- GrpcOwnerForwarder ------------------------------------------------------

class GrpcOwnerForwarder::CallScope {
 public:
  CallScope(GrpcOwnerForwarder* forwarder, grpc::ClientContext* context)
      : forwarder_(forwarder), context_(context) {
    absl::MutexLock lock(&forwarder_->mu_);
    registered_ = !forwarder_->shut_down_;
    if (registered_) forwarder_->in_flight_.insert(context_);
  }
  ~CallScope() {
    absl::MutexLock lock(&forwarder_->mu_);
    forwarder_->in_flight_.erase(context_);
  }
  // UNAVAILABLE once the forwarder is shut down.
  absl::Status Check() const {
    return registered_ ? absl::OkStatus()
                       : absl::UnavailableError("this instance is shutting down");
  }

 private:
  GrpcOwnerForwarder* const forwarder_;
  grpc::ClientContext* const context_;
  bool registered_ = false;
};

void GrpcOwnerForwarder::Shutdown() {
  absl::MutexLock lock(&mu_);
  shut_down_ = true;
  for (grpc::ClientContext* context : in_flight_) context->TryCancel();
}

GrpcOwnerForwarder::GrpcOwnerForwarder(std::string secret,
                                       std::shared_ptr<grpc::ChannelCredentials> credentials,
                                       int64_t call_timeout_ms)
    : secret_(std::move(secret)),
      credentials_(std::move(credentials)),
      call_timeout_ms_(call_timeout_ms) {}

v1::Cluster::Stub* GrpcOwnerForwarder::StubFor(const std::string& owner_address) {
  absl::MutexLock lock(&mu_);
  std::unique_ptr<v1::Cluster::Stub>& stub = stubs_[owner_address];
  if (stub == nullptr) {
    grpc::ChannelArguments arguments;
    // A dead owner is noticed at once rather than after gRPC's backoff.
    arguments.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    arguments.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
    arguments.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
    arguments.SetMaxReceiveMessageSize(256 << 20);
    arguments.SetMaxSendMessageSize(256 << 20);
    stub = v1::Cluster::NewStub(grpc::CreateCustomChannel(owner_address, credentials_, arguments));
  }
  return stub.get();
}

void GrpcOwnerForwarder::Prepare(grpc::ClientContext& context) const {
  context.AddMetadata(kClusterSecretHeader, secret_);
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(call_timeout_ms_));
}

absl::StatusOr<std::vector<absl::StatusOr<eventstore::AppendResult>>>
GrpcOwnerForwarder::AppendBatch(const std::string& owner_address,
                                const std::vector<const eventstore::AppendRequest*>& requests) {
  // Calls of at most kMaxForwardBytes each, well under the owner's receive
  // limit (gRPC's default, 4 MB).
  constexpr size_t kMaxForwardBytes = size_t{2} << 20;
  std::vector<absl::StatusOr<eventstore::AppendResult>> results;
  results.reserve(requests.size());
  v1::ForwardAppendsRequest forwarded;
  size_t bytes = 0;
  for (size_t i = 0; i < requests.size(); ++i) {
    const eventstore::AppendRequest& request = *requests[i];
    v1::ForwardAppendRequest* append = forwarded.add_appends();
    append->set_stream_id(request.stream_id);
    append->set_expected_version(request.expected_version);
    append->set_command_id(request.command_id);
    append->set_request_digest(request.request_digest);
    for (const v1::EventEnvelope& event : request.events) *append->add_events() = event;
    bytes += append->ByteSizeLong();
    if (bytes >= kMaxForwardBytes || i + 1 == requests.size()) {
      // A call that failed as a whole answers each of its appends with why
      // (the earlier calls' answers stand).
      if (absl::Status sent = SendAppends(owner_address, forwarded, results); !sent.ok()) {
        for (int k = 0; k < forwarded.appends_size(); ++k) results.emplace_back(sent);
      }
      forwarded.clear_appends();
      bytes = 0;
    }
  }
  return results;
}

absl::Status GrpcOwnerForwarder::SendAppends(
    const std::string& owner_address, const v1::ForwardAppendsRequest& forwarded,
    std::vector<absl::StatusOr<eventstore::AppendResult>>& results) {
  grpc::ClientContext context;
  Prepare(context);
  CallScope scope(this, &context);
  GL_RETURN_IF_ERROR(scope.Check());
  v1::ForwardAppendsReply reply;
  grpc::Status status = StubFor(owner_address)->ForwardAppends(&context, forwarded, &reply);
  if (!status.ok()) return FromForwardedStatus(status, owner_address);
  if (reply.results_size() != forwarded.appends_size()) {
    return absl::UnavailableError(absl::StrCat("the owner at ", owner_address, " answered ",
                                               reply.results_size(), " of ",
                                               forwarded.appends_size(), " appends"));
  }
  for (v1::ForwardAppendResult& answer : *reply.mutable_results()) {
    if (answer.code() == 0) {
      results.emplace_back(
          eventstore::AppendResult{std::move(*answer.mutable_outcome()), answer.deduplicated()});
      continue;
    }
    const bool known = answer.code() > 0 && answer.code() <= 16;
    absl::Status refused(
        known ? static_cast<absl::StatusCode>(answer.code()) : absl::StatusCode::kUnknown,
        answer.message());
    if (!answer.current_version().empty()) {
      refused.SetPayload(eventstore::kCurrentVersionPayload, absl::Cord(answer.current_version()));
    }
    results.emplace_back(std::move(refused));
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::ForwardReadStreamReply> GrpcOwnerForwarder::ReadStream(
    const std::string& owner_address, const std::string& stream_id, int64_t from_version,
    int64_t max_count) {
  v1::ForwardReadStreamRequest request;
  request.set_stream_id(stream_id);
  request.set_from_version(from_version);
  request.set_max_count(max_count);
  grpc::ClientContext context;
  Prepare(context);
  CallScope scope(this, &context);
  if (absl::Status open = scope.Check(); !open.ok()) return open;
  v1::ForwardReadStreamReply reply;
  grpc::Status status = StubFor(owner_address)->ForwardReadStream(&context, request, &reply);
  if (!status.ok()) return FromForwardedStatus(status, owner_address);
  return reply;
}

absl::StatusOr<std::optional<v1::AppendOutcome>> GrpcOwnerForwarder::LookupCommand(
    const std::string& owner_address, const std::string& stream_id, const std::string& command_id) {
  v1::ForwardLookupCommandRequest request;
  request.set_stream_id(stream_id);
  request.set_command_id(command_id);
  grpc::ClientContext context;
  Prepare(context);
  CallScope scope(this, &context);
  if (absl::Status open = scope.Check(); !open.ok()) return open;
  v1::ForwardLookupCommandReply reply;
  grpc::Status status = StubFor(owner_address)->ForwardLookupCommand(&context, request, &reply);
  if (!status.ok()) return FromForwardedStatus(status, owner_address);
  if (!reply.found()) return std::optional<v1::AppendOutcome>();
  return std::optional<v1::AppendOutcome>(reply.outcome());
}

grpc::Status ClusterService::Locate(grpc::ServerContext* context, const v1::LocateRequest* request,
                                    v1::LocateReply* reply) {
  constexpr int kMaxStreams = 1000;
  if (!HasSecret(*context)) {
    absl::StatusOr<service::Principal> principal = service::Authenticate(*tokens_, *context);
    if (!principal.ok()) return service::ToGrpcStatus(principal.status());
  }
  if (request->stream_ids_size() < 1 || request->stream_ids_size() > kMaxStreams) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("stream_ids: 1 to ", kMaxStreams, " per call, got ",
                                     request->stream_ids_size()));
  }
  for (int i = 0; i < request->stream_ids_size(); ++i) {
    absl::StatusOr<v1::StreamLocation> location = member_->Locate(request->stream_ids(i));
    if (!location.ok()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          absl::StrCat("stream_ids[", i, "]: ", location.status().message()));
    }
    *reply->add_locations() = *std::move(location);
  }
  return grpc::Status::OK;
}

}  // namespace gridledger::server
