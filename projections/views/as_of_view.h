// A view as it stood at a time: wraps any view and passes it only the events
// recorded by then (what the system knew: TIME_AXIS_RECORDED) or that had
// happened by then (TIME_AXIS_BUSINESS, which includes events recorded later
// — "late" — and counts them). Versions are renumbered densely per stream
// for the wrapped view, whose version checks would otherwise see the gaps
// left by skipped events. For one-shot replays into a fresh directory: the
// renumbering lives in memory.
#ifndef GRIDLEDGER_PROJECTIONS_VIEWS_AS_OF_VIEW_H_
#define GRIDLEDGER_PROJECTIONS_VIEWS_AS_OF_VIEW_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "gridledger/v1/common.pb.h"
#include "gridledger/v1/event_gateway.pb.h"
#include "projections/runtime/projection.h"

namespace gridledger::projections {

class AsOfView final : public View {
 public:
  AsOfView(std::unique_ptr<View> inner, v1::TimeAxis axis, google::protobuf::Timestamp as_of)
      : inner_(std::move(inner)), axis_(axis), as_of_(std::move(as_of)) {}

  std::string name() const override { return inner_->name(); }
  eventstore::SubscriptionFilter filter() const override { return inner_->filter(); }
  absl::Status Apply(const v1::EventEnvelope& event, ViewTxn& txn) override;
  absl::Status Settle(const v1::Checkpoint& applied, ViewTxn& txn) override {
    return inner_->Settle(applied, txn);
  }

  int64_t applied() const { return applied_; }
  int64_t skipped() const { return skipped_; }
  // Business axis: the events applied that were recorded after as_of.
  const std::vector<v1::Position>& recorded_late() const { return recorded_late_; }

 private:
  const std::unique_ptr<View> inner_;
  const v1::TimeAxis axis_;
  const google::protobuf::Timestamp as_of_;
  absl::flat_hash_map<std::string, int64_t> versions_;
  int64_t applied_ = 0, skipped_ = 0;
  std::vector<v1::Position> recorded_late_;
};

}  // namespace gridledger::projections

#endif  // GRIDLEDGER_PROJECTIONS_VIEWS_AS_OF_VIEW_H_
