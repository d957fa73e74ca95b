// Glue between gRPC and our absl::Status world, for every service.
#ifndef GRIDLEDGER_SERVICES_COMMON_GRPC_UTIL_H_
#define GRIDLEDGER_SERVICES_COMMON_GRPC_UTIL_H_

#include <grpcpp/grpcpp.h>

#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "services/common/auth.h"
#include "services/common/call_admission.h"

namespace gridledger::service {

// Same code (gRPC and absl share the numbering), same message.
inline grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

// The principal behind the call's one "authorization: Bearer …" header; two
// or more headers are refused rather than one of them picked. With an
// admission attached to `tokens`, the call is also admitted under the
// principal's cap (RESOURCE_EXHAUSTED past it; call_admission.h).
inline absl::StatusOr<Principal> Authenticate(const TokenRegistry& tokens,
                                              const grpc::ServerContextBase& context) {
  std::vector<absl::string_view> headers;
  const auto [begin, end] = context.client_metadata().equal_range("authorization");
  for (auto it = begin; it != end; ++it) {
    headers.emplace_back(it->second.data(), it->second.size());
  }
  absl::StatusOr<Principal> principal = tokens.AuthenticateHeaders(headers);
  if (CallAdmission* admission = tokens.admission(); admission != nullptr && principal.ok()) {
    if (absl::Status admitted = admission->Admit(principal->name, &context); !admitted.ok()) {
      return admitted;
    }
  }
  return principal;
}

}  // namespace gridledger::service

#endif  // GRIDLEDGER_SERVICES_COMMON_GRPC_UTIL_H_
