// EventGateway (event_gateway.proto): auditors and analysts read streams as
// of a time, the provenance of a bill, and live subscriptions. Roles:
// auditor or analyst (admin always); nothing here changes anything.
#ifndef GRIDLEDGER_SERVICES_EVENT_GATEWAY_EVENT_GATEWAY_SERVICE_H_
#define GRIDLEDGER_SERVICES_EVENT_GATEWAY_EVENT_GATEWAY_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "eventstore/event_store.h"
#include "gridledger/v1/event_gateway.grpc.pb.h"
#include "services/common/auth.h"
#include "services/event_gateway/subscription_pump.h"

namespace gridledger::gateway {

// True when `event` belongs to an aggregate of `org_unit` or a unit under it
// (EventEnvelope.org_unit; for events recorded before units were stamped, its
// actor's unit), or `org_unit` is empty.
bool InOrgUnit(const v1::EventEnvelope& event, const std::string& org_unit);

// Subscribe's event_types as full names ("BillIssued" → "gridledger.v1.
// BillIssued"); INVALID_ARGUMENT naming event_types[i] for a type no domain
// event has (a filter that can match nothing is a mistake, not a quiet
// empty stream).
absl::StatusOr<std::vector<std::string>> KnownEventTypes(
    const google::protobuf::RepeatedPtrField<std::string>& asked);

// ReadStream and ExplainBill are synchronous; Subscribe uses gRPC's callback
// API and the SubscriptionPump, so subscribers hold no thread.
class EventGatewayService final
    : public v1::EventGateway::WithCallbackMethod_Subscribe<v1::EventGateway::Service> {
 public:
  // Pump threads every subscription shares, and how often an idle
  // subscription's log end is probed (its latency for new events).
  static constexpr int kPumpThreads = 2;
  static constexpr absl::Duration kProbeEvery = absl::Milliseconds(20);

  // At most `max_subscriptions_per_principal` live subscriptions per
  // principal; one more is refused RESOURCE_EXHAUSTED.
  EventGatewayService(eventstore::EventStore* store, const service::TokenRegistry* tokens,
                      int64_t max_subscriptions_per_principal = 64)
      : store_(store),
        tokens_(tokens),
        max_subscriptions_per_principal_(max_subscriptions_per_principal),
        pump_(std::make_unique<SubscriptionPump>(store, kPumpThreads, kProbeEvery)) {}

  grpc::Status ReadStream(grpc::ServerContext* context, const v1::ReadStreamRequest* request,
                          v1::ReadStreamReply* reply) override;
  grpc::Status ExplainBill(grpc::ServerContext* context, const v1::ExplainBillRequest* request,
                           v1::BillExplanation* reply) override;
  grpc::ServerWriteReactor<v1::SubscribeReply>* Subscribe(
      grpc::CallbackServerContext* context, const v1::SubscribeRequest* request) override;

  // Ends every subscription (and refuses new ones) with UNAVAILABLE "the
  // server is shutting down": the server's shutdown calls it first.
  void EndSubscriptions() { pump_->BeginStopping(); }

  // Live subscriptions, all principals together (for metrics).
  int64_t LiveSubscriptions() const;

 private:
  // The caller, if an auditor or analyst (or admin).
  absl::StatusOr<service::Principal> Authorize(const grpc::ServerContextBase& context) const;

  // Counts `principal`'s live subscriptions: false (nothing counted) when
  // it holds the most allowed already. Released when the subscription ends.
  bool TakeSubscription(const std::string& principal);
  void ReleaseSubscription(const std::string& principal);

  eventstore::EventStore* const store_;
  const service::TokenRegistry* const tokens_;
  const int64_t max_subscriptions_per_principal_;
  mutable absl::Mutex subscriptions_mu_;
  absl::flat_hash_map<std::string, int64_t> subscriptions_ ABSL_GUARDED_BY(subscriptions_mu_);
  const std::unique_ptr<SubscriptionPump> pump_;
};

}  // namespace gridledger::gateway

#endif  // GRIDLEDGER_SERVICES_EVENT_GATEWAY_EVENT_GATEWAY_SERVICE_H_
