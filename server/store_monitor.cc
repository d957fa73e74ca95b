#include "server/store_monitor.h"

#include <pthread.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace gridledger::server {
namespace {

using grpc::experimental::InterceptionHookPoints;

constexpr absl::Duration kAskEvery = absl::Milliseconds(500);
constexpr absl::Duration kAskTimeout = absl::Milliseconds(800);
// An answer older than this means the store hangs on the question.
constexpr absl::Duration kStaleAfter = absl::Seconds(2);

class StalenessInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit StalenessInterceptor(const StoreMonitor* monitor) : monitor_(monitor) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const StoreMonitor::State state = monitor_->Current();
      if (!state.writable.ok()) {
        std::multimap<std::string, std::string>* trailers = methods->GetSendTrailingMetadata();
        trailers->emplace("gridledger-store-unwritable", std::string(state.writable.message()));
        trailers->emplace(
            "gridledger-stale-since",
            state.writable_at == absl::InfinitePast()
                ? std::string("start")
                : absl::FormatTime(absl::RFC3339_sec, state.writable_at, absl::UTCTimeZone()));
      }
    }
    methods->Proceed();
  }

 private:
  const StoreMonitor* const monitor_;
};

class StalenessInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit StalenessInterceptorFactory(const StoreMonitor* monitor) : monitor_(monitor) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo*) override {
    return new StalenessInterceptor(monitor_);
  }

 private:
  const StoreMonitor* const monitor_;
};

}  // namespace

StoreMonitor::StoreMonitor(eventstore::EventStore* store, Question question)
    : store_(store), question_(question) {
  Ask();
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "gl-store-watch");
    while (!stop_.WaitForNotificationWithTimeout(kAskEvery)) Ask();
  });
}

StoreMonitor::~StoreMonitor() {
  stop_.Notify();
  thread_.join();
}

void StoreMonitor::Ask() {
  absl::Status writable = question_ == Question::kWritable ? store_->CheckWritable(kAskTimeout)
                                                           : store_->EndCheckpoint().status();
  const absl::Time now = absl::Now();
  absl::MutexLock lock(&mu_);
  if (writable.ok()) writable_at_ = now;
  last_ = std::move(writable);
  asked_at_ = now;
}

StoreMonitor::State StoreMonitor::Current() const {
  absl::MutexLock lock(&mu_);
  State state{last_, writable_at_};
  const absl::Duration age = absl::Now() - asked_at_;
  if (state.writable.ok() && age > kStaleAfter) {
    state.writable = absl::UnavailableError(absl::StrCat(
        "store: has not answered whether it can write for ", absl::FormatDuration(age)));
  }
  return state;
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
NewStalenessInterceptorFactory(const StoreMonitor* monitor) {
  return std::make_unique<StalenessInterceptorFactory>(monitor);
}

}  // namespace gridledger::server
