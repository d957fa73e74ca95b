// One GridLedger server process, as `gridledger serve` and `gridledger
// project` run it: the event store, the views and their query services, the
// units' command services (serve only), the EventGateway (serve only),
// grpc.health.v1 and reflection, TLS, and signed chain checkpoints on a
// schedule; and the orderly shutdown of all of it.
//
//   ServeOptions options;
//   options.store = *eventstore::StoreUri::Parse("embedded:/var/lib/gl");
//   GL_ASSIGN_OR_RETURN(std::unique_ptr<Server> server, Server::Start(std::move(options)));
//   std::puts(server->Banner().c_str());
//   … wait for a signal …
//   server->Shutdown();
//
// Start's errors: INVALID_ARGUMENT naming the option (--flag) that is wrong
// (a usage error); the store's own errors when it cannot be opened
// (UNAVAILABLE, FAILED_PRECONDITION "locked", DATA_LOSS); UNAVAILABLE when
// the address cannot be bound. Thread-safe.
#ifndef GRIDLEDGER_SERVER_SERVER_H_
#define GRIDLEDGER_SERVER_SERVER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "eventstore/store_uri.h"
#include "rocksdb/env.h"
#include "server/metrics_endpoint.h"

namespace gridledger::server {

inline constexpr char kAllServiceNames[] = "customer,billing,metering,marketing";

struct ServeOptions {
  eventstore::StoreUri store;
  // HOST:PORT; port 0 picks a free one (see Server::port).
  std::string listen = "127.0.0.1:50051";
  // `project`: views and their queries only, no command services and no
  // EventGateway; on Kafka it writes under a writer id of its own so it
  // never fences the API's writer.
  bool project_only = false;
  // Comma-separated units whose command services to serve (serve only).
  std::string services = kAllServiceNames;
  // The bearer-token file (services/common/auth.h); empty: every call is
  // UNAUTHENTICATED (Start warns on stderr). Watched: a change takes effect
  // within tokens_poll.
  std::string tokens_file;
  absl::Duration tokens_poll = absl::Seconds(1);
  // Comma-separated views ("ledger,assets,kpi,planning,supervision"; "none" for
  // none) and where their RocksDBs live (empty: DefaultViewDirectory(store)).
  // The supervision view appends the alerts it decides to the store.
  std::string views = "ledger,assets,kpi,planning,supervision";
  std::string view_dir;
  // serve: records a clock tick every clock_tick_s (the supervision rules'
  // time; server/clock_ticker.h); 0: none (ticks come from RecordClockTick).
  int64_t clock_tick_s = 60;
  // Caps each view's catch-up, events/s; 0: no cap.
  int64_t max_apply_rate = 0;
  // A signed checkpoint at start, every checkpoint_every_s and on
  // ExportCheckpointNow(); key and directory go together.
  std::string checkpoint_key_file;
  std::string checkpoint_dir;
  int64_t checkpoint_every_s = 3600;
  // Public keys (PEM files) whose damage acknowledgements the store honours
  // (`gridledger acknowledge`); the checkpoint key's public half is trusted
  // too. A log holding one signed by another key is refused at start.
  std::vector<std::string> trusted_key_files;
  // The writer's Ed25519 private key (serve only): every group commit is
  // signed with it (verify --writer_key checks). Empty: records unsigned.
  std::string writer_key_file;
  // TLS from PEM files (cert and key go together); with a client CA, mutual TLS.
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
  // Plaintext off loopback is refused unless this is set.
  bool insecure_allow_remote = false;
  // Connections: one with no call for idle_connection_s is closed; a
  // connection must finish its TLS/HTTP2 handshake within
  // handshake_timeout_s (so unauthenticated sockets are not held); at most
  // max_streams_per_connection calls run at once on one connection.
  int64_t idle_connection_s = 300;
  int64_t handshake_timeout_s = 10;
  int64_t max_streams_per_connection = 100;
  // Live EventGateway subscriptions one principal may hold at once (across
  // connections); one more is refused RESOURCE_EXHAUSTED.
  int64_t max_subscriptions_per_principal = 64;
  // Calls one principal may have in flight at once across its connections
  // (unary and streaming, subscriptions included); one more is refused
  // RESOURCE_EXHAUSTED until one ends.
  int64_t max_calls_per_principal = 512;
  // Kafka only: this process as one instance of a cluster (docs/ARCHITECTURE.md,
  // "Partition ownership"). With an instance name, advertise (HOST:PORT other
  // instances reach this one at) and the cluster secret file are required.
  std::string instance;
  std::string advertise;
  std::string cluster_secret_file;
  int64_t session_timeout_ms = 10000;
  int64_t handover_wait_ms = 15000;
  // The instance's owner state (empty: ./gridledger-state/<prefix>-<instance>).
  std::string state_dir;
  // HOST:PORT of a plaintext HTTP endpoint serving Prometheus metrics at
  // /metrics (server/metrics_endpoint.h); empty: none.
  std::string metrics_listen;
  // HOST:PORT of a second, plaintext gRPC port with grpc.health.v1 alone
  // (Kubernetes' gRPC probes speak no TLS); empty: none.
  std::string health_listen;
  // One log line per gRPC call (common/log.h; method, code, time, peer).
  bool access_log = false;
  // The version gridledger_build_info names.
  std::string version = "unknown";
  // Embedded store only: the RocksDB environment to open it in; null (the
  // default, and what `serve` uses) is the real file system. Tests inject
  // disk faults through it.
  std::shared_ptr<rocksdb::Env> embedded_env;

