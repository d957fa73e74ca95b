// The hand-off between appending threads and a backend's single writer
// thread, shared by both backends. Callers validate and serialize their
// events on their own thread (so the writer's serial work stays small), queue
// them, and block until the writer answers.
#ifndef GRIDLEDGER_EVENTSTORE_INTERNAL_APPEND_QUEUE_H_
#define GRIDLEDGER_EVENTSTORE_INTERNAL_APPEND_QUEUE_H_

#include <deque>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "eventstore/event_store.h"
#include "eventstore/internal/record_codec.h"
#include "eventstore/store_options.h"

namespace gridledger::eventstore::internal {

// An append waiting for the writer. The writer must set `promise` exactly once.
struct PendingAppend {
  std::string stream_id;
  std::string command_id;
  std::string request_digest;
  int64_t expected_version = kAnyVersion;
  std::vector<PreparedEvent> events;
  std::promise<absl::StatusOr<AppendResult>> promise;
};

// Thread-safe.
class AppendQueue {
 public:
  explicit AppendQueue(std::string closed_message) : closed_message_(std::move(closed_message)) {}

  // Validates `request` (INVALID_ARGUMENT naming the field), serializes its
  // events, queues it and blocks until the writer answers. UNAVAILABLE once
  // the queue is closed.
  absl::StatusOr<AppendResult> Submit(AppendRequest request, const StoreOptions& options);
  // As Submit for each request, all queued together (in order, so the
  // writer takes them into as few groups as it can); one result per request.
  std::vector<absl::StatusOr<AppendResult>> SubmitAll(std::vector<AppendRequest> requests,
                                                      const StoreOptions& options);

  // For the writer: blocks until something is queued or the queue is closed,
  // then takes up to `max_requests` in arrival order. Empty only when the
  // queue is closed and everything queued has been taken.
  std::vector<std::unique_ptr<PendingAppend>> TakeGroup(size_t max_requests);

  // New submissions fail; what is queued is still handed out.
  void Close();

 private:
  const std::string closed_message_;
  absl::Mutex mu_;
  std::deque<std::unique_ptr<PendingAppend>> queue_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace gridledger::eventstore::internal

#endif  // GRIDLEDGER_EVENTSTORE_INTERNAL_APPEND_QUEUE_H_
