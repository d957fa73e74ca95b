#include "server/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <netdb.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <map>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "common/ed25519.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "domain/common/validation.h"
#include "eventstore/cluster.h"
#include "eventstore/event_store_factory.h"
#include "projections/runtime/view_host.h"
#include "projections/views/all_views.h"
#include "server/audit_files.h"
#include "server/call_observer.h"
#include "server/checkpoint_exporter.h"
#include "server/clock_ticker.h"
#include "server/cluster_service.h"
#include "server/health_service.h"
#include "server/metrics_endpoint.h"
#include "server/parse_error_interceptor.h"
#include "server/store_monitor.h"
#include "server/token_watcher.h"
#include "services/billing_center/billing_service.h"
#include "services/common/auth.h"
#include "services/customer_service/customer_service.h"
#include "services/event_gateway/event_gateway_service.h"
#include "services/marketing_department/marketing_service.h"
#include "services/marketing_department/supervision_commands.h"
#include "services/metering_center/metering_service.h"
#include "services/query/query_service.h"

namespace gridledger::server {
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

// INVALID_ARGUMENT naming `flag` unless `address` is HOST:PORT (IPv6 as
// [HOST]:PORT) with a numeric port of 0-65535 and a host that resolves.
absl::Status CheckListenSyntax(absl::string_view flag, const std::string& address) {
  const size_t colon = address.rfind(':');
  const std::string host = HostOf(address);
  int port = -1;
  if (colon == std::string::npos || host.empty() ||
      !absl::SimpleAtoi(absl::string_view(address).substr(colon + 1), &port) || port < 0 ||
      port > 65535 || address.find(' ') != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, ": \"", address, "\" is not HOST:PORT (a port of 0-65535; IPv6 as [::1]:PORT)"));
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), address.substr(colon + 1).c_str(), &hints, &found) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": \"", address, "\": host ", host, " does not resolve"));
  }
  freeaddrinfo(found);
  return absl::OkStatus();
}

// FAILED_PRECONDITION when another process listens on `listen` already
// (port 0 always passes). Checked before the store is opened: on Kafka a
// second `serve` with the same writer id would otherwise fence the running
// one before failing to bind.
absl::Status CheckListenAddressFree(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return absl::OkStatus();  // gRPC names the error
  const std::string port = listen.substr(colon + 1);
  if (port == "0") return absl::OkStatus();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string host = HostOf(listen);
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0) return absl::OkStatus();
  absl::Status status;
  for (addrinfo* a = found; a != nullptr && status.ok(); a = a->ai_next) {
    const int fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd < 0) continue;
    const int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);  // as gRPC binds
    if (bind(fd, a->ai_addr, a->ai_addrlen) != 0 && errno == EADDRINUSE) {
      status = absl::FailedPreconditionError(
          absl::StrCat("--listen: ", listen,
                       " is in use by another process (is a server running there "
                       "already?); nothing was opened"));
    }
    close(fd);
  }
  freeaddrinfo(found);
  return status;
}

// What the options make of the network side: credentials and how to name them.
struct Transport {
  std::shared_ptr<grpc::ServerCredentials> credentials;
  std::string label;  // "", " (TLS)", " (mutual TLS)"
};

// OK when `cert_pem` holds a certificate whose public key is that of the
// private key `key_pem`; else why not (gRPC would refuse the pair only when
// it binds, after the store was opened).
absl::Status CheckCertificateKeyPair(const std::string& cert_pem, const std::string& key_pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> cert_bio(
      BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())), &BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr), &X509_free);
  if (cert == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError("the certificate is not a PEM certificate");
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> key_bio(
      BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())), &BIO_free);
  // No passphrase (OpenSSL's default would prompt on the terminal): an
  // encrypted key is refused like any key it cannot read.
  pem_password_cb* no_passphrase = [](char*, int, int, void*) { return 0; };
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, no_passphrase, nullptr), &EVP_PKEY_free);
  if (key == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        "the key is not an unencrypted PEM private key (gRPC takes no passphrase)");
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError("the key is not the certificate's (they do not pair)");
  }
  return absl::OkStatus();
}

