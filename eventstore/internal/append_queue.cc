#include "eventstore/internal/append_queue.h"

#include "common/status_macros.h"

namespace gridledger::eventstore::internal {

absl::StatusOr<AppendResult> AppendQueue::Submit(AppendRequest request,
                                                 const StoreOptions& options) {
  GL_RETURN_IF_ERROR(ValidateAppendRequest(request, options));
  auto pending = std::make_unique<PendingAppend>();
  pending->events.reserve(request.events.size());
  for (v1::EventEnvelope& event : request.events) {
    if (!request.request_digest.empty()) event.set_request_digest(request.request_digest);
    pending->events.push_back(PrepareEvent(event, request.stream_id, request.command_id));
  }
  pending->request_digest = std::move(request.request_digest);
  pending->stream_id = std::move(request.stream_id);
  pending->command_id = std::move(request.command_id);
  pending->expected_version = request.expected_version;
  std::future<absl::StatusOr<AppendResult>> result = pending->promise.get_future();
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return absl::UnavailableError(closed_message_);
    queue_.push_back(std::move(pending));
  }
  return result.get();
}

std::vector<std::unique_ptr<PendingAppend>> AppendQueue::TakeGroup(size_t max_requests) {
  absl::MutexLock lock(&mu_);
  auto has_work = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return closed_ || !queue_.empty(); };
  mu_.Await(absl::Condition(&has_work));
  std::vector<std::unique_ptr<PendingAppend>> group;
  while (!queue_.empty() && group.size() < max_requests) {
    group.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return group;
}

void AppendQueue::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
}

}  // namespace gridledger::eventstore::internal
