#include "cli/serve_command.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cli/command_line.h"
#include "common/ed25519.h"
#include "common/ids.h"
#include "eventstore/event_store_factory.h"
#include "projections/views/all_views.h"
#include "server/audit_files.h"
#include "server/checkpoint_exporter.h"
#include "server/health_service.h"
#include "services/billing_center/billing_service.h"
#include "services/customer_service/customer_service.h"
#include "services/event_gateway/event_gateway_service.h"
#include "services/marketing_department/marketing_service.h"
#include "services/metering_center/metering_service.h"
#include "services/query/query_service.h"

namespace gridledger::cli {
using namespace ::gridledger::server;  // NOLINT: temporary
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

// Waits for SIGINT or SIGTERM; each SIGUSR1 meanwhile calls `on_usr1`.
int WaitForTerminationSignal(const std::function<void()>& on_usr1) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGUSR1);
  while (true) {
    int received = 0;
    sigwait(&signals, &received);
    if (received != SIGUSR1) return received;
    if (on_usr1) on_usr1();
  }
}

absl::StatusOr<std::string> ReadFile(const std::string& flag, const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("--", flag, ": cannot read ", path));
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

// TLS from PEM files; with --tls_client_ca, clients must present a
// certificate signed by that CA (mutual TLS).
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> TlsCredentials(const Flags& flags) {
  if (!flags.count("tls_cert") || !flags.count("tls_key")) {
    return absl::InvalidArgumentError("--tls_cert and --tls_key go together");
  }
  absl::StatusOr<std::string> cert = ReadFile("tls_cert", flags.at("tls_cert"));
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadFile("tls_key", flags.at("tls_key"));
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions options;
  options.pem_key_cert_pairs.push_back({*key, *cert});
  if (flags.count("tls_client_ca")) {
    absl::StatusOr<std::string> ca = ReadFile("tls_client_ca", flags.at("tls_client_ca"));
    if (!ca.ok()) return ca.status();
    options.pem_root_certs = *ca;
    options.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(options);
}

}  // namespace

bool IsLoopbackHost(const std::string& host) {
  return host == "localhost" || host == "::1" || absl::StartsWith(host, "127.");
}

std::string DefaultViewDirectory(const std::string& store_uri) {
  if (absl::StartsWith(store_uri, "embedded:")) {
    return absl::StrCat(store_uri.substr(std::string("embedded:").size()), "-views");
  }
  // kafka://…?topic_prefix=P…: one directory per set of topics.
  std::string prefix = "gridledger";
  const size_t at = store_uri.find("topic_prefix=");
  if (at != std::string::npos) {
    const size_t start = at + std::string("topic_prefix=").size();
    prefix = store_uri.substr(start, store_uri.find('&', start) - start);
  }
  return "./gridledger-views/" + prefix;
}

int RunServe(const std::vector<std::string>& args) { return RunServeAs("serve", args); }

int RunProject(const std::vector<std::string>& args) { return RunServeAs("project", args); }

