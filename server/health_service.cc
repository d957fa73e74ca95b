#include "server/health_service.h"

#include "absl/time/clock.h"

namespace gridledger::server {

using grpc::health::v1::HealthCheckResponse;

namespace {
bool KnownService(const std::string& name) {
  return name.empty() || name == "gridledger" || name == HealthService::kLiveness;
}
}  // namespace

HealthCheckResponse::ServingStatus HealthService::Current(const std::string& service) const {
  // The process answers: alive, whatever the store or a shutdown is doing.
  if (service == kLiveness) return HealthCheckResponse::SERVING;
  if (shutting_down_.load()) return HealthCheckResponse::NOT_SERVING;
  return monitor_->Current().writable.ok() ? HealthCheckResponse::SERVING
                                           : HealthCheckResponse::NOT_SERVING;
}

grpc::Status HealthService::Check(grpc::ServerContext*,
                                  const grpc::health::v1::HealthCheckRequest* request,
                                  HealthCheckResponse* response) {
  if (!KnownService(request->service())) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        "service: unknown service \"" + request->service() + "\"");
  }
  response->set_status(Current(request->service()));
  return grpc::Status::OK;
}

grpc::Status HealthService::Watch(grpc::ServerContext* context,
                                  const grpc::health::v1::HealthCheckRequest* request,
                                  grpc::ServerWriter<HealthCheckResponse>* writer) {
  HealthCheckResponse response;
  if (!KnownService(request->service())) {
    response.set_status(HealthCheckResponse::SERVICE_UNKNOWN);
    writer->Write(response);
    return grpc::Status::OK;
  }
  bool first = true;
  HealthCheckResponse::ServingStatus last = HealthCheckResponse::UNKNOWN;
  while (!context->IsCancelled()) {
    const HealthCheckResponse::ServingStatus now = Current(request->service());
    if (first || now != last) {
      response.set_status(now);
      if (!writer->Write(response)) break;
      first = false;
      last = now;
    }
    if (shutting_down_.load()) break;
    absl::SleepFor(absl::Milliseconds(250));
  }
  return grpc::Status::OK;
}

}  // namespace gridledger::server
