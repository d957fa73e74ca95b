// Glue between gRPC and our absl::Status world, for every service.
#ifndef GRIDLEDGER_SERVICES_COMMON_GRPC_UTIL_H_
#define GRIDLEDGER_SERVICES_COMMON_GRPC_UTIL_H_

#include <grpcpp/grpcpp.h>

#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/common/auth.h"

namespace gridledger::service {

// Same code (gRPC and absl share the numbering), same message.
inline grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

// The principal behind the call's one "authorization: Bearer …" header; two
// or more headers are refused rather than one of them picked.
inline absl::StatusOr<Principal> Authenticate(const TokenRegistry& tokens,
                                              const grpc::ServerContextBase& context) {
  std::vector<absl::string_view> headers;
  const auto [begin, end] = context.client_metadata().equal_range("authorization");
  for (auto it = begin; it != end; ++it) {
    headers.emplace_back(it->second.data(), it->second.size());
  }
  return tokens.AuthenticateHeaders(headers);
}

}  // namespace gridledger::service

#endif  // GRIDLEDGER_SERVICES_COMMON_GRPC_UTIL_H_