  explicit ServeOptions(eventstore::StoreUri store_uri) : store(std::move(store_uri)) {}
};

// Where a store's views live by default: the embedded store's path +
// "-views", or ./gridledger-views/<topic prefix> on Kafka.
std::string DefaultViewDirectory(const eventstore::StoreUri& store);

// Everything Server::Start checks of `options` before it opens anything, for
// `--check_config`: views and services named, listen addresses (syntax),
// TLS files readable and the certificate paired with its key, the
// checkpoint key usable and with its directory, the tokens file, the writer
// and trusted keys, the cluster flags together. INVALID_ARGUMENT naming the
// flag. Reads the files it names; opens no store and binds no port.
absl::Status CheckServeOptions(const ServeOptions& options);

// True for 127.0.0.0/8, ::1 and localhost.
bool IsLoopbackHost(const std::string& host);

class Server {
 public:
  static absl::StatusOr<std::unique_ptr<Server>> Start(ServeOptions options);
  ~Server();  // Shutdown()

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The port bound (the one chosen when `listen` asked for 0).
  int port() const;
  // The metrics and health ports bound; 0 without --metrics_listen or
  // --health_listen.
  int metrics_port() const;
  int health_port() const;
  // "gridledger: serving on HOST:PORT[ (TLS)] store URI views DIR"
  // ("projecting" for project_only), then " metrics on HOST:PORT" and
  // " health on HOST:PORT" when they are served.
  std::string Banner() const;
  // Writes a signed checkpoint now (no-op without a checkpoint key).
  void ExportCheckpointNow();
  // Reloads the tokens file now (serve calls it on SIGHUP; the file is also
  // watched and reloaded within a second of a change). On error the tokens
  // in force stay; no-op without a tokens file.
  absl::Status ReloadTokens();
  // Health answers NOT_SERVING, calls get 5 s to finish, then the exporter,
  // the views and the store close, in that order. Idempotent.
  void Shutdown();

 private:
  struct Parts;
  explicit Server(std::unique_ptr<Parts> parts);
  // The gauges the metrics endpoint asks for at each scrape.
  std::vector<GaugeSample> SampleGauges() const;

  std::unique_ptr<Parts> parts_;
};

}  // namespace gridledger::server

#endif  // GRIDLEDGER_SERVER_SERVER_H_
