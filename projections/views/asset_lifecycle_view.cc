#include "projections/views/asset_lifecycle_view.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "services/metering_center/meter_lifecycle.h"

namespace gridledger::projections {
namespace {

constexpr absl::string_view kMeterStreamPrefix = "meter-";

std::string AssetKey(absl::string_view bar_code) { return absl::StrCat("asset/", bar_code); }

std::string InventoryPrefix(v1::StoreTier tier, v1::MeterLifecycleState state) {
  return absl::StrCat("inv/", static_cast<int>(tier), "/", static_cast<int>(state), "/");
}

// Only meters in a store (or dispatched from one) are in the inventory.
bool InInventory(const v1::MeterState& meter) {
  return meter.store_tier() != v1::STORE_TIER_UNSPECIFIED &&
         meter.state() != v1::METER_LIFECYCLE_STATE_SCRAPPED;
}

}  // namespace

eventstore::SubscriptionFilter AssetLifecycleView::filter() const {
  eventstore::SubscriptionFilter filter;
  filter.stream_prefixes = {std::string(kMeterStreamPrefix)};
  return filter;
}

absl::Status AssetLifecycleView::Apply(const v1::EventEnvelope& event, ViewTxn& txn) {
  const std::string bar_code = event.stream_id().substr(kMeterStreamPrefix.size());
  v1::MeterState meter;
  absl::StatusOr<std::string> stored = txn.Get(AssetKey(bar_code));
  if (stored.ok()) {
    if (!meter.ParseFromString(*stored)) {
      return absl::DataLossError(absl::StrCat("asset view: meter ", bar_code, " is corrupted"));
    }
  } else if (!absl::IsNotFound(stored.status())) {
    return stored.status();
  }
  if (event.stream_version() != meter.version() + 1) {
    return absl::DataLossError(absl::StrCat("asset view: meter ", bar_code, " is at version ",
                                            meter.version(), " but event ", event.stream_version(),
                                            " arrived"));
  }
  if (InInventory(meter)) {
    txn.Delete(InventoryPrefix(meter.store_tier(), meter.state()) + bar_code);
  }
  metering::ApplyMeterEvent(event, &meter);
  if (meter.bar_code().empty()) meter.set_bar_code(bar_code);
  if (InInventory(meter))
    txn.Put(InventoryPrefix(meter.store_tier(), meter.state()) + bar_code, "");
  txn.Put(AssetKey(bar_code), meter.SerializeAsString());
  return absl::OkStatus();
}

absl::StatusOr<v1::MeterState> GetAsset(rocksdb::DB* view_db, const std::string& bar_code) {
  std::string value;
  rocksdb::Status s = view_db->Get({}, AssetKey(bar_code), &value);
  if (s.IsNotFound())
    return absl::NotFoundError(absl::StrCat("bar_code: ", bar_code, " is unknown"));
  if (!s.ok()) return absl::UnavailableError(s.ToString());
  v1::MeterState meter;
  if (!meter.ParseFromString(value)) return absl::DataLossError("asset view: corrupted meter");
  return meter;
}

absl::StatusOr<std::vector<std::string>> ListInventory(rocksdb::DB* view_db, v1::StoreTier tier,
                                                       v1::MeterLifecycleState state,
                                                       const std::string& after, int limit) {
  const std::string prefix = InventoryPrefix(tier, state);
  std::vector<std::string> bar_codes;
  std::unique_ptr<rocksdb::Iterator> it(view_db->NewIterator({}));
  for (it->Seek(after.empty() ? prefix : prefix + after); it->Valid(); it->Next()) {
    const std::string key = it->key().ToString();
    if (key.compare(0, prefix.size(), prefix) != 0) break;
    const std::string bar_code = key.substr(prefix.size());
    if (bar_code == after) continue;
    if (static_cast<int>(bar_codes.size()) >= limit) break;
    bar_codes.push_back(bar_code);
  }
  if (!it->status().ok()) return absl::UnavailableError(it->status().ToString());
  return bar_codes;
}

}  // namespace gridledger::projections
