// The instance-to-instance side of a clustered `serve` (eventstore/cluster.h):
//
//   ClusterService        gridledger.v1.Cluster: answers what other instances
//                         forward to this one for the partitions it owns, and
//                         the cluster's status for operators.
//   GrpcOwnerForwarder    the eventstore::OwnerForwarder that carries a call
//                         to the owner's ClusterService.
//
// Instances authenticate each other with the deployment's cluster secret, in
// metadata "x-gridledger-cluster-secret". Forward* calls without it are
// UNAUTHENTICATED, so a client cannot forward (nor state an actor: the
// forwarding instance authenticated the client and wrote its identity into
// the events). Status also takes a bearer token with the admin role; Locate
// any valid token.
#ifndef GRIDLEDGER_SERVER_CLUSTER_SERVICE_H_
#define GRIDLEDGER_SERVER_CLUSTER_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "eventstore/cluster.h"
#include "gridledger/v1/cluster.grpc.pb.h"
#include "services/common/auth.h"

namespace gridledger::server {

inline constexpr char kClusterSecretHeader[] = "x-gridledger-cluster-secret";

// The secret in `path`: its first line, at least 16 characters.
// INVALID_ARGUMENT naming --cluster_secret otherwise.
absl::StatusOr<std::string> LoadClusterSecret(const std::string& path);

class ClusterService final : public v1::Cluster::Service {
 public:
  // Neither is owned; both outlive the service.
  ClusterService(eventstore::ClusterMember* member, const service::TokenRegistry* tokens,
                 std::string secret);

  grpc::Status ForwardAppends(grpc::ServerContext* context,
                              const v1::ForwardAppendsRequest* request,
                              v1::ForwardAppendsReply* reply) override;
  grpc::Status ForwardReadStream(grpc::ServerContext* context,
                                 const v1::ForwardReadStreamRequest* request,
                                 v1::ForwardReadStreamReply* reply) override;
  grpc::Status ForwardLookupCommand(grpc::ServerContext* context,
                                    const v1::ForwardLookupCommandRequest* request,
                                    v1::ForwardLookupCommandReply* reply) override;
  grpc::Status Status(grpc::ServerContext* context, const v1::ClusterStatusRequest* request,
                      v1::ClusterStatusReply* reply) override;
  grpc::Status Locate(grpc::ServerContext* context, const v1::LocateRequest* request,
                      v1::LocateReply* reply) override;

 private:
  bool HasSecret(const grpc::ServerContext& context) const;

  eventstore::ClusterMember* const member_;
  const service::TokenRegistry* const tokens_;
  const std::string secret_;
};

// One channel per owner address, made on first use. `channel_credentials`
// (plaintext or TLS) applies to every owner. Thread-safe.
class GrpcOwnerForwarder final : public eventstore::OwnerForwarder {
 public:
  GrpcOwnerForwarder(std::string secret, std::shared_ptr<grpc::ChannelCredentials> credentials,
                     int64_t call_timeout_ms);

  absl::StatusOr<std::vector<absl::StatusOr<eventstore::AppendResult>>> AppendBatch(
      const std::string& owner_address,
      const std::vector<const eventstore::AppendRequest*>& requests) override;
  absl::StatusOr<v1::ForwardReadStreamReply> ReadStream(const std::string& owner_address,
                                                        const std::string& stream_id,
                                                        int64_t from_version,
                                                        int64_t max_count) override;
  absl::StatusOr<std::optional<v1::AppendOutcome>> LookupCommand(
      const std::string& owner_address, const std::string& stream_id,
      const std::string& command_id) override;
  void Shutdown() override;

 private:
  // A call's context, registered while it runs so Shutdown can cancel it;
  // null after Shutdown (the call is then refused).
  class CallScope;

  v1::Cluster::Stub* StubFor(const std::string& owner_address);
  // One ForwardAppends call; appends its answers to `results`. The call's
  // own failure (UNAVAILABLE when it did not reach the owner) otherwise.
  absl::Status SendAppends(const std::string& owner_address,
                           const v1::ForwardAppendsRequest& forwarded,
                           std::vector<absl::StatusOr<eventstore::AppendResult>>& results);
  void Prepare(grpc::ClientContext& context) const;

  const std::string secret_;
  const std::shared_ptr<grpc::ChannelCredentials> credentials_;
  const int64_t call_timeout_ms_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<v1::Cluster::Stub>> stubs_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<grpc::ClientContext*> in_flight_ ABSL_GUARDED_BY(mu_);
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace gridledger::server

#endif  // GRIDLEDGER_SERVER_CLUSTER_SERVICE_H_
