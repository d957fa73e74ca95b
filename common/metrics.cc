#include "common/metrics.h"

#include <string>

#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"

namespace gridledger::metrics {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildHistogram;
using prometheus::Counter;
using prometheus::Histogram;

// Latency buckets, seconds: 0.5 ms … 30 s.
Histogram::BucketBoundaries LatencyBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
}

// Every family, built once on the one registry.
struct Families {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  prometheus::Family<Counter>& grpc_requests =
      BuildCounter()
          .Name("gridledger_grpc_requests_total")
          .Help("gRPC calls answered, by full method and status code")
          .Register(*registry);
  prometheus::Family<Histogram>& grpc_duration =
      BuildHistogram()
          .Name("gridledger_grpc_request_duration_seconds")
          .Help("Time from a gRPC call's arrival to its status, by full method")
          .Register(*registry);
  prometheus::Family<Histogram>& append_duration =
      BuildHistogram()
          .Name("gridledger_append_duration_seconds")
          .Help("Time from an append request's submission to the event store's answer")
          .Register(*registry);
  Histogram& append_histogram = append_duration.Add({}, LatencyBuckets());
  prometheus::Family<Counter>& append_failures =
      BuildCounter()
          .Name("gridledger_append_failures_total")
          .Help("Append requests the event store answered with an error, by status code")
          .Register(*registry);
  prometheus::Family<Histogram>& group_commit = BuildHistogram()
                                                    .Name("gridledger_group_commit_events")
                                                    .Help("Events written by one group commit")
                                                    .Register(*registry);
  Histogram& group_commit_histogram = group_commit.Add(
      {}, Histogram::BucketBoundaries{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096});
  prometheus::Family<Counter>& group_commits =
      BuildCounter()
          .Name("gridledger_group_commits_total")
          .Help("Group commits taken by the event store's writers")
          .Register(*registry);
  Counter& group_commits_counter = group_commits.Add({});
  prometheus::Family<Histogram>& kafka_transaction =
      BuildHistogram()
          .Name("gridledger_kafka_transaction_duration_seconds")
          .Help("Kafka append transactions, begin to commit (or failure), by outcome")
          .Register(*registry);
  Histogram& kafka_committed = kafka_transaction.Add({{"outcome", "committed"}}, LatencyBuckets());
  Histogram& kafka_failed = kafka_transaction.Add({{"outcome", "failed"}}, LatencyBuckets());
  prometheus::Family<Counter>& fences = BuildCounter()
                                            .Name("gridledger_kafka_fences_total")
                                            .Help("Times a Kafka writer of this process was fenced")
                                            .Register(*registry);
  Counter& fences_counter = fences.Add({});
  prometheus::Family<Counter>& view_applied =
      BuildCounter()
          .Name("gridledger_view_applied_events_total")
          .Help("Events applied by each view (rate: the view's apply rate)")
          .Register(*registry);

  Families() {
    // The codes an append fails with, at zero from the start: rate() and
    // alerts see a series before the first failure.
    for (const char* code : {"ABORTED", "UNAVAILABLE", "FAILED_PRECONDITION", "DEADLINE_EXCEEDED",
                             "RESOURCE_EXHAUSTED", "INTERNAL", "DATA_LOSS"}) {
      append_failures.Add({{"code", code}});
    }
  }
};

Families& All() {
  static Families* families = new Families();  // never destroyed: recorded into at exit too
  return *families;
}

double Seconds(absl::Duration d) { return absl::ToDoubleSeconds(d); }

}  // namespace

std::shared_ptr<prometheus::Registry> Registry() { return All().registry; }

absl::string_view CodeName(int code) {
  static constexpr absl::string_view kNames[] = {"OK",
                                                 "CANCELLED",
                                                 "UNKNOWN",
                                                 "INVALID_ARGUMENT",
                                                 "DEADLINE_EXCEEDED",
                                                 "NOT_FOUND",
                                                 "ALREADY_EXISTS",
                                                 "PERMISSION_DENIED",
                                                 "RESOURCE_EXHAUSTED",
                                                 "FAILED_PRECONDITION",
                                                 "ABORTED",
                                                 "OUT_OF_RANGE",
                                                 "UNIMPLEMENTED",
                                                 "INTERNAL",
                                                 "UNAVAILABLE",
                                                 "DATA_LOSS",
                                                 "UNAUTHENTICATED"};
  if (code < 0 || code >= static_cast<int>(std::size(kNames))) return "UNKNOWN";
  return kNames[code];
}

void RecordGrpcCall(absl::string_view method, absl::string_view code, absl::Duration took) {
  Families& f = All();
  f.grpc_requests.Add({{"method", std::string(method)}, {"code", std::string(code)}}).Increment();
  f.grpc_duration.Add({{"method", std::string(method)}}, LatencyBuckets()).Observe(Seconds(took));
}

void RecordAppend(absl::Duration took, absl::StatusCode code) {
  Families& f = All();
  f.append_histogram.Observe(Seconds(took));
  if (code != absl::StatusCode::kOk) {
    f.append_failures.Add({{"code", std::string(CodeName(static_cast<int>(code)))}}).Increment();
  }
}

void RecordGroupCommit(int64_t events) {
  Families& f = All();
  f.group_commit_histogram.Observe(static_cast<double>(events));
  f.group_commits_counter.Increment();
}

void RecordKafkaTransaction(absl::Duration took, bool committed) {
  Families& f = All();
  (committed ? f.kafka_committed : f.kafka_failed).Observe(Seconds(took));
}

void RecordFence() { All().fences_counter.Increment(); }

void RecordViewApplied(absl::string_view view, int64_t events) {
  All().view_applied.Add({{"view", std::string(view)}}).Increment(static_cast<double>(events));
}

}  // namespace gridledger::metrics
