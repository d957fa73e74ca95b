// Subscribe fan-out: N concurrent EventGateway.Subscribe streams, each from
// the start of the log, each reading `events` events; beside one subscriber
// alone in the same run. Samples the server's resident memory (VmRSS of
// --server_pid) while they run.
//
//   subscribe_bench --target ADDR --token TOKEN --events N [--subscribers 10]
//                   [--server_pid PID]
//
// With --stalled N instead: N streams from the start that never read (their
// flow-control windows fill and the server must hold them), held for
// --hold_s seconds; prints the server's threads and VmRSS idle, with the N
// stalled, and after they are cancelled.
//
//   subscribe_bench --target ADDR --token TOKEN --stalled 1000 --server_pid PID
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "gridledger/v1/event_gateway.grpc.pb.h"

namespace {

using Clock = std::chrono::steady_clock;

// A number field of /proc/PID/status ("VmRSS:", "Threads:"); 0 if absent.
int64_t StatusField(int64_t pid, const std::string& field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field, 0) == 0) {
      std::string number;
      for (char c : line.substr(field.size())) {
        if (c >= '0' && c <= '9') number += c;
      }
      int64_t value = 0;
      return absl::SimpleAtoi(number, &value) ? value : 0;
    }
  }
  return 0;
}

int64_t RssKb(int64_t pid) { return StatusField(pid, "VmRSS:"); }

// Opens `count` streams that never read, holds them, cancels them; prints
// the server's threads and memory at each stage.
int Stalled(const std::string& target, const std::string& token, int64_t count, int64_t hold_s,
            int64_t server_pid) {
  auto sample = [&](const char* stage) {
    std::printf("%s threads=%lld rss_mb=%.1f\n", stage,
                static_cast<long long>(StatusField(server_pid, "Threads:")),
                RssKb(server_pid) / 1024.0);
  };
  sample("idle");
  // The server runs at most 100 calls per connection: one channel per 90.
  std::vector<std::unique_ptr<gridledger::v1::EventGateway::Stub>> stubs;
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<grpc::ClientReader<gridledger::v1::SubscribeReply>>> readers;
  for (int64_t i = 0; i < count; ++i) {
    if (i % 90 == 0) {
      grpc::ChannelArguments args;
      args.SetInt("gridledger.bench.channel", static_cast<int>(i));  // a connection of its own
      stubs.push_back(gridledger::v1::EventGateway::NewStub(
          grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args)));
    }
    auto context = std::make_unique<grpc::ClientContext>();
    context->AddMetadata("authorization", "Bearer " + token);
    readers.push_back(stubs.back()->Subscribe(context.get(), gridledger::v1::SubscribeRequest()));
    contexts.push_back(std::move(context));
  }
  std::this_thread::sleep_for(std::chrono::seconds(hold_s));
  std::printf("stalled=%lld ", static_cast<long long>(count));
  sample("held");
  for (auto& context : contexts) context->TryCancel();
  for (auto& reader : readers) reader->Finish().IgnoreError();
  readers.clear();
  contexts.clear();
  stubs.clear();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  sample("after_cancel");
  return 0;
}

// Reads `events` events from the start; returns how many arrived.
int64_t Drain(const std::string& target, const std::string& token, int64_t events) {
  auto stub = gridledger::v1::EventGateway::NewStub(
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + token);
  auto reader = stub->Subscribe(&context, gridledger::v1::SubscribeRequest());
  gridledger::v1::SubscribeReply reply;
  int64_t read = 0;
  while (read < events && reader->Read(&reply)) ++read;
  context.TryCancel();
  reader->Finish().IgnoreError();
  return read;
}

struct Run {
  double seconds = 0;
  int64_t delivered = 0;
  int64_t max_rss_kb = 0;
};

Run FanOut(const std::string& target, const std::string& token, int64_t events, int subscribers,
           int64_t server_pid) {
  Run run;
  std::atomic<int64_t> delivered{0};
  std::atomic<bool> done{false};
  std::thread sampler([&] {
    while (!done.load()) {
      if (server_pid > 0) run.max_rss_kb = std::max(run.max_rss_kb, RssKb(server_pid));
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  threads.reserve(subscribers);
  for (int i = 0; i < subscribers; ++i) {
    threads.emplace_back([&] { delivered += Drain(target, token, events); });
  }
  for (auto& t : threads) t.join();
  run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  done.store(true);
  sampler.join();
  run.delivered = delivered.load();
  return run;
}

}  // namespace

int main(int argc, char** argv) {
  std::string target, token;
  int64_t events = 0, subscribers = 10, server_pid = 0, stalled = 0, hold_s = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    bool ok = true;
    if (flag == "--target") {
      target = value;
    } else if (flag == "--token") {
      token = value;
    } else if (flag == "--events") {
      ok = absl::SimpleAtoi(value, &events);
    } else if (flag == "--subscribers") {
      ok = absl::SimpleAtoi(value, &subscribers);
    } else if (flag == "--server_pid") {
      ok = absl::SimpleAtoi(value, &server_pid);
    } else if (flag == "--stalled") {
      ok = absl::SimpleAtoi(value, &stalled);
    } else if (flag == "--hold_s") {
      ok = absl::SimpleAtoi(value, &hold_s);
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr, "subscribe_bench: bad flag %s %s\n", flag.c_str(), value.c_str());
      return 2;
    }
  }
  if (!target.empty() && stalled > 0 && server_pid > 0) {
    return Stalled(target, token, stalled, hold_s, server_pid);
  }
  if (target.empty() || events <= 0) {
    std::fprintf(stderr,
                 "usage: subscribe_bench --target ADDR --token T --events N "
                 "[--subscribers 10] [--server_pid PID]\n"
                 "       subscribe_bench --target ADDR --token T --stalled N --server_pid PID "
                 "[--hold_s 5]\n");
    return 2;
  }
  const int64_t idle_rss = server_pid > 0 ? RssKb(server_pid) : 0;
  const Run one = FanOut(target, token, events, 1, server_pid);
  const Run many = FanOut(target, token, events, static_cast<int>(subscribers), server_pid);
  std::printf(
      "subscribers=1 events=%lld delivered=%lld s=%.2f delivered_per_s=%.0f max_rss_mb=%.0f\n"
      "subscribers=%lld events=%lld delivered=%lld s=%.2f delivered_per_s=%.0f max_rss_mb=%.0f "
      "idle_rss_mb=%.0f ratio_to_one=%.2f\n",
      static_cast<long long>(events), static_cast<long long>(one.delivered), one.seconds,
      one.delivered / one.seconds, one.max_rss_kb / 1024.0, static_cast<long long>(subscribers),
      static_cast<long long>(events), static_cast<long long>(many.delivered), many.seconds,
      many.delivered / many.seconds, many.max_rss_kb / 1024.0, idle_rss / 1024.0,
      (many.delivered / many.seconds) / (one.delivered / one.seconds));
  return one.delivered == events && many.delivered == events * subscribers ? 0 : 1;
}
