#include "services/event_gateway/event_gateway_service.h"

#include <atomic>
#include <deque>
#include <functional>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "domain/billing_center/bill_provenance.h"
#include "domain/common/org_units.h"
#include "domain/common/streams.h"
#include "services/common/grpc_util.h"
#include "services/common/scope.h"

namespace gridledger::gateway {
namespace {

using service::ToGrpcStatus;

// Sets `partition`'s next offset in `checkpoint`.
void Advance(v1::Checkpoint* checkpoint, const v1::Position& position) {
  for (v1::Position& p : *checkpoint->mutable_next()) {
    if (p.partition() == position.partition()) {
      p.set_offset(std::max(p.offset(), position.offset() + 1));
      return;
    }
  }
  v1::Position* added = checkpoint->add_next();
  added->set_partition(position.partition());
  added->set_offset(position.offset() + 1);
}

// A Subscribe refused before it began: finishes at once with the status.
class RefusedSubscription final : public grpc::ServerWriteReactor<v1::SubscribeReply> {
 public:
  explicit RefusedSubscription(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};

// What a subscription delivers, decided when it was accepted.
struct SubscriptionPlan {
  v1::SubscribeRequest request;
  std::string org_unit;  // the caller's scope or the unit it asked for
  eventstore::SubscriptionFilter filter;
};

// One live subscription. At any moment exactly one thing carries it on: a
// step queued on the pump (reads the next chunk and queues its replies), or
// a write in flight (whose completion writes the next queued reply, or
// queues a step). So its state needs no lock, and Finish is called once, by
// whichever holds it. gRPC deletes it (OnDone) after Finish.
class SubscribeReactor final : public grpc::ServerWriteReactor<v1::SubscribeReply> {
 public:
  // Events read per step: bounds a stalled subscriber's queued replies.
  static constexpr int64_t kChunk = 64;

  // `on_done` runs once the call is over (it releases the principal's slot).
  SubscribeReactor(eventstore::EventStore* store, SubscriptionPump* pump, SubscriptionPlan plan,
                   std::function<void()> on_done)
      : store_(store), pump_(pump), plan_(std::move(plan)), on_done_(std::move(on_done)) {
    pump_->Run([this] { Begin(); });
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {  // the client went away
      Finish(grpc::Status::OK);
      return;
    }
    queued_.pop_front();
    if (!queued_.empty()) {
      StartWrite(&queued_.front());
      return;
    }
    pump_->Run([this] { Step(); });
  }

  void OnCancel() override { cancelled_ = true; }
  void OnDone() override {
    on_done_();
    delete this;
  }

 private:
  // Where to start: the request's position, the end as of now, or the start;
  // and with until_now, where to end.
  void Begin() {
    if (plan_.request.until_now()) {
      absl::StatusOr<v1::Checkpoint> end = store_->EndCheckpoint();
      if (!end.ok()) {
        Finish(ToGrpcStatus(end.status()));
        return;
      }
      until_ = *std::move(end);
    }
    switch (plan_.request.start_case()) {
      case v1::SubscribeRequest::kFromPosition:
        next_ = plan_.request.from_position();
        break;
      case v1::SubscribeRequest::kFromNow: {
        absl::StatusOr<v1::Checkpoint> end = store_->EndCheckpoint();
        if (!end.ok()) {
          Finish(ToGrpcStatus(end.status()));
          return;
        }
        next_ = *std::move(end);
        break;
      }
      default:
        break;  // from the start, or from a time (skipping what was recorded before it)
    }
    Step();
  }

  void Step() {
    if (cancelled_) {
      Finish(grpc::Status::CANCELLED);
      return;
    }
    if (pump_->stopping()) {
      Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          "the server is shutting down: resume from the last `next` received"));
      return;
    }
    if (until_ && eventstore::ReachedAll(next_, *until_)) {
      Finish(grpc::Status::OK);  // everything there was when the call began is sent
      return;
    }
    absl::StatusOr<eventstore::ReadAllResult> chunk = store_->ReadAll(next_, kChunk);
    if (!chunk.ok()) {
      Finish(ToGrpcStatus(chunk.status()));
      return;
    }
    const bool from_time = plan_.request.start_case() == v1::SubscribeRequest::kFromTime;
    const bool read_any = !chunk->events.empty();
    for (v1::EventEnvelope& event : chunk->events) {
      Advance(&next_, event.position());
      if (!plan_.filter.Matches(event) || !InOrgUnit(event, plan_.org_unit)) continue;
      if (from_time && !eventstore::AtOrBefore(plan_.request.from_time(), event.recorded_at())) {
        continue;
      }
      v1::SubscribeReply& reply = queued_.emplace_back();
      *reply.mutable_next() = next_;
      *reply.mutable_event() = std::move(event);
    }
    next_ = std::move(chunk->next);
    if (!queued_.empty()) {
      StartWrite(&queued_.front());  // nothing of this may be touched after
    } else if (read_any) {
      pump_->Run([this] { Step(); });  // everything read was filtered out: read on
    } else {
      pump_->RunWhenPast(next_, &cancelled_, [this] { Step(); });  // caught up
    }
  }