// TLS from PEM files; with a client CA, clients must present a certificate
// signed by it (mutual TLS). Plaintext only on loopback unless allowed.
absl::StatusOr<Transport> LoadTransport(const ServeOptions& options) {
  const bool tls = !options.tls_cert_file.empty() || !options.tls_key_file.empty();
  if (!tls) {
    if (!options.tls_client_ca_file.empty()) {
      return absl::InvalidArgumentError("--tls_client_ca needs --tls_cert and --tls_key");
    }
    if (!IsLoopbackHost(HostOf(options.listen)) && !options.insecure_allow_remote) {
      return absl::InvalidArgumentError(
          absl::StrCat("--listen ", options.listen,
                       ": plaintext is only allowed on loopback; pass --insecure_allow_remote "
                       "to force it"));
    }
    return Transport{grpc::InsecureServerCredentials(), ""};
  }
  if (options.tls_cert_file.empty() || options.tls_key_file.empty()) {
    return absl::InvalidArgumentError("--tls_cert and --tls_key go together");
  }
  GL_ASSIGN_OR_RETURN(std::string cert, ReadWholeFile("tls_cert", options.tls_cert_file));
  GL_ASSIGN_OR_RETURN(std::string key, ReadWholeFile("tls_key", options.tls_key_file));
  if (absl::Status pair = CheckCertificateKeyPair(cert, key); !pair.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--tls_cert ", options.tls_cert_file,
                                                   " and --tls_key ", options.tls_key_file, ": ",
                                                   pair.message()));
  }
  grpc::SslServerCredentialsOptions ssl;
  ssl.pem_key_cert_pairs.push_back({key, cert});
  if (options.tls_client_ca_file.empty()) {
    return Transport{grpc::SslServerCredentials(ssl), " (TLS)"};
  }
  GL_ASSIGN_OR_RETURN(ssl.pem_root_certs,
                      ReadWholeFile("tls_client_ca", options.tls_client_ca_file));
  ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  return Transport{grpc::SslServerCredentials(ssl), " (mutual TLS)"};
}

absl::StatusOr<std::set<std::string>> ServicesNamed(const ServeOptions& options) {
  std::set<std::string> enabled;
  if (options.project_only) return enabled;
  for (absl::string_view name : absl::StrSplit(options.services, ',', absl::SkipEmpty())) {
    if (name != "metering" && name != "billing" && name != "customer" && name != "marketing") {
      return absl::InvalidArgumentError(
          absl::StrCat("--services: unknown service \"", name,
                       "\"; available: customer, billing, metering, marketing"));
    }
    enabled.insert(std::string(name));
  }
  return enabled;
}

// The private key, checked usable before anything starts; empty without one.
absl::StatusOr<std::string> LoadCheckpointKey(const ServeOptions& options) {
  if (options.checkpoint_key_file.empty() != options.checkpoint_dir.empty()) {
    return absl::InvalidArgumentError("--checkpoint_key and --checkpoint_dir go together");
  }
  if (options.checkpoint_every_s < 1) {
    return absl::InvalidArgumentError("--checkpoint_every_s: must be 1 or more seconds");
  }
  if (options.checkpoint_key_file.empty()) return std::string();
  absl::StatusOr<std::string> key = ReadWholeFile("checkpoint_key", options.checkpoint_key_file);
  absl::Status usable = key.ok() ? Ed25519PublicOf(*key).status() : key.status();
  if (!usable.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--checkpoint_key: ", usable.message()));
  }
  return key;
}

