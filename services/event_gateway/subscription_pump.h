// The threads every live Subscribe shares: a subscription is a small state
// machine (SubscribeReactor) that runs a step — read the next chunk of the
// log, queue its replies — on one of a fixed number of pump threads, writes
// through gRPC's callback API without a thread, and, once it has read to the
// end, waits without a thread until one shared probe of the log's end says
// there is more. So a thousand subscribers, stalled or idle, cost memory for
// their queued replies and no thread each.
#ifndef GRIDLEDGER_SERVICES_EVENT_GATEWAY_SUBSCRIPTION_PUMP_H_
#define GRIDLEDGER_SERVICES_EVENT_GATEWAY_SUBSCRIPTION_PUMP_H_

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "eventstore/event_store.h"

namespace gridledger::gateway {

class SubscriptionPump {
 public:
  // A subscription's step; runs on a pump thread, never two of one
  // subscription at once (a subscription hands itself to the pump only
  // while it has nothing else in flight).
  using Step = std::function<void()>;

  // `threads` pump threads; the log's end is probed every `probe_every`
  // while someone waits. `store` must outlive the pump.
  SubscriptionPump(eventstore::EventStore* store, int threads, absl::Duration probe_every);
  // Stops the threads after the steps already queued have run (each sees
  // the server shutting down through its call being cancelled).
  ~SubscriptionPump();
  SubscriptionPump(const SubscriptionPump&) = delete;
  SubscriptionPump& operator=(const SubscriptionPump&) = delete;

  // From now on stopping() is true and every waiting step runs at once.
  void BeginStopping();
  bool stopping() const { return ending_.load(); }

  // Runs `step` soon on a pump thread.
  void Run(Step step);
  // Runs `step` once the log's end lies past `next` on some partition, or
  // `*cancelled` is set (both seen at the next probe), or at the next probe
  // when the end cannot be read (the step then meets the error itself).
  // `cancelled` must outlive the wait.
  void RunWhenPast(const v1::Checkpoint& next, const std::atomic<bool>* cancelled, Step step);

 private:
  struct Waiter {
    v1::Checkpoint next;
    const std::atomic<bool>* cancelled;
    Step step;
  };

  void Work();
  void Probe();

  eventstore::EventStore* const store_;
  const absl::Duration probe_every_;
  absl::Mutex mu_;
  std::deque<Step> ready_ ABSL_GUARDED_BY(mu_);
  std::vector<Waiter> waiting_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;  // the threads end
  std::atomic<bool> ending_{false};             // subscriptions end
  std::vector<std::thread> workers_;
  std::thread prober_;
};

}  // namespace gridledger::gateway

#endif  // GRIDLEDGER_SERVICES_EVENT_GATEWAY_SUBSCRIPTION_PUMP_H_
