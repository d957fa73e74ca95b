#include "services/event_gateway/event_gateway_service.h"

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "domain/common/streams.h"
#include "services/common/grpc_util.h"

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

}  // namespace

bool InOrgUnit(const v1::EventEnvelope& event, const std::string& org_unit) {
  if (org_unit.empty()) return true;
  const std::string& unit = event.actor().org_unit();
  return unit == org_unit || absl::StartsWith(unit, org_unit + "/");
}

absl::Status EventGatewayService::Authorize(const grpc::ServerContext& context) const {
  absl::StatusOr<service::Principal> principal = service::Authenticate(*tokens_, context);
  if (!principal.ok()) return principal.status();
  return principal->RequireAnyRole({"auditor", "analyst"});
}

grpc::Status EventGatewayService::ReadStream(grpc::ServerContext* context,
                                             const v1::ReadStreamRequest* request,
                                             v1::ReadStreamReply* reply) {
  if (absl::Status s = Authorize(*context); !s.ok()) return ToGrpcStatus(s);
  if (request->stream_id().empty()) {
    return ToGrpcStatus(absl::InvalidArgumentError("stream_id: must be set"));
  }
  if (request->from_version() < 0 || request->max_events() < 0) {
    return ToGrpcStatus(
        absl::InvalidArgumentError("from_version, max_events: must not be negative"));
  }
  const int64_t from = std::max<int64_t>(1, request->from_version());
  const int64_t max = request->max_events() == 0 ? 1000 : std::min(request->max_events(), 10000);
  absl::StatusOr<std::vector<v1::EventEnvelope>> events =
      store_->ReadStream(request->stream_id(), from, max);
  if (!events.ok()) return ToGrpcStatus(events.status());
  absl::StatusOr<int64_t> version = store_->StreamVersion(request->stream_id());
  if (!version.ok()) return ToGrpcStatus(version.status());
  reply->set_stream_version(*version);
  const bool as_of = request->has_as_of();
  const bool business = request->axis() == v1::TIME_AXIS_BUSINESS;
  for (v1::EventEnvelope& event : *events) {
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
  if (absl::Status s = Authorize(*context); !s.ok()) return ToGrpcStatus(s);
  if (request->account_id().empty() || request->bill_id().empty()) {
    return ToGrpcStatus(absl::InvalidArgumentError("account_id, bill_id: both must be set"));
  }
  absl::StatusOr<std::vector<v1::EventEnvelope>> history =
      store_->ReadStream(domain::kAccount.StreamOf(request->account_id()));
  if (!history.ok()) return ToGrpcStatus(history.status());
  const std::string& bill_id = request->bill_id();
  std::set<std::string> read_ids, payment_ids;
  const v1::BillIssued* issued = nullptr;
  for (const v1::EventEnvelope& event : *history) {
    const v1::DomainEvent& p = event.payload();
    if ((p.has_bill_issued() && p.bill_issued().bill_id() == bill_id) ||
        (p.has_back_billing_issued() && p.back_billing_issued().bill_id() == bill_id)) {
      *reply->mutable_bill() = event;
      if (p.has_bill_issued()) {
        issued = &event.payload().bill_issued();
        read_ids.insert(issued->read_ids().begin(), issued->read_ids().end());
      }
    }
  }
  if (!reply->has_bill()) {
    return ToGrpcStatus(absl::NotFoundError(
        absl::StrCat("bill_id: ", bill_id, " is not a bill of account ", request->account_id())));
  }
  for (const v1::EventEnvelope& event : *history) {
    const v1::DomainEvent& p = event.payload();
    if (p.has_meter_read_recorded() && read_ids.count(p.meter_read_recorded().read_id())) {
      *reply->add_reads() = event;
    } else if ((p.has_meter_read_checked() && read_ids.count(p.meter_read_checked().read_id())) ||
               (p.has_read_check_decided() && read_ids.count(p.read_check_decided().read_id()))) {
      *reply->add_checks() = event;
    } else if ((p.has_bill_checked() && p.bill_checked().bill_id() == bill_id) ||
               (p.has_bill_reversed() && p.bill_reversed().bill_id() == bill_id) ||
               (p.has_penalty_accrued() && p.penalty_accrued().bill_id() == bill_id) ||
               (p.has_bill_issued() && p.bill_issued().replaces_bill_id() == bill_id)) {
      *reply->add_later() = event;
    } else if (p.has_payment_posted()) {
      for (const v1::PaymentAllocation& allocation : p.payment_posted().allocations()) {
        if (allocation.bill_id() == bill_id) {
          payment_ids.insert(p.payment_posted().payment_id());
          *reply->add_later() = event;
          break;
        }
      }
    } else if (p.has_payment_reversed() && payment_ids.count(p.payment_reversed().payment_id())) {
      *reply->add_later() = event;
    }
  }
  if (issued != nullptr) {
    for (const v1::BillLine& line : issued->lines()) {
      v1::ExplainedLine* explained = reply->add_lines();
      *explained->mutable_line() = line;
      explained->set_rule(line.rule());
    }
    absl::StatusOr<std::vector<v1::EventEnvelope>> tariff =
        store_->ReadStream(domain::kTariff.StreamOf(issued->tariff_id()));
    if (!tariff.ok()) return ToGrpcStatus(tariff.status());
    for (const v1::EventEnvelope& version : *tariff) {
      if (version.payload().tariff_schedule_version_published().version() ==
          issued->tariff_version()) {
        *reply->mutable_tariff_version() = version;
      }
    }
  }
  return grpc::Status::OK;
}

grpc::Status EventGatewayService::Subscribe(grpc::ServerContext* context,
                                            const v1::SubscribeRequest* request,
                                            grpc::ServerWriter<v1::SubscribeReply>* writer) {
  if (absl::Status s = Authorize(*context); !s.ok()) return ToGrpcStatus(s);
  v1::Checkpoint next;
  switch (request->start_case()) {
    case v1::SubscribeRequest::kFromPosition:
      next = request->from_position();
      break;
    case v1::SubscribeRequest::kFromNow: {
      absl::StatusOr<v1::Checkpoint> end = store_->EndCheckpoint();
      if (!end.ok()) return ToGrpcStatus(end.status());
      next = *std::move(end);
      break;
    }
    default:
      break;  // from the start, or from a time (skipping what was recorded before it)
  }
  eventstore::SubscriptionFilter filter;
  filter.event_types.assign(request->event_types().begin(), request->event_types().end());
  filter.stream_prefixes.assign(request->stream_prefixes().begin(),
                                request->stream_prefixes().end());
  const bool from_time = request->start_case() == v1::SubscribeRequest::kFromTime;
  while (!context->IsCancelled()) {
    absl::StatusOr<eventstore::ReadAllResult> chunk = store_->ReadAll(next, 256);
    if (!chunk.ok()) return ToGrpcStatus(chunk.status());
    if (chunk->events.empty()) {
      absl::SleepFor(absl::Milliseconds(20));  // caught up: wait for new events
      continue;
    }
    for (v1::EventEnvelope& event : chunk->events) {
      Advance(&next, event.position());
      if (!filter.Matches(event) || !InOrgUnit(event, request->org_unit())) continue;
      if (from_time && !eventstore::AtOrBefore(request->from_time(), event.recorded_at())) continue;
      v1::SubscribeReply reply;
      *reply.mutable_next() = next;
      *reply.mutable_event() = std::move(event);
      // Blocks while the client's flow-control window is full.
      if (!writer->Write(reply)) return grpc::Status::OK;  // the client went away
    }
    next = std::move(chunk->next);
  }
  return grpc::Status::OK;
}

}  // namespace gridledger::gateway