absl::StatusOr<service::TokenRegistry> LoadTokens(const ServeOptions& options) {
  if (options.tokens_file.empty()) {
    log::Warning("server.no_tokens",
                 "gridledger: no --tokens file: every call will be UNAUTHENTICATED "
                 "(make one with `gridledger token`)");
    return service::TokenRegistry();
  }
  absl::StatusOr<service::TokenRegistry> loaded =
      service::TokenRegistry::LoadFile(options.tokens_file);
  if (!loaded.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--tokens: ", loaded.status().message()));
  }
  return loaded;
}

// How this instance calls the others: as it serves (plaintext, or TLS
// trusting the client CA, else its own certificate, and presenting its own).
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> PeerCredentials(
    const ServeOptions& options) {
  if (options.tls_cert_file.empty()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  GL_ASSIGN_OR_RETURN(ssl.pem_cert_chain, ReadWholeFile("tls_cert", options.tls_cert_file));
  GL_ASSIGN_OR_RETURN(ssl.pem_private_key, ReadWholeFile("tls_key", options.tls_key_file));
  GL_ASSIGN_OR_RETURN(
      ssl.pem_root_certs,
      ReadWholeFile(
          options.tls_client_ca_file.empty() ? "tls_cert" : "tls_client_ca",
          options.tls_client_ca_file.empty() ? options.tls_cert_file : options.tls_client_ca_file));
  return grpc::SslCredentials(ssl);
}

// The store's options: a cluster instance's name, address, timeouts and
// forwarder when --instance is given (and its secret in *secret).
absl::StatusOr<eventstore::StoreOptions> StoreOptionsFor(const ServeOptions& options,
                                                         std::string* secret) {
  eventstore::StoreOptions store_options;
  // A projection process only reads: it never fences the API's writer and
  // runs beside a live `serve` on the embedded store too.
  store_options.read_only = options.project_only;
  store_options.embedded_env = options.embedded_env;
  for (const std::string& file : options.trusted_key_files) {
    GL_ASSIGN_OR_RETURN(std::string pem, ReadWholeFile("trusted_key", file));
    store_options.trusted_acknowledgement_keys.push_back(std::move(pem));
  }
  if (!options.writer_key_file.empty()) {
    if (options.project_only) {
      return absl::InvalidArgumentError("--writer_key: `project` writes no events");
    }
    GL_ASSIGN_OR_RETURN(std::string writer_pem,
                        ReadWholeFile("writer_key", options.writer_key_file));
    absl::StatusOr<std::shared_ptr<const Ed25519Signer>> signer =
        Ed25519Signer::FromPem(writer_pem);
    if (!signer.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--writer_key: ", options.writer_key_file, ": ", signer.status().message()));
    }
    store_options.writer_signer = *std::move(signer);
  }
  if (!options.checkpoint_key_file.empty()) {
    GL_ASSIGN_OR_RETURN(std::string private_pem,
                        ReadWholeFile("checkpoint_key", options.checkpoint_key_file));
    GL_ASSIGN_OR_RETURN(std::string public_pem, Ed25519PublicOf(private_pem));
    store_options.trusted_acknowledgement_keys.push_back(std::move(public_pem));
  }
  if (options.instance.empty()) {
    if (!options.advertise.empty() || !options.cluster_secret_file.empty()) {
      return absl::InvalidArgumentError("--advertise and --cluster_secret need --instance");
    }
    return store_options;
  }
  if (options.project_only) {
    return absl::InvalidArgumentError("--instance: only `serve` instances own partitions");
  }
  if (!options.store.is_kafka()) {
    return absl::InvalidArgumentError(
        "--instance: a cluster instance needs a Kafka store (--store kafka://…)");
  }
  GL_RETURN_IF_ERROR(domain::CheckId("--instance", options.instance));
  if (options.advertise.empty() || options.advertise.find(':') == std::string::npos) {
    return absl::InvalidArgumentError(
        "--advertise: required with --instance: the HOST:PORT other instances reach this one at");
  }
  if (options.cluster_secret_file.empty()) {
    return absl::InvalidArgumentError(
        "--cluster_secret: required with --instance: a file whose first line is the secret "
        "every instance of the deployment shares");
  }
  if (options.session_timeout_ms < 6000 || options.handover_wait_ms < 0) {
    return absl::InvalidArgumentError(
        "--session_timeout_s: at least 6 s (the broker's default group.min.session.timeout.ms); "
        "--handover_wait_ms: not negative");
  }
  GL_ASSIGN_OR_RETURN(*secret, LoadClusterSecret(options.cluster_secret_file));
  GL_ASSIGN_OR_RETURN(std::shared_ptr<grpc::ChannelCredentials> credentials,
                      PeerCredentials(options));
  auto cluster = std::make_shared<eventstore::ClusterOptions>();
  cluster->instance = options.instance;
  cluster->advertise = options.advertise;
  cluster->session_timeout_ms = options.session_timeout_ms;
  cluster->handover_wait_ms = options.handover_wait_ms;
  cluster->state_dir = options.state_dir.empty()
                           ? absl::StrCat("./gridledger-state/", options.store.kafka().topic_prefix,
                                          "-", options.instance)
                           : options.state_dir;
  // One forwarded call may wait this long: an owner that hangs (paused, cut
  // off) loses its partitions after the session timeout, so the call tries
  // again (the command id makes that safe) and finds the new owner within
  // the handover wait instead of spending all of it on the hung one.
  const int64_t attempt_ms = std::clamp<int64_t>(options.session_timeout_ms / 2, 2000,
                                                 std::max<int64_t>(options.handover_wait_ms, 2000));
  cluster->forwarder =
      std::make_shared<GrpcOwnerForwarder>(*secret, std::move(credentials), attempt_ms);
  store_options.cluster = std::move(cluster);
  return store_options;
}

projections::RunnerOptions RunnerOptionsFor(const ServeOptions& options) {
  projections::RunnerOptions runner;
  runner.max_events_per_second = options.max_apply_rate;
  if (runner.max_events_per_second > 0) {
    runner.chunk_events = std::clamp<int64_t>(runner.max_events_per_second / 20, 1, 2048);
  }
  return runner;
}

}  // namespace

