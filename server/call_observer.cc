#include "server/call_observer.h"

#include <grpcpp/server_context.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/log.h"
#include "common/metrics.h"
#include "services/common/service_call.h"

namespace gridledger::server {
namespace {

using grpc::experimental::InterceptionHookPoints;

class CallObserver final : public grpc::experimental::Interceptor {
 public:
  CallObserver(grpc::experimental::ServerRpcInfo* info, bool access_log,
               service::CallAdmission* admission)
      : info_(info), access_log_(access_log), admission_(admission), started_(absl::Now()) {}
  // The call is done (its context goes with it).
  ~CallObserver() override {
    if (admission_ != nullptr) admission_->Ended(info_->server_context());
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (access_log_ &&
        methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      RememberRequestId(*methods->GetRecvInitialMetadata());
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      Observe(methods->GetSendStatus());
    }
    methods->Proceed();
  }

 private:
  void RememberRequestId(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata) {
    request_id_ = service::RequestIdFrom(metadata);
  }

  void Observe(const grpc::Status& status) {
    const absl::Duration took = absl::Now() - started_;
    const std::string method = info_->method() == nullptr ? "" : info_->method();
    const absl::string_view code = metrics::CodeName(status.error_code());
    metrics::RecordGrpcCall(method, code, took);
    if (!access_log_) return;
    const std::string peer =
        info_->server_context() == nullptr ? "" : info_->server_context()->peer();
    const int64_t micros = absl::ToInt64Microseconds(took);
    log::Info("rpc",
              absl::StrCat("gridledger: rpc ", method, " ", code, " ", micros / 1000.0, " ms from ",
                           peer, request_id_.empty() ? "" : " request " + request_id_),
              {{"method", method},
               {"code", std::string(code)},
               {"duration_us", micros},
               {"peer", peer},
               {"request_id", request_id_}});
  }

  grpc::experimental::ServerRpcInfo* const info_;
  const bool access_log_;
  service::CallAdmission* const admission_;
  const absl::Time started_;
  std::string request_id_;
};

class CallObserverFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  CallObserverFactory(bool access_log, service::CallAdmission* admission)
      : access_log_(access_log), admission_(admission) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new CallObserver(info, access_log_, admission_);
  }

 private:
  const bool access_log_;
  service::CallAdmission* const admission_;
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> NewCallObserverFactory(
    bool access_log, service::CallAdmission* admission) {
  return std::make_unique<CallObserverFactory>(access_log, admission);
}

}  // namespace gridledger::server
