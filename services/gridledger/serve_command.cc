#include "services/gridledger/serve_command.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "eventstore/event_store_factory.h"
#include "services/billing_center/billing_service.h"
#include "services/customer_service/customer_service.h"
#include "services/gridledger/command_line.h"
#include "services/gridledger/health_service.h"
#include "services/marketing_department/marketing_service.h"
#include "services/metering_center/metering_service.h"

namespace gridledger::cli {
namespace {

// "h:p" or "[v6]:p" → host.
std::string HostOf(const std::string& address) {
  if (absl::StartsWith(address, "[")) {
    const size_t close = address.find(']');
    return close == std::string::npos ? address : address.substr(1, close - 1);
  }
  const size_t colon = address.rfind(':');
  return colon == std::string::npos ? address : address.substr(0, colon);
}

int WaitForTerminationSignal() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  int received = 0;
  sigwait(&signals, &received);
  return received;
}

}  // namespace

bool IsLoopbackHost(const std::string& host) {
  return host == "localhost" || host == "::1" || absl::StartsWith(host, "127.");
}

int RunServe(const std::vector<std::string>& args) {
  absl::StatusOr<Flags> flags = ParseFlags(
      args, FlagSpec{{"store", "listen", "tokens", "services"}, {"insecure_allow_remote"}});
  if (!flags.ok()) {
    std::fprintf(stderr, "gridledger serve: %s\n", std::string(flags.status().message()).c_str());
    return 2;
  }
  const std::string store_uri =
      flags->count("store") ? flags->at("store") : "embedded:./gridledger-data";
  const std::string listen = flags->count("listen") ? flags->at("listen") : "127.0.0.1:50051";
  const std::string services =
      flags->count("services") ? flags->at("services") : "customer,billing,metering,marketing";
  std::set<std::string> enabled;
  for (absl::string_view name : absl::StrSplit(services, ',', absl::SkipEmpty())) {
    if (name != "metering" && name != "billing" && name != "customer" && name != "marketing") {
      std::fprintf(stderr,
                   "gridledger serve: --services: unknown service \"%s\"; available: customer, "
                   "billing, metering, marketing\n",
                   std::string(name).c_str());
      return 2;
    }
    enabled.insert(std::string(name));
  }
  service::TokenRegistry tokens;
  if (flags->count("tokens")) {
    absl::StatusOr<service::TokenRegistry> loaded =
        service::TokenRegistry::LoadFile(flags->at("tokens"));
    if (!loaded.ok()) {
      std::fprintf(stderr, "gridledger serve: --tokens: %s\n",
                   std::string(loaded.status().message()).c_str());
      return 2;
    }
    tokens = *std::move(loaded);
  } else {
    std::fprintf(stderr,
                 "gridledger serve: no --tokens file: every command will be UNAUTHENTICATED "
                 "(make one with `gridledger token`)\n");
  }
  const bool allow_remote =
      flags->count("insecure_allow_remote") && flags->at("insecure_allow_remote") == "true";
  if (!IsLoopbackHost(HostOf(listen)) && !allow_remote) {
    std::fprintf(stderr,
                 "gridledger serve: --listen %s: plaintext is only allowed on loopback; "
                 "pass --insecure_allow_remote to force it\n",
                 listen.c_str());
    return 2;
  }

  // Block the termination signals before any thread starts, so only
  // WaitForTerminationSignal receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  absl::StatusOr<std::unique_ptr<eventstore::EventStore>> store =
      eventstore::OpenEventStore(store_uri);
  if (!store.ok()) {
    std::fprintf(stderr, "gridledger serve: %s\n", store.status().ToString().c_str());
    return 1;
  }

  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  HealthService health(store->get());
  grpc::ServerBuilder builder;
  builder.RegisterService(&health);
  metering::MeteringService metering_service(store->get(), &tokens);
  if (enabled.count("metering")) builder.RegisterService(&metering_service);
  billing::BillingService billing_service(store->get(), &tokens);
  if (enabled.count("billing")) builder.RegisterService(&billing_service);
  customer::CustomerService customer_service(store->get(), &tokens);
  if (enabled.count("customer")) builder.RegisterService(&customer_service);
  marketing::MarketingService marketing_service(store->get(), &tokens);
  if (enabled.count("marketing")) builder.RegisterService(&marketing_service);
  int port = 0;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::fprintf(stderr, "gridledger serve: cannot listen on %s\n", listen.c_str());
    return 1;
  }
  const std::string host = HostOf(listen);
  std::printf("gridledger: serving on %s:%d store %s\n",
              host.find(':') != std::string::npos ? ("[" + host + "]").c_str() : host.c_str(), port,
              store_uri.c_str());
  std::fflush(stdout);

  const int signal_number = WaitForTerminationSignal();
  std::fprintf(stderr, "gridledger serve: signal %d, shutting down\n", signal_number);
  health.SetShuttingDown();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  server->Wait();
  store->reset();  // closes the store after the last request
  return 0;
}

}  // namespace gridledger::cli