std::string DefaultViewDirectory(const eventstore::StoreUri& store) {
  if (store.is_embedded()) return store.embedded_path() + "-views";
  return "./gridledger-views/" + store.kafka().topic_prefix;
}

bool IsLoopbackHost(const std::string& host) {
  return host == "localhost" || host == "::1" || absl::StartsWith(host, "127.");
}

// Everything a running server owns, in the order it is built (and the
// reverse of the order it is torn down).
struct Server::Parts {
  ServeOptions options;
  std::string view_dir;
  std::string transport_label;
  service::TokenRegistry tokens;
  // Per-principal calls in flight (--max_calls_per_principal): admitted by
  // Authenticate through `tokens`, freed by the call observer.
  std::unique_ptr<service::CallAdmission> admission;
  std::unique_ptr<TokenWatcher> token_watcher;
  std::string cluster_secret;
  std::unique_ptr<eventstore::EventStore> store;
  std::unique_ptr<projections::ViewHost> view_host;
  std::unique_ptr<CheckpointExporter> exporter;
  std::unique_ptr<ClockTicker> clock;  // serve with --clock_tick_s > 0
  std::unique_ptr<StoreMonitor> monitor;
  std::unique_ptr<HealthService> health;
  std::vector<std::unique_ptr<grpc::Service>> services;
  gateway::EventGatewayService* event_gateway = nullptr;  // in services; null for `project`
  std::unique_ptr<grpc::Server> grpc_server;
  int port = 0;
  std::unique_ptr<grpc::Server> health_server;  // --health_listen
  int health_port = 0;
  std::unique_ptr<MetricsEndpoint> metrics;  // --metrics_listen
  absl::Mutex shutdown_mu;
  bool shut_down ABSL_GUARDED_BY(shutdown_mu) = false;

  explicit Parts(ServeOptions o) : options(std::move(o)) {}

