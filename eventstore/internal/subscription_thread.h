// The thread, stop flag and final status every backend's Subscription needs.
// A backend derives from it, implements Deliver(), calls Start() at the end of
// its constructor and StopAndJoin() at the start of its destructor (so the
// thread never sees a half-destroyed object).
#ifndef GRIDLEDGER_EVENTSTORE_INTERNAL_SUBSCRIPTION_THREAD_H_
#define GRIDLEDGER_EVENTSTORE_INTERNAL_SUBSCRIPTION_THREAD_H_

#include <atomic>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "eventstore/event_store.h"

namespace gridledger::eventstore::internal {

class SubscriptionThread : public Subscription {
 public:
  void Stop() override { stop_.store(true); }

  absl::Status Wait() override {
    if (thread_.joinable()) thread_.join();
    absl::MutexLock lock(&mu_);
    return result_;
  }

 protected:
  // Delivers events until stopping() (then returns OK) or an error.
  virtual absl::Status Deliver() = 0;

  void Start() {
    thread_ = std::thread([this] {
      absl::Status result = Deliver();
      absl::MutexLock lock(&mu_);
      result_ = std::move(result);
    });
  }

  void StopAndJoin() {
    Stop();
    if (thread_.joinable()) thread_.join();
  }

  bool stopping() const { return stop_.load(); }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
  absl::Mutex mu_;
  absl::Status result_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gridledger::eventstore::internal

#endif  // GRIDLEDGER_EVENTSTORE_INTERNAL_SUBSCRIPTION_THREAD_H_
