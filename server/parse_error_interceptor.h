// gRPC answers a request whose bytes do not parse as its message — most often
// a proto3 string field holding bytes that are not UTF-8 — with INTERNAL and
// no message, before any handler runs. This server interceptor turns exactly
// that answer (INTERNAL with an empty message: our handlers always say why)
// into INVALID_ARGUMENT naming the method's request type and the likely cause.
#ifndef GRIDLEDGER_SERVER_PARSE_ERROR_INTERCEPTOR_H_
#define GRIDLEDGER_SERVER_PARSE_ERROR_INTERCEPTOR_H_

#include <grpcpp/support/server_interceptor.h>

#include <memory>
#include <vector>

namespace gridledger::server {

// For ServerBuilder::experimental().SetInterceptorCreators.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
NewParseErrorInterceptorFactory();

}  // namespace gridledger::server

#endif  // GRIDLEDGER_SERVER_PARSE_ERROR_INTERCEPTOR_H_