  // --health_listen: grpc.health.v1 alone, plaintext (kubelet's gRPC probes
  // speak no TLS, and health tells nothing a probe may not know).
  absl::Status StartHealthPort() {
    if (options.health_listen.empty()) return absl::OkStatus();
    GL_RETURN_IF_ERROR(CheckListenAddressFree(options.health_listen));
    grpc::ServerBuilder builder;
    builder.RegisterService(health.get());
    builder.AddListeningPort(options.health_listen, grpc::InsecureServerCredentials(),
                             &health_port);
    builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS,
                               static_cast<int>(options.idle_connection_s * 1000));
    health_server = builder.BuildAndStart();
    if (health_server == nullptr || health_port == 0) {
      return absl::UnavailableError(
          absl::StrCat("--health_listen: cannot listen on ", options.health_listen));
    }
    return absl::OkStatus();
  }

  // The command services the options ask for, the query services over the
  // views, and (serve only) the EventGateway.
  void AddServices(const std::set<std::string>& enabled) {
    eventstore::EventStore* s = store.get();
    if (enabled.count("metering")) {
      services.push_back(std::make_unique<metering::MeteringService>(s, &tokens));
    }
    if (enabled.count("billing")) {
      services.push_back(std::make_unique<billing::BillingService>(s, &tokens));
    }
    if (enabled.count("customer")) {
      services.push_back(std::make_unique<customer::CustomerService>(s, &tokens));
    }
    if (enabled.count("marketing")) {
      services.push_back(
          std::make_unique<marketing::MarketingService>(s, &tokens, view_host.get()));
    }
    projections::ViewHost* views = view_host.get();
    services.push_back(std::make_unique<query::LedgerQueryService>(views, &tokens));
    services.push_back(std::make_unique<query::AssetQueryService>(views, &tokens));
    services.push_back(std::make_unique<query::KpiQueryService>(views, &tokens));
    services.push_back(std::make_unique<query::SupervisionQueryService>(views, &tokens));
    services.push_back(std::make_unique<query::PlanningQueryService>(views, &tokens));
    services.push_back(std::make_unique<query::OutageQueryService>(views, &tokens));
    services.push_back(std::make_unique<query::ViewAdminService>(views, &tokens));
    if (!options.project_only) {
      auto gateway = std::make_unique<gateway::EventGatewayService>(
          s, &tokens, options.max_subscriptions_per_principal);
      event_gateway = gateway.get();
      services.push_back(std::move(gateway));
    }
    if (eventstore::ClusterMember* member = store->cluster()) {
      services.push_back(std::make_unique<ClusterService>(member, &tokens, cluster_secret));
    }
  }
};

namespace {

void AddRocksDbSamples(const std::vector<RocksDbStats>& databases,
                       std::vector<GaugeSample>& samples) {
  for (const RocksDbStats& db : databases) {
    const std::map<std::string, std::string> labels = {{"db", db.name}};
    samples.push_back({"gridledger_rocksdb_live_sst_bytes", "Bytes in a RocksDB's live SST files",
                       labels, static_cast<double>(db.live_sst_bytes)});
    samples.push_back({"gridledger_rocksdb_memtable_bytes", "Bytes in a RocksDB's memtables",
                       labels, static_cast<double>(db.memtable_bytes)});
    samples.push_back({"gridledger_rocksdb_pending_compaction_bytes",
                       "Bytes RocksDB estimates compaction must still rewrite", labels,
                       static_cast<double>(db.pending_compaction_bytes)});
    samples.push_back({"gridledger_rocksdb_write_stopped",
                       "1 while RocksDB stops writes (a stall), else 0", labels,
                       db.write_stopped ? 1.0 : 0.0});
    samples.push_back({"gridledger_rocksdb_delayed_write_rate_bytes",
                       "Write rate RocksDB slows writes to, bytes/s (0: not delayed)", labels,
                       static_cast<double>(db.delayed_write_rate)});
  }
}

void AddViewSamples(const projections::ViewHost& views, std::vector<GaugeSample>& samples) {
  absl::StatusOr<std::vector<v1::ViewStatus>> statuses = views.Statuses();
  if (!statuses.ok()) return;
  for (const v1::ViewStatus& view : *statuses) {
    const std::map<std::string, std::string> labels = {{"view", view.name()}};
    samples.push_back({"gridledger_view_lag_events",
                       "Log end minus the view's applied position (offsets, all partitions)",
                       labels, static_cast<double>(view.lag())});
    samples.push_back({"gridledger_view_generation", "The view's generation (rises per rebuild)",
                       labels, static_cast<double>(view.generation())});
    samples.push_back({"gridledger_view_rebuilding", "1 while the view is being rebuilt", labels,
                       view.rebuilding() ? 1.0 : 0.0});
    samples.push_back({"gridledger_view_failed", "1 when the view stopped on an error", labels,
                       view.error().empty() ? 0.0 : 1.0});
    for (const v1::Position& position : view.applied().next()) {
      samples.push_back({"gridledger_view_applied_offset",
                         "The next offset the view reads, per partition",
                         {{"view", view.name()}, {"partition", position.partition()}},
                         static_cast<double>(position.offset())});
    }
  }
}

}  // namespace

