#include "common/metrics.h"

#include <string>

#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"

namespace gridledger::metrics {
namespace {

std::string Exposition() { return prometheus::TextSerializer().Serialize(Registry()->Collect()); }

TEST(MetricsTest, RecordsAppearInTheExpositionWithTheirLabels) {
  RecordGrpcCall("/gridledger.v1.BillingCenter/IssueBill", "INVALID_ARGUMENT",
                 absl::Milliseconds(3));
  RecordAppend(absl::Milliseconds(2), absl::StatusCode::kAborted);
  RecordGroupCommit(7);
  RecordKafkaTransaction(absl::Milliseconds(40), true);
  RecordFence();
  RecordViewApplied("ledger", 2048);
  const std::string text = Exposition();
  EXPECT_NE(text.find("gridledger_grpc_requests_total{code=\"INVALID_ARGUMENT\",method=\"/"
                      "gridledger.v1.BillingCenter/IssueBill\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("gridledger_append_failures_total{code=\"ABORTED\"} 1"), std::string::npos);
  EXPECT_NE(text.find("gridledger_group_commit_events_sum 7"), std::string::npos);
  EXPECT_NE(
      text.find("gridledger_kafka_transaction_duration_seconds_count{outcome=\"committed\"} 1"),
      std::string::npos);
  EXPECT_NE(text.find("gridledger_kafka_fences_total 1"), std::string::npos);
  EXPECT_NE(text.find("gridledger_view_applied_events_total{view=\"ledger\"} 2048"),
            std::string::npos);
}

TEST(MetricsTest, CodeNamesAreGrpcs) {
  EXPECT_EQ(CodeName(0), "OK");
  EXPECT_EQ(CodeName(16), "UNAUTHENTICATED");
  EXPECT_EQ(CodeName(99), "UNKNOWN");
}

}  // namespace
}  // namespace gridledger::metrics
