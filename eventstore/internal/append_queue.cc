#include "eventstore/internal/append_queue.h"

#include "common/metrics.h"
#include "common/status_macros.h"

namespace gridledger::eventstore::internal {

namespace {

// A validated request, its events serialized, ready for the writer.
absl::StatusOr<std::unique_ptr<PendingAppend>> Prepare(AppendRequest request,
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
  return pending;
}

}  // namespace

absl::StatusOr<AppendResult> AppendQueue::Submit(AppendRequest request,
                                                 const StoreOptions& options) {
  std::vector<AppendRequest> one;
  one.push_back(std::move(request));
  return std::move(SubmitAll(std::move(one), options).front());
}

std::vector<absl::StatusOr<AppendResult>> AppendQueue::SubmitAll(
    std::vector<AppendRequest> requests, const StoreOptions& options) {
  const absl::Time submitted = absl::Now();
  std::vector<absl::StatusOr<AppendResult>> results(requests.size(), absl::UnknownError(""));
  std::vector<std::pair<size_t, std::future<absl::StatusOr<AppendResult>>>> waiting;
  waiting.reserve(requests.size());
  std::vector<std::unique_ptr<PendingAppend>> ready;
  ready.reserve(requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    absl::StatusOr<std::unique_ptr<PendingAppend>> pending =
        Prepare(std::move(requests[i]), options);
    if (!pending.ok()) {
      results[i] = pending.status();
      continue;
    }
    waiting.emplace_back(i, (*pending)->promise.get_future());
    ready.push_back(*std::move(pending));
  }
  {
    absl::MutexLock lock(&mu_);
    if (closed_) {
      for (const auto& [i, future] : waiting) results[i] = absl::UnavailableError(closed_message_);
      return results;
    }
    for (auto& pending : ready) queue_.push_back(std::move(pending));
  }
  for (auto& [i, future] : waiting) results[i] = future.get();
  const absl::Duration took = absl::Now() - submitted;
  for (const absl::StatusOr<AppendResult>& result : results) {
    metrics::RecordAppend(took, result.status().code());
  }
  return results;
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
  if (!group.empty()) {
    int64_t events = 0;
    for (const auto& pending : group) events += static_cast<int64_t>(pending->events.size());
    metrics::RecordGroupCommit(events);
  }
  return group;
}

void AppendQueue::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
}

}  // namespace gridledger::eventstore::internal