std::vector<GaugeSample> Server::SampleGauges() const {
  const Parts& p = *parts_;
  std::vector<GaugeSample> samples;
  samples.push_back(
      {"gridledger_build_info",
       "1, labelled with the running build",
       {{"version", p.options.version}, {"role", p.options.project_only ? "project" : "serve"}},
       1});
  samples.push_back({"gridledger_store_writable",
                     p.options.project_only ? "1 while the store answers reads, else 0"
                                            : "1 while the event store can write, else 0",
                     {},
                     p.monitor->Current().writable.ok() ? 1.0 : 0.0});
  if (p.event_gateway != nullptr) {
    samples.push_back({"gridledger_subscribers",
                       "Live EventGateway subscriptions",
                       {},
                       static_cast<double>(p.event_gateway->LiveSubscriptions())});
  }
  if (eventstore::ClusterMember* member = p.store->cluster()) {
    if (absl::StatusOr<v1::ClusterStatusReply> status = member->Status(); status.ok()) {
      int64_t owned = 0;
      for (const v1::PartitionStatus& partition : status->partitions()) {
        owned += partition.owned_here() ? 1 : 0;
      }
      samples.push_back({"gridledger_kafka_owned_partitions",
                         "Partitions this instance writes now",
                         {},
                         static_cast<double>(owned)});
    }
  }
  AddViewSamples(*p.view_host, samples);
  AddRocksDbSamples(p.store->StorageStats(), samples);
  AddRocksDbSamples(p.view_host->StorageStats(), samples);
  return samples;
}

absl::Status CheckServeOptions(const ServeOptions& o) {
  GL_ASSIGN_OR_RETURN(auto views, projections::ViewsNamed(o.views));
  if (o.clock_tick_s < 0) {
    return absl::InvalidArgumentError("--clock_tick_s: must be 0 (no clock) or more");
  }
  if (o.project_only && views.empty()) {
    return absl::InvalidArgumentError("--views: name at least one view");
  }
  GL_RETURN_IF_ERROR(ServicesNamed(o).status());
  GL_RETURN_IF_ERROR(LoadCheckpointKey(o).status());
  if (o.max_calls_per_principal < 1) {
    return absl::InvalidArgumentError("--max_calls_per_principal: must be 1 or more");
  }
  GL_RETURN_IF_ERROR(CheckListenSyntax("--listen", o.listen));
  if (!o.metrics_listen.empty()) {
    GL_RETURN_IF_ERROR(CheckListenSyntax("--metrics_listen", o.metrics_listen));
  }
  if (!o.health_listen.empty()) {
    GL_RETURN_IF_ERROR(CheckListenSyntax("--health_listen", o.health_listen));
  }
  GL_RETURN_IF_ERROR(LoadTransport(o).status());
  if (!o.tokens_file.empty()) GL_RETURN_IF_ERROR(LoadTokens(o).status());
  std::string secret;
  return StoreOptionsFor(o, &secret).status();
}

