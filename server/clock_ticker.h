// The server's clock for the supervision engine: every `interval` it records
// a ClockTicked at the start of the interval (marketing::RecordWallClockTick),
// so time-based rules advance in a running system; the instances of a
// cluster record one tick per interval between them. Failures are logged and
// the next interval tries again. Stops (joins) on destruction.
#ifndef GRIDLEDGER_SERVER_CLOCK_TICKER_H_
#define GRIDLEDGER_SERVER_CLOCK_TICKER_H_

#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "eventstore/event_store.h"

namespace gridledger::server {

class ClockTicker {
 public:
  ClockTicker(eventstore::EventStore* store, absl::Duration interval);
  ~ClockTicker();
  ClockTicker(const ClockTicker&) = delete;
  ClockTicker& operator=(const ClockTicker&) = delete;

 private:
  void Run();

  eventstore::EventStore* const store_;
  const absl::Duration interval_;
  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace gridledger::server

#endif  // GRIDLEDGER_SERVER_CLOCK_TICKER_H_
