#include "services/event_gateway/subscription_pump.h"

#include <utility>

namespace gridledger::gateway {

SubscriptionPump::SubscriptionPump(eventstore::EventStore* store, int threads,
                                   absl::Duration probe_every)
    : store_(store), probe_every_(probe_every) {
  for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { Work(); });
  prober_ = std::thread([this] { Probe(); });
}

SubscriptionPump::~SubscriptionPump() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    // Waiters run once more and find their calls cancelled.
    for (Waiter& waiter : waiting_) ready_.push_back(std::move(waiter.step));
    waiting_.clear();
  }
  prober_.join();
  for (std::thread& worker : workers_) worker.join();
}

void SubscriptionPump::BeginStopping() {
  ending_ = true;
  absl::MutexLock lock(&mu_);
  for (Waiter& waiter : waiting_) ready_.push_back(std::move(waiter.step));
  waiting_.clear();
}

void SubscriptionPump::Run(Step step) {
  absl::MutexLock lock(&mu_);
  ready_.push_back(std::move(step));
}

void SubscriptionPump::RunWhenPast(const v1::Checkpoint& next, const std::atomic<bool>* cancelled,
                                   Step step) {
  absl::MutexLock lock(&mu_);
  if (stopping_ || ending_) {
    ready_.push_back(std::move(step));
    return;
  }
  waiting_.push_back(Waiter{next, cancelled, std::move(step)});
}

void SubscriptionPump::Work() {
  while (true) {
    Step step;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](SubscriptionPump* pump)
               ABSL_NO_THREAD_SAFETY_ANALYSIS { return !pump->ready_.empty() || pump->stopping_; },
          this));
      if (ready_.empty()) return;  // stopping, and nothing left to run
      step = std::move(ready_.front());
      ready_.pop_front();
    }
    step();
  }
}

void SubscriptionPump::Probe() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      // Sleeps out the interval, or until stopping.
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), probe_every_);
      if (stopping_) return;
      if (waiting_.empty()) continue;
    }
    // One probe for every waiter: the end as of now.
    absl::StatusOr<v1::Checkpoint> end = store_->EndCheckpoint();
    absl::MutexLock lock(&mu_);
    std::vector<Waiter> still;
    for (Waiter& waiter : waiting_) {
      if (end.ok() && !waiter.cancelled->load() && eventstore::ReachedAll(waiter.next, *end)) {
        still.push_back(std::move(waiter));
      } else {
        ready_.push_back(std::move(waiter.step));
      }
    }
    waiting_ = std::move(still);
  }
}

}  // namespace gridledger::gateway
