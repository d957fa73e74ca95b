// Glue between gRPC and our absl::Status world, for every service.
#ifndef GRIDLEDGER_SERVICES_COMMON_GRPC_UTIL_H_
#define GRIDLEDGER_SERVICES_COMMON_GRPC_UTIL_H_

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/common/auth.h"

namespace gridledger::service {

// Same code (gRPC and absl share the numbering), same message.
inline grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

// The principal behind the call's "authorization: Bearer …" metadata.
inline absl::StatusOr<Principal> Authenticate(const TokenRegistry& tokens,
                                              const grpc::ServerContext& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return tokens.Authenticate("");
  return tokens.Authenticate(absl::string_view(it->second.data(), it->second.size()));
}

}  // namespace gridledger::service

#endif  // GRIDLEDGER_SERVICES_COMMON_GRPC_UTIL_H_
