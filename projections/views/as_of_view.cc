#include "projections/views/as_of_view.h"

namespace gridledger::projections {

absl::Status AsOfView::Apply(const v1::EventEnvelope& event, ViewTxn& txn) {
  if (!eventstore::CountsAsOf(event, axis_, as_of_)) {
    ++skipped_;
    return absl::OkStatus();
  }
  if (axis_ == v1::TIME_AXIS_BUSINESS && !eventstore::AtOrBefore(event.recorded_at(), as_of_)) {
    recorded_late_.push_back(event.position());
  }
  ++applied_;
  const int64_t version = ++versions_[event.stream_id()];
  if (version == event.stream_version()) return inner_->Apply(event, txn);
  v1::EventEnvelope renumbered = event;
  renumbered.set_stream_version(version);
  return inner_->Apply(renumbered, txn);
}

}  // namespace gridledger::projections
