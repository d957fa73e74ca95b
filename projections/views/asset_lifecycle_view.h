// The asset-lifecycle view: per bar code the meter's current state (location
// or account, calibration) and full history; inventory by store tier and
// state; meters due for verification by date; the on-site test schedule of
// installed metering points by DL/T 448 class. Applies meter events with the
// Metering Centre's own fold step (ApplyMeterEvent), so the view and the
// write side cannot disagree.
//
// Keys: asset/<bar>                   v1::MeterState
//       hist/<bar>/<version>          the event (v1::EventEnvelope)
//       inv/<tier>/<state>/<bar>      "" while the meter is so
//       due/<yyyymmdd>/<bar>          account id; verification due then (not scrapped)
//       ost/<class>/<yyyymmdd>/<bar>  account id; next on-site test of an installed point
//       osm/<bar>                     the meter's current ost/ key
#ifndef GRIDLEDGER_PROJECTIONS_VIEWS_ASSET_LIFECYCLE_VIEW_H_
#define GRIDLEDGER_PROJECTIONS_VIEWS_ASSET_LIFECYCLE_VIEW_H_

#include <string>

#include "absl/status/statusor.h"
#include "domain/metering_center/meter_lifecycle.h"
#include "gridledger/v1/query_service.pb.h"
#include "projections/runtime/projection.h"

namespace gridledger::projections {

class AssetLifecycleView final : public View {
 public:
  std::string name() const override { return "assets"; }
  eventstore::SubscriptionFilter filter() const override;
  absl::Status Apply(const v1::EventEnvelope& event, ViewTxn& txn) override;
};

// Months between on-site tests (the Metering Centre's rule).
using metering::OnSiteTestIntervalMonths;

// "valid", "due" (within 90 days of `today`), "overdue", "failed" or "unverified".
std::string CalibrationStatus(const v1::MeterState& meter, const v1::Date& today);

// NOT_FOUND for an unknown bar code.
absl::StatusOr<v1::AssetReply> ReadAsset(const ViewReader& reader, const std::string& bar_code,
                                         bool with_history, const v1::Date& today);
// Pages: page_token is the next_page_token of the previous page
// (INVALID_ARGUMENT for one this view did not give).
absl::StatusOr<v1::BarCodePage> ReadInventory(const ViewReader& reader, v1::StoreTier tier,
                                              v1::MeterLifecycleState state, int page_size,
                                              const std::string& page_token);
absl::StatusOr<v1::DuePage> ReadDueForVerification(const ViewReader& reader,
                                                   const v1::Date& on_or_before, int page_size,
                                                   const std::string& page_token);
// `on_or_before` unset: the whole schedule.
absl::StatusOr<v1::DuePage> ReadOnSiteSchedule(const ViewReader& reader, int metering_class,
                                               const v1::Date& on_or_before, int page_size,
                                               const std::string& page_token);

}  // namespace gridledger::projections

#endif  // GRIDLEDGER_PROJECTIONS_VIEWS_ASSET_LIFECYCLE_VIEW_H_