absl::StatusOr<std::unique_ptr<Server>> Server::Start(ServeOptions options) {
  GL_RETURN_IF_ERROR(CheckServeOptions(options));
  auto parts = std::make_unique<Parts>(std::move(options));
  const ServeOptions& o = parts->options;
  // The supervision engine records its alerts through the command path.
  GL_ASSIGN_OR_RETURN(
      auto views,
      projections::ViewsNamed(
          o.views, [p = parts.get()](const std::vector<projections::AlertAction>& actions) {
            return marketing::RecordEngineAlerts(*p->store, actions);
          }));
  if (o.project_only && views.empty()) {
    return absl::InvalidArgumentError("--views: name at least one view");
  }
  GL_ASSIGN_OR_RETURN(const std::set<std::string> enabled, ServicesNamed(o));
  GL_ASSIGN_OR_RETURN(const std::string checkpoint_key, LoadCheckpointKey(o));
  GL_ASSIGN_OR_RETURN(Transport transport, LoadTransport(o));
  GL_ASSIGN_OR_RETURN(parts->tokens, LoadTokens(o));
  parts->admission = std::make_unique<service::CallAdmission>(o.max_calls_per_principal);
  parts->tokens.AttachAdmission(parts->admission.get());
  parts->transport_label = transport.label;
  if (!o.tokens_file.empty()) {
    parts->token_watcher =
        std::make_unique<TokenWatcher>(&parts->tokens, o.tokens_file, o.tokens_poll);
  }
  parts->view_dir = o.view_dir.empty() ? DefaultViewDirectory(o.store) : o.view_dir;
  if (o.view_dir.empty() && !o.instance.empty()) parts->view_dir += "-" + o.instance;

  GL_ASSIGN_OR_RETURN(eventstore::StoreOptions store_options,
                      StoreOptionsFor(o, &parts->cluster_secret));
  GL_RETURN_IF_ERROR(CheckListenAddressFree(o.listen));
  GL_ASSIGN_OR_RETURN(parts->store, eventstore::OpenEventStore(o.store, store_options));
  absl::StatusOr<std::unique_ptr<projections::ViewHost>> view_host =
      projections::ViewHost::Open(parts->store.get(), parts->view_dir, views, RunnerOptionsFor(o));
  if (!view_host.ok()) {
    return absl::Status(view_host.status().code(), absl::StrCat("views in ", parts->view_dir, ": ",
                                                                view_host.status().message()));
  }
  parts->view_host = *std::move(view_host);
  parts->view_host->Start();
  if (!o.project_only && o.clock_tick_s > 0) {
    parts->clock = std::make_unique<ClockTicker>(parts->store.get(), absl::Seconds(o.clock_tick_s));
  }
  if (!checkpoint_key.empty()) {
    parts->exporter =
        std::make_unique<CheckpointExporter>(parts->store.get(), o.store.Label(), checkpoint_key,
                                             o.checkpoint_dir, absl::Seconds(o.checkpoint_every_s));
    parts->exporter->Start();
  }

  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  parts->monitor = std::make_unique<StoreMonitor>(
      parts->store.get(),
      o.project_only ? StoreMonitor::Question::kReadable : StoreMonitor::Question::kWritable);
  parts->health = std::make_unique<HealthService>(parts->monitor.get());
  parts->AddServices(enabled);
  grpc::ServerBuilder builder;
  builder.RegisterService(parts->health.get());
  for (const std::unique_ptr<grpc::Service>& service : parts->services) {
    builder.RegisterService(service.get());
  }
  builder.AddListeningPort(o.listen, transport.credentials, &parts->port);
  // Bounded connections: idle ones closed, slow handshakes dropped, calls
  // per connection capped.
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS,
                             static_cast<int>(o.idle_connection_s * 1000));
  builder.AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS,
                             static_cast<int>(o.handshake_timeout_s * 1000));
  // Never share a port with another server (gRPC's default SO_REUSEPORT
  // would split clients between two stores).
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                             static_cast<int>(o.max_streams_per_connection));
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(NewCallObserverFactory(o.access_log, parts->admission.get()));
  interceptors.push_back(NewParseErrorInterceptorFactory());
  interceptors.push_back(NewStalenessInterceptorFactory(parts->monitor.get()));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  parts->grpc_server = builder.BuildAndStart();
  if (parts->grpc_server == nullptr || parts->port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", o.listen));
  }
  GL_RETURN_IF_ERROR(parts->StartHealthPort());
  std::unique_ptr<Server> server(new Server(std::move(parts)));
  if (!o.metrics_listen.empty()) {
    Server* serving = server.get();
    GL_ASSIGN_OR_RETURN(
        server->parts_->metrics,
        MetricsEndpoint::Start(o.metrics_listen, [serving] { return serving->SampleGauges(); }));
  }
  return server;
}

