// grpc.health.v1.Health for `gridledger serve`. The server as a whole ("")
// and "gridledger" are SERVING while the event store can write (as the
// StoreMonitor last found, so an answer never waits on the store: within
// milliseconds, whatever the store is doing) and NOT_SERVING while it cannot
// (no broker, fenced, read-only, a refused disk write) or the server is
// shutting down. "liveness" is SERVING whenever the process answers at all
// (Kubernetes' liveness probe: a broker outage must not restart the pod,
// while readiness, "", takes it out of the Service). Any other service name
// is NOT_FOUND (Check) or
// SERVICE_UNKNOWN (Watch). Watch sends the status, then each change (looked
// at every 250 ms).
//
// Thread-safe; the monitor must outlive the service.
#ifndef GRIDLEDGER_SERVER_HEALTH_SERVICE_H_
#define GRIDLEDGER_SERVER_HEALTH_SERVICE_H_

#include <atomic>

#include "grpc/health/v1/health.grpc.pb.h"
#include "server/store_monitor.h"

namespace gridledger::server {

class HealthService final : public grpc::health::v1::Health::Service {
 public:
  static constexpr char kLiveness[] = "liveness";

  explicit HealthService(const StoreMonitor* monitor) : monitor_(monitor) {}

  // After this, every check answers NOT_SERVING (used while shutting down).
  void SetShuttingDown() { shutting_down_.store(true); }

  grpc::Status Check(grpc::ServerContext* context,
                     const grpc::health::v1::HealthCheckRequest* request,
                     grpc::health::v1::HealthCheckResponse* response) override;
  grpc::Status Watch(grpc::ServerContext* context,
                     const grpc::health::v1::HealthCheckRequest* request,
                     grpc::ServerWriter<grpc::health::v1::HealthCheckResponse>* writer) override;

 private:
  grpc::health::v1::HealthCheckResponse::ServingStatus Current(const std::string& service) const;

  const StoreMonitor* const monitor_;
  std::atomic<bool> shutting_down_{false};
};

}  // namespace gridledger::server

#endif  // GRIDLEDGER_SERVER_HEALTH_SERVICE_H_