int RunServeAs(const std::string& command, const std::vector<std::string>& args) {
  const bool project_only = command == "project";
  absl::StatusOr<Flags> flags =
      ParseFlags(args, FlagSpec{{"store", "listen", "tokens", "services", "views", "view_dir",
                                 "max_apply_rate", "checkpoint_key", "checkpoint_dir",
                                 "checkpoint_every_s", "tls_cert", "tls_key", "tls_client_ca"},
                                {"insecure_allow_remote"}});
  if (!flags.ok()) {
    std::fprintf(stderr, "gridledger %s: %s\n", command.c_str(),
                 std::string(flags.status().message()).c_str());
    return 2;
  }
  std::string store_uri = flags->count("store") ? flags->at("store") : "embedded:./gridledger-data";
  // A projection process must not fence the API's transactional writer.
  if (project_only && absl::StartsWith(store_uri, "kafka://") &&
      store_uri.find("writer_id=") == std::string::npos) {
    absl::StrAppend(&store_uri, store_uri.find('?') == std::string::npos ? "?" : "&",
                    "writer_id=projector-", NewUuid().substr(0, 8));
  }
  const std::string listen = flags->count("listen") ? flags->at("listen") : "127.0.0.1:50051";
  if (project_only && flags->count("services")) {
    std::fprintf(stderr,
                 "gridledger project: --services: a projection process serves no commands\n");
    return 2;
  }
  const std::string services = project_only               ? ""
                               : flags->count("services") ? flags->at("services")
                                                          : "customer,billing,metering,marketing";
  absl::StatusOr<std::map<std::string, projections::ViewFactory>> views = projections::ViewsNamed(
      flags->count("views") ? flags->at("views") : projections::kAllViewNames);
  if (!views.ok() || (project_only && views->empty())) {
    std::fprintf(stderr, "gridledger %s: %s\n", command.c_str(),
                 views.ok() ? "--views: name at least one view"
                            : std::string(views.status().message()).c_str());
    return 2;
  }
  const std::string view_dir =
      flags->count("view_dir") ? flags->at("view_dir") : DefaultViewDirectory(store_uri);
  projections::RunnerOptions runner_options;
  if (flags->count("max_apply_rate") &&
      (!absl::SimpleAtoi(flags->at("max_apply_rate"), &runner_options.max_events_per_second) ||
       runner_options.max_events_per_second < 0)) {
    std::fprintf(stderr, "gridledger %s: --max_apply_rate: must be events per second, 0 or more\n",
                 command.c_str());
    return 2;
  }
  std::string checkpoint_key;
  int64_t checkpoint_every_s = 3600;
  if (flags->count("checkpoint_key") != flags->count("checkpoint_dir") ||
      (flags->count("checkpoint_every_s") &&
       (!absl::SimpleAtoi(flags->at("checkpoint_every_s"), &checkpoint_every_s) ||
        checkpoint_every_s < 1))) {
    std::fprintf(stderr,
                 "gridledger %s: --checkpoint_key and --checkpoint_dir go together; "
                 "--checkpoint_every_s must be 1 or more seconds\n",
                 command.c_str());
    return 2;
  }
  if (flags->count("checkpoint_key")) {
    absl::StatusOr<std::string> key = ReadFile("checkpoint_key", flags->at("checkpoint_key"));
    absl::Status usable = key.ok() ? Ed25519PublicOf(*key).status() : key.status();
    if (!usable.ok()) {
      std::fprintf(stderr, "gridledger %s: --checkpoint_key: %s\n", command.c_str(),
                   std::string(usable.message()).c_str());
      return 2;
    }
    checkpoint_key = *std::move(key);
  }
  if (runner_options.max_events_per_second > 0) {
    runner_options.chunk_events =
        std::clamp<int64_t>(runner_options.max_events_per_second / 20, 1, 2048);
  }
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
  const bool tls = flags->count("tls_cert") > 0 || flags->count("tls_key") > 0;
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (tls) {
    absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> loaded = TlsCredentials(*flags);
    if (!loaded.ok()) {
      std::fprintf(stderr, "gridledger serve: %s\n",
                   std::string(loaded.status().message()).c_str());
      return 2;
    }
    credentials = *std::move(loaded);
  } else if (flags->count("tls_client_ca")) {
    std::fprintf(stderr, "gridledger serve: --tls_client_ca needs --tls_cert and --tls_key\n");
    return 2;
  }
  if (!tls && !IsLoopbackHost(HostOf(listen)) && !allow_remote) {
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
  sigaddset(&signals, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  absl::StatusOr<std::unique_ptr<eventstore::EventStore>> store =
      eventstore::OpenEventStore(store_uri);
  if (!store.ok()) {
    std::fprintf(stderr, "gridledger %s: %s\n", command.c_str(), store.status().ToString().c_str());
    return 1;
  }

  absl::StatusOr<std::unique_ptr<projections::ViewHost>> view_host =
      projections::ViewHost::Open(store->get(), view_dir, *std::move(views), runner_options);
  if (!view_host.ok()) {
    std::fprintf(stderr, "gridledger %s: views in %s: %s\n", command.c_str(), view_dir.c_str(),
                 view_host.status().ToString().c_str());
    return 1;
  }
  (*view_host)->Start();
  std::unique_ptr<CheckpointExporter> exporter;
  if (!checkpoint_key.empty()) {
    exporter = std::make_unique<CheckpointExporter>(store->get(), StoreLabel(store_uri),
                                                    checkpoint_key, flags->at("checkpoint_dir"),
                                                    absl::Seconds(checkpoint_every_s));
    exporter->Start();
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
  projections::LedgerQueryService ledger_query(view_host->get(), &tokens);
  projections::AssetQueryService asset_query(view_host->get(), &tokens);
  projections::KpiQueryService kpi_query(view_host->get(), &tokens);
  projections::ViewAdminService view_admin(view_host->get(), &tokens);
  builder.RegisterService(&ledger_query);
  builder.RegisterService(&asset_query);
  builder.RegisterService(&kpi_query);
  builder.RegisterService(&view_admin);
  gateway::EventGatewayService event_gateway(store->get(), &tokens);
  if (!project_only) builder.RegisterService(&event_gateway);
  int port = 0;
  builder.AddListeningPort(listen, credentials, &port);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::fprintf(stderr, "gridledger serve: cannot listen on %s\n", listen.c_str());
    return 1;
  }
  const std::string host = HostOf(listen);
  std::printf("gridledger: %s on %s:%d%s store %s views %s\n",
              project_only ? "projecting" : "serving",
              host.find(':') != std::string::npos ? ("[" + host + "]").c_str() : host.c_str(), port,
              !tls                            ? ""
              : flags->count("tls_client_ca") ? " (mutual TLS)"
                                              : " (TLS)",
              store_uri.c_str(), view_dir.c_str());
  std::fflush(stdout);

  const int signal_number = WaitForTerminationSignal([&exporter] {
    if (exporter) exporter->ExportNow();
  });
  std::fprintf(stderr, "gridledger serve: signal %d, shutting down\n", signal_number);
  health.SetShuttingDown();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  server->Wait();
  exporter.reset();
  (*view_host)->Stop();
  view_host->reset();
  store->reset();  // closes the store after the last request
  return 0;
}

}  // namespace gridledger::cli
