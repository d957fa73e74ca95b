// Whether the event store can write, known at all times without waiting on
// it: a thread of its own asks the store (EventStore::CheckWritable, at most
// 800 ms) every 500 ms, and readers take the last answer. An answer older
// than 2 s (the store hangs on the question) counts as UNAVAILABLE.
//
// Health (health_service.h) and the staleness trailer on every answer
// (NewStalenessInterceptorFactory) are built on it; docs/OPERATIONS.md says
// what each state means.
//
// Thread-safe; the store must outlive the monitor.
#ifndef GRIDLEDGER_SERVER_STORE_MONITOR_H_
#define GRIDLEDGER_SERVER_STORE_MONITOR_H_

#include <memory>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "eventstore/event_store.h"
#include "grpcpp/support/server_interceptor.h"

namespace gridledger::server {

class StoreMonitor {
 public:
  struct State {
    // OK, or why the store cannot write now.
    absl::Status writable;
    // When the store last could write (InfinitePast: never since start).
    absl::Time writable_at = absl::InfinitePast();
  };

  // What is asked: whether the store can write (a server that takes
  // commands), or only whether it answers reads (`project`, whose store is
  // read-only by design).
  enum class Question { kWritable, kReadable };

  // Asks once before returning (so the first answer is a real one), then
  // starts the thread.
  explicit StoreMonitor(eventstore::EventStore* store, Question question = Question::kWritable);
  // Stops the thread (waits for a question in flight).
  ~StoreMonitor();

  StoreMonitor(const StoreMonitor&) = delete;
  StoreMonitor& operator=(const StoreMonitor&) = delete;

  State Current() const;

 private:
  void Ask();

  eventstore::EventStore* const store_;
  const Question question_;
  mutable absl::Mutex mu_;
  absl::Status last_ ABSL_GUARDED_BY(mu_);
  absl::Time asked_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time writable_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Notification stop_;
  std::thread thread_;
};

// Adds to every answer, while the monitor's store cannot write, the trailing
// metadata "gridledger-store-unwritable" (why) and "gridledger-stale-since"
// (RFC 3339: when the store last could write, or "start"): the answer comes
// from what this server had read by then.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
NewStalenessInterceptorFactory(const StoreMonitor* monitor);

}  // namespace gridledger::server

#endif  // GRIDLEDGER_SERVER_STORE_MONITOR_H_
