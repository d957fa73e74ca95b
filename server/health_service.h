// grpc.health.v1.Health for `gridledger serve`. The server as a whole ("")
// and "gridledger" are SERVING while the event store answers (asked at most
// once a second; answers in between reuse the last one); any other service
// name is NOT_FOUND (Check) or SERVICE_UNKNOWN (Watch).
//
// Thread-safe; the store must outlive the service.
#ifndef GRIDLEDGER_SERVER_HEALTH_SERVICE_H_
#define GRIDLEDGER_SERVER_HEALTH_SERVICE_H_

#include <atomic>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "eventstore/event_store.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace gridledger::server {

class HealthService final : public grpc::health::v1::Health::Service {
 public:
  explicit HealthService(eventstore::EventStore* store) : store_(store) {}

  // After this, every check answers NOT_SERVING (used while shutting down).
  void SetShuttingDown() { shutting_down_.store(true); }

  grpc::Status Check(grpc::ServerContext* context,
                     const grpc::health::v1::HealthCheckRequest* request,
                     grpc::health::v1::HealthCheckResponse* response) override;
  grpc::Status Watch(grpc::ServerContext* context,
                     const grpc::health::v1::HealthCheckRequest* request,
                     grpc::ServerWriter<grpc::health::v1::HealthCheckResponse>* writer) override;

 private:
  grpc::health::v1::HealthCheckResponse::ServingStatus Current();

  eventstore::EventStore* const store_;
  std::atomic<bool> shutting_down_{false};
  absl::Mutex mu_;
  absl::Time checked_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  bool store_ok_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace gridledger::server

#endif  // GRIDLEDGER_SERVER_HEALTH_SERVICE_H_
