// A server interceptor that counts and times every gRPC call
// (gridledger_grpc_requests_total{method,code},
// gridledger_grpc_request_duration_seconds{method}) and, with the access log
// on, writes one log line per call: method, code, milliseconds, peer and the
// caller's x-request-id (or x-correlation-id) when it sent one. When the call
// is done it frees the call's place in `admission` (services/common/
// call_admission.h), if given.
#ifndef GRIDLEDGER_SERVER_CALL_OBSERVER_H_
#define GRIDLEDGER_SERVER_CALL_OBSERVER_H_

#include <grpcpp/support/server_interceptor.h>

#include <memory>

#include "services/common/call_admission.h"

namespace gridledger::server {

// For ServerBuilder::experimental().SetInterceptorCreators.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> NewCallObserverFactory(
    bool access_log, service::CallAdmission* admission = nullptr);

}  // namespace gridledger::server

#endif  // GRIDLEDGER_SERVER_CALL_OBSERVER_H_