Server::Server(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

Server::~Server() { Shutdown(); }

int Server::port() const { return parts_->port; }

int Server::metrics_port() const { return parts_->metrics ? parts_->metrics->port() : 0; }

int Server::health_port() const { return parts_->health_port; }

std::string Server::Banner() const {
  const std::string host = HostOf(parts_->options.listen);
  return absl::StrCat(
      "gridledger: ", parts_->options.project_only ? "projecting" : "serving", " on ",
      host.find(':') != std::string::npos ? "[" + host + "]" : host, ":", parts_->port,
      parts_->transport_label, " store ", parts_->options.store.text(), " views ", parts_->view_dir,
      parts_->metrics ? absl::StrCat(" metrics on ", HostOf(parts_->options.metrics_listen), ":",
                                     parts_->metrics->port())
                      : "",
      parts_->health_server ? absl::StrCat(" health on ", HostOf(parts_->options.health_listen),
                                           ":", parts_->health_port)
                            : "");
}

void Server::ExportCheckpointNow() {
  if (parts_->exporter) parts_->exporter->ExportNow();
}

absl::Status Server::ReloadTokens() {
  if (!parts_->token_watcher) return absl::OkStatus();
  return parts_->token_watcher->ReloadNow();
}

void Server::Shutdown() {
  Parts& p = *parts_;
  {
    absl::MutexLock lock(&p.shutdown_mu);
    if (p.shut_down) return;
    p.shut_down = true;
  }
  p.health->SetShuttingDown();
  if (eventstore::ClusterMember* member = p.store->cluster()) member->BeginShutdown();
  // Subscriptions never end by themselves: they end now, UNAVAILABLE, and
  // their clients resume elsewhere from the last position they received.
  if (p.event_gateway != nullptr) p.event_gateway->EndSubscriptions();
  // Calls in flight may finish: on Kafka long enough for a transaction to
  // commit or time out (the store's timeout_ms), so an orderly stop does not
  // cancel a call whose append is still being decided by the broker; a call
  // still running after that is cancelled.
  const int64_t grace_ms = std::max<int64_t>(
      5000, p.options.store.is_embedded() ? 0 : p.options.store.kafka().timeout_ms + 2000);
  p.grpc_server->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(grace_ms));
  p.grpc_server->Wait();
  if (p.health_server) {
    p.health_server->Shutdown(std::chrono::system_clock::now());
    p.health_server->Wait();
  }
  p.metrics.reset();
  p.exporter.reset();
  p.clock.reset();
  p.view_host->Stop();
  p.services.clear();
  p.view_host.reset();
  p.health.reset();
  p.monitor.reset();
  p.store.reset();  // closes the store after the last request
  p.token_watcher.reset();
}

}  // namespace gridledger::server
