// The process's Prometheus metrics (prometheus-cpp): one registry that every
// layer records into, and the names dashboards and alerts use
// (docs/OPERATIONS.md, "Metrics"). Recording is cheap and thread-safe and
// works whether or not anything exposes the registry (`--metrics_listen`,
// server/metrics_endpoint.h, does).
//
//   metrics::RecordAppend(absl::Now() - started, status.code());
//
// Values that are a state rather than a count (a view's lag, live
// subscribers, RocksDB sizes) are not recorded here: the endpoint asks for
// them at each scrape.
#ifndef GRIDLEDGER_COMMON_METRICS_H_
#define GRIDLEDGER_COMMON_METRICS_H_

#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "prometheus/registry.h"

namespace gridledger::metrics {

// The registry the families below live in (created on first use).
std::shared_ptr<prometheus::Registry> Registry();

// A gRPC call answered: gridledger_grpc_requests_total{method,code} and
// gridledger_grpc_request_duration_seconds{method}. `method` is the full
// gRPC path ("/gridledger.v1.BillingCenter/IssueBill"); `code` the status
// code's name ("OK", "INVALID_ARGUMENT").
void RecordGrpcCall(absl::string_view method, absl::string_view code, absl::Duration took);

// One append request answered by the event store, from submit to answer:
// gridledger_append_duration_seconds, and gridledger_append_failures_total{code}
// when it failed.
void RecordAppend(absl::Duration took, absl::StatusCode code);

// A group commit taken by a writer: gridledger_group_commit_events (events
// in the group) and gridledger_group_commits_total.
void RecordGroupCommit(int64_t events);

// A Kafka append transaction, begin to commit or failure:
// gridledger_kafka_transaction_duration_seconds{outcome="committed"|"failed"}.
void RecordKafkaTransaction(absl::Duration took, bool committed);

// A Kafka writer fenced (another writer took its transactional id or its
// lock; or the instance lost its partitions for good):
// gridledger_kafka_fences_total.
void RecordFence();

// Events a view applied: gridledger_view_applied_events_total{view}
// (its rate is the view's apply rate).
void RecordViewApplied(absl::string_view view, int64_t events);

// The gRPC status code's name ("OK", "NOT_FOUND", …).
absl::string_view CodeName(int code);

}  // namespace gridledger::metrics

#endif  // GRIDLEDGER_COMMON_METRICS_H_