  eventstore::EventStore* const store_;
  SubscriptionPump* const pump_;
  const SubscriptionPlan plan_;
  const std::function<void()> on_done_;
  v1::Checkpoint next_;
  std::optional<v1::Checkpoint> until_;  // until_now: the log's end when the call began
  std::deque<v1::SubscribeReply> queued_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace

absl::StatusOr<std::vector<std::string>> KnownEventTypes(
    const google::protobuf::RepeatedPtrField<std::string>& asked) {
  std::vector<std::string> types;
  const google::protobuf::Descriptor* events = v1::DomainEvent::descriptor();
  for (int i = 0; i < asked.size(); ++i) {
    const std::string type = absl::StartsWith(asked[i], "gridledger.v1.")
                                 ? asked[i]
                                 : absl::StrCat("gridledger.v1.", asked[i]);
    bool known = false;
    for (int f = 0; f < events->field_count() && !known; ++f) {
      const google::protobuf::Descriptor* payload = events->field(f)->message_type();
      known = payload != nullptr && payload->full_name() == type;
    }
    if (!known) {
      return absl::InvalidArgumentError(absl::StrCat("event_types[", i, "]: \"", asked[i],
                                                     "\" is no event type (docs/EVENTS.md)"));
    }
    types.push_back(type);
  }
  return types;
}

bool InOrgUnit(const v1::EventEnvelope& event, const std::string& org_unit) {
  if (org_unit.empty()) return true;
  // The supervision clock is the whole utility's, in no unit: every unit sees it.
  if (domain::kClock.Holds(event.stream_id())) return true;
  const std::string& unit = event.org_unit().empty() ? event.actor().org_unit() : event.org_unit();
  return domain::OrgUnitContains(org_unit, unit);
}

absl::StatusOr<service::Principal> EventGatewayService::Authorize(
    const grpc::ServerContextBase& context) const {
  absl::StatusOr<service::Principal> principal = service::Authenticate(*tokens_, context);
  if (!principal.ok()) return principal.status();
  if (absl::Status s = principal->RequireAnyRole({"auditor", "analyst"}); !s.ok()) return s;
  return principal;
}

grpc::Status EventGatewayService::ReadStream(grpc::ServerContext* context,
                                             const v1::ReadStreamRequest* request,
                                             v1::ReadStreamReply* reply) {
  absl::StatusOr<service::Principal> principal = Authorize(*context);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  if (request->stream_id().empty()) {
    return ToGrpcStatus(absl::InvalidArgumentError("stream_id: must be set"));
  }
  if (request->from_version() < 0 || request->max_events() < 0) {
    return ToGrpcStatus(
        absl::InvalidArgumentError("from_version, max_events: must not be negative"));
  }
  const int64_t from = std::max<int64_t>(1, request->from_version());
  const int64_t max = request->max_events() == 0 ? 1000 : std::min(request->max_events(), 10000);
  // The whole stream, for its unit: a stream outside the caller's scope reads
  // as one that does not exist (no events, version 0).
  absl::StatusOr<std::vector<v1::EventEnvelope>> whole = store_->ReadStream(request->stream_id());
  if (!whole.ok()) return ToGrpcStatus(whole.status());
  if (!service::InScope(*principal, domain::StreamOrgUnit(*whole))) {
    reply->set_stream_version(0);
    return grpc::Status::OK;
  }
  reply->set_stream_version(static_cast<int64_t>(whole->size()));
  std::vector<v1::EventEnvelope> events;
  for (int64_t v = from; v <= static_cast<int64_t>(whole->size()) && v < from + max; ++v) {
    events.push_back(std::move((*whole)[v - 1]));
  }
  const bool as_of = request->has_as_of();
  const bool business = request->axis() == v1::TIME_AXIS_BUSINESS;
  for (v1::EventEnvelope& event : events) {
    if (as_of) {
      if (!eventstore::CountsAsOf(event, request->axis(), request->as_of())) continue;
      if (business && !eventstore::AtOrBefore(event.recorded_at(), request->as_of())) {
        reply->add_recorded_late_versions(event.stream_version());
      }
    }
    *reply->add_events() = std::move(event);
  }
  return grpc::Status::OK;
}

grpc::Status EventGatewayService::ExplainBill(grpc::ServerContext* context,
                                              const v1::ExplainBillRequest* request,
                                              v1::BillExplanation* reply) {
  absl::StatusOr<service::Principal> principal = Authorize(*context);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  if (request->account_id().empty() || request->bill_id().empty()) {
    return ToGrpcStatus(absl::InvalidArgumentError("account_id, bill_id: both must be set"));
  }
  absl::StatusOr<std::vector<v1::EventEnvelope>> history =
      store_->ReadStream(domain::kAccount.StreamOf(request->account_id()));
  if (!history.ok()) return ToGrpcStatus(history.status());
  absl::StatusOr<billing::BillRef> bill = billing::FindBillRef(*history, request->bill_id());
  if (!bill.ok() || !service::InScope(*principal, domain::StreamOrgUnit(*history))) {
    return ToGrpcStatus(absl::NotFoundError(absl::StrCat(
        "bill_id: ", request->bill_id(), " is not a bill of account ", request->account_id())));
  }
  std::vector<v1::EventEnvelope> tariff;
  if (!bill->tariff_id.empty()) {
    absl::StatusOr<std::vector<v1::EventEnvelope>> versions =
        store_->ReadStream(domain::kTariff.StreamOf(bill->tariff_id));
    if (!versions.ok()) return ToGrpcStatus(versions.status());
    tariff = *std::move(versions);
  }
  absl::StatusOr<v1::BillExplanation> explained =
      billing::ExplainBill(*history, tariff, request->bill_id());
  if (!explained.ok()) return ToGrpcStatus(explained.status());
  *reply = *std::move(explained);
  return grpc::Status::OK;
}

grpc::ServerWriteReactor<v1::SubscribeReply>* EventGatewayService::Subscribe(
    grpc::CallbackServerContext* context, const v1::SubscribeRequest* request) {
  absl::StatusOr<service::Principal> principal = Authorize(*context);
  if (!principal.ok()) return new RefusedSubscription(ToGrpcStatus(principal.status()));
  // Only events of aggregates in the caller's scope; a filter names a unit
  // within it.
  SubscriptionPlan plan;
  plan.org_unit = principal->org_unit;
  if (!request->org_unit().empty()) {
    if (absl::Status s = domain::CheckOrgUnit("org_unit", request->org_unit()); !s.ok()) {
      return new RefusedSubscription(ToGrpcStatus(s));
    }
    if (absl::Status s = service::RequireUnitInScope(*principal, "org_unit", request->org_unit());
        !s.ok()) {
      return new RefusedSubscription(ToGrpcStatus(s));
    }
    plan.org_unit = request->org_unit();
  }
  plan.request = *request;
  absl::StatusOr<std::vector<std::string>> types = KnownEventTypes(request->event_types());
  if (!types.ok()) return new RefusedSubscription(ToGrpcStatus(types.status()));
  plan.filter.event_types = *std::move(types);
  plan.filter.stream_prefixes.assign(request->stream_prefixes().begin(),
                                     request->stream_prefixes().end());
  const std::string who = principal->name;
  if (!TakeSubscription(who)) {
    return new RefusedSubscription(ToGrpcStatus(absl::ResourceExhaustedError(
        absl::StrCat("principal ", who, " holds ", max_subscriptions_per_principal_,
                     " live subscriptions already, the most allowed (serve "
                     "--max_subscriptions_per_principal); end one first"))));
  }
  return new SubscribeReactor(store_, pump_.get(), std::move(plan),
                              [this, who] { ReleaseSubscription(who); });
}

bool EventGatewayService::TakeSubscription(const std::string& principal) {
  absl::MutexLock lock(&subscriptions_mu_);
  int64_t& held = subscriptions_[principal];
  if (held >= max_subscriptions_per_principal_) return false;
  ++held;
  return true;
}

int64_t EventGatewayService::LiveSubscriptions() const {
  absl::MutexLock lock(&subscriptions_mu_);
  int64_t live = 0;
  for (const auto& [principal, held] : subscriptions_) live += held;
  return live;
}

void EventGatewayService::ReleaseSubscription(const std::string& principal) {
  absl::MutexLock lock(&subscriptions_mu_);
  auto it = subscriptions_.find(principal);
  if (it != subscriptions_.end() && --it->second <= 0) subscriptions_.erase(it);
}

}  // namespace gridledger::gateway
