#include "server/clock_ticker.h"

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "services/marketing_department/supervision_commands.h"

namespace gridledger::server {

ClockTicker::ClockTicker(eventstore::EventStore* store, absl::Duration interval)
    : store_(store), interval_(interval), thread_([this] { Run(); }) {}

ClockTicker::~ClockTicker() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  thread_.join();
}

void ClockTicker::Run() {
  absl::MutexLock lock(&mu_);
  while (!stop_) {
    mu_.Unlock();
    absl::Status recorded = marketing::RecordWallClockTick(*store_, absl::Now(), interval_);
    if (absl::IsFailedPrecondition(recorded)) {
      log::Warning("clock.behind",
                   absl::StrCat("gridledger: no clock tick recorded: ", recorded.message(),
                                " (a tick ahead of this server's clock is in; ticks resume "
                                "once time passes it)"),
                   {{"reason", std::string(recorded.message())}});
    } else if (!recorded.ok()) {
      log::Warning("clock.tick_failed",
                   absl::StrCat("gridledger: recording a clock tick failed: ", recorded.ToString()),
                   {{"reason", std::string(recorded.message())}});
    }
    mu_.Lock();
    // Wake at the next interval's start (or when stopped).
    const absl::Time now = absl::Now();
    const int64_t seconds = std::max<int64_t>(1, absl::ToInt64Seconds(interval_));
    const absl::Time next =
        absl::FromUnixSeconds((absl::ToUnixSeconds(now) / seconds + 1) * seconds);
    mu_.AwaitWithDeadline(absl::Condition(&stop_), next);
  }
}

}  // namespace gridledger::server
