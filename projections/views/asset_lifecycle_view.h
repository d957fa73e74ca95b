// The asset-lifecycle view (first of the projections issue's views): per bar
// code the meter's current state, and an inventory index by store tier and
// state. Applies meter events with the Metering Centre's own fold step
// (ApplyMeterEvent), so the view and the write side cannot disagree.
//
// Keys: "asset/<bar code>" → v1::MeterState;
//       "inv/<tier>/<state>/<bar code>" → "" (present while the meter is so).
#ifndef GRIDLEDGER_PROJECTIONS_VIEWS_ASSET_LIFECYCLE_VIEW_H_
#define GRIDLEDGER_PROJECTIONS_VIEWS_ASSET_LIFECYCLE_VIEW_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gridledger/v1/metering_service.pb.h"
#include "projections/runtime/projection.h"

namespace gridledger::projections {

class AssetLifecycleView final : public View {
 public:
  std::string name() const override { return "assets"; }
  eventstore::SubscriptionFilter filter() const override;
  absl::Status Apply(const v1::EventEnvelope& event, ViewTxn& txn) override;
};

// A meter as the view has it; NOT_FOUND for an unknown bar code.
absl::StatusOr<v1::MeterState> GetAsset(rocksdb::DB* view_db, const std::string& bar_code);

// Bar codes in `tier` and `state`, in order, after `after` (empty: from the
// start), at most `limit`.
absl::StatusOr<std::vector<std::string>> ListInventory(rocksdb::DB* view_db, v1::StoreTier tier,
                                                       v1::MeterLifecycleState state,
                                                       const std::string& after, int limit);

}  // namespace gridledger::projections

#endif  // GRIDLEDGER_PROJECTIONS_VIEWS_ASSET_LIFECYCLE_VIEW_H_
