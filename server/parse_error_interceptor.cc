#include "server/parse_error_interceptor.h"

#include <google/protobuf/descriptor.h>

#include <string>

#include "absl/strings/str_cat.h"

namespace gridledger::server {
namespace {

using grpc::experimental::InterceptionHookPoints;

// "/gridledger.v1.BillingCenter/OpenAccount" → "gridledger.v1.OpenAccountRequest",
// or the method itself when the pool does not know it.
std::string RequestTypeOf(const std::string& method) {
  const size_t slash = method.rfind('/');
  if (method.size() < 2 || slash == std::string::npos || slash == 0) return method;
  const auto* service = google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
      method.substr(1, slash - 1));
  const auto* rpc =
      service == nullptr ? nullptr : service->FindMethodByName(method.substr(slash + 1));
  return rpc == nullptr ? method : rpc->input_type()->full_name();
}

class ParseErrorInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit ParseErrorInterceptor(std::string method) : method_(std::move(method)) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      if (status.error_code() == grpc::StatusCode::INTERNAL && status.error_message().empty()) {
        methods->ModifySendStatus(grpc::Status(
            grpc::StatusCode::INVALID_ARGUMENT,
            absl::StrCat("request: does not parse as ", RequestTypeOf(method_),
                         "; every string field must be valid UTF-8 (proto3 strings), and the "
                         "bytes must encode that message")));
      }
    }
    methods->Proceed();
  }

 private:
  const std::string method_;
};

class ParseErrorInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new ParseErrorInterceptor(info->method());
  }
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
NewParseErrorInterceptorFactory() {
  return std::make_unique<ParseErrorInterceptorFactory>();
}

}  // namespace gridledger::server
