#include "cli/serve_command.h"

#include <signal.h>

#include <cstdio>
#include <memory>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "cli/command_line.h"
#include "cli/config_file.h"
#include "common/log.h"
#include "server/server.h"

namespace gridledger::cli {
namespace {

// The flags of serve and project, before they become ServeOptions.
struct ServeFlags {
  std::string store;  // required: no data lands in the working directory by default
  bool without_tokens = false;
  std::string log_format = "text";
  std::string config_file;    // --config: a TOML file of these flags
  bool check_config = false;  // --check_config: check the flags and the file, start nothing
  server::ServeOptions options{*eventstore::StoreUri::Parse("embedded:unset")};
};

// The safe defaults' checks, before anything is opened: where the data goes
// is always stated (the embedded store, Kafka's views and instance state),
// and serving without a tokens file takes an explicit flag.
absl::Status CheckSafeDefaults(const ServeFlags& flags) {
  const server::ServeOptions& o = flags.options;
  if (o.tokens_file.empty() && !flags.without_tokens) {
    return absl::InvalidArgumentError(
        "--tokens: required (a tokens file: `gridledger token --append FILE`); to serve with no "
        "tokens at all, where every call but health and reflection is refused UNAUTHENTICATED, "
        "pass --without_tokens");
  }
  if (!o.tokens_file.empty() && flags.without_tokens) {
    return absl::InvalidArgumentError("--without_tokens: contradicts --tokens; pass one of them");
  }
  if (o.store.is_kafka() && o.views != "none" && o.view_dir.empty()) {
    return absl::InvalidArgumentError(
        "--view_dir: required on Kafka when views are hosted (where their RocksDBs live), or "
        "--views none");
  }
  if (!o.instance.empty() && o.state_dir.empty()) {
    return absl::InvalidArgumentError(
        "--state_dir: required with --instance (where the instance keeps its owner state)");
  }
  return absl::OkStatus();
}

// Blocks the signals the server waits for before any thread starts, so only
// WaitForTerminationSignal receives them.
sigset_t BlockServerSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGUSR1);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

// Waits for SIGINT or SIGTERM; meanwhile each SIGUSR1 writes a checkpoint
// and each SIGHUP reloads the tokens file.
int WaitForTerminationSignal(const sigset_t& signals, server::Server& server) {
  while (true) {
    int received = 0;
    sigwait(&signals, &received);
    if (received == SIGUSR1) {
      server.ExportCheckpointNow();
    } else if (received == SIGHUP) {
      server.ReloadTokens().IgnoreError();  // reported on stderr; the old tokens stay
    } else {
      return received;
    }
  }
}

int Serve(const char* command, CLI::App& app, ServeFlags& flags) {
  if (!flags.config_file.empty()) {
    if (absl::Status applied = ApplyConfigFile(app, flags.config_file); !applied.ok()) {
      return Report(command, applied);
    }
  }
  if (flags.store.empty()) {
    return Report(command, absl::InvalidArgumentError(
                               "--store is required (embedded:PATH or kafka://HOST:PORT), on the "
                               "command line or as store = \"...\" in --config"));
  }
  absl::StatusOr<log::Format> log_format = log::ParseFormat("--log_format", flags.log_format);
  if (!log_format.ok()) return Report(command, log_format.status());
  log::SetFormat(*log_format);
  absl::StatusOr<eventstore::StoreUri> store = eventstore::StoreUri::Parse(flags.store);
  if (!store.ok()) return Report(command, store.status());
  flags.options.store = *std::move(store);
  if (absl::Status safe = CheckSafeDefaults(flags); !safe.ok()) return Report(command, safe);
  if (flags.check_config) {
    if (absl::Status checked = server::CheckServeOptions(flags.options); !checked.ok()) {
      return Report(command, checked);
    }
    std::printf("gridledger %s: configuration OK (store %s)\n", command,
                flags.options.store.Label().c_str());
    return kExitOk;
  }
  if (flags.without_tokens) {
    log::Warning("server.without_tokens",
                 absl::StrCat("gridledger ", command,
                              ": WARNING: serving WITHOUT TOKENS (--without_tokens): every call "
                              "but health and reflection is refused UNAUTHENTICATED"));
  }
  flags.options.version = GL_VERSION;
  const std::string store_label = flags.options.store.Label();
  const sigset_t signals = BlockServerSignals();
  absl::StatusOr<std::unique_ptr<server::Server>> server =
      server::Server::Start(std::move(flags.options));
  if (!server.ok()) return Report(command, server.status());
  // The banner: on stdout for people and scripts with text logs; with JSON
  // logs the server.start line carries it, so every line is JSON.
  if (*log_format == log::Format::kText) {
    std::printf("%s\n", (*server)->Banner().c_str());
    std::fflush(stdout);
  } else {
    log::Info("server.start", (*server)->Banner(),
              {{"command", command},
               {"port", (*server)->port()},
               {"metrics_port", (*server)->metrics_port()},
               {"health_port", (*server)->health_port()},
               {"store", store_label},
               {"version", GL_VERSION}});
  }
  const int signal_number = WaitForTerminationSignal(signals, **server);
  log::Info("server.stop",
            absl::StrCat("gridledger ", command, ": signal ", signal_number, ", shutting down"),
            {{"command", command}, {"signal", signal_number}});
  (*server)->Shutdown();
  log::Info("server.stopped", absl::StrCat("gridledger ", command, ": stopped"),
            {{"command", command}});
  return kExitOk;
}

// The flags serve and project share.
void AddCommonFlags(CLI::App& command, ServeFlags& flags) {
  server::ServeOptions& o = flags.options;
  command.add_option("--store", flags.store,
                     "the event store: embedded:PATH or kafka://HOST:PORT (required)");
  command.add_option("--listen", o.listen, "HOST:PORT to serve on (port 0: a free one)")
      ->capture_default_str();
  command.add_option("--tokens", o.tokens_file,
                     "the bearer-token file (`gridledger token --append`); required unless "
                     "--without_tokens");
  command.add_flag("--without_tokens", flags.without_tokens,
                   "serve with no tokens file: every call but health and reflection is refused "
                   "UNAUTHENTICATED (said loudly at start)");
  command
      .add_option("--views", o.views,
                  "views to host: ledger,assets,kpi,planning,supervision, or none")
      ->capture_default_str();
  command
      .add_option("--clock_tick_s", o.clock_tick_s,
                  "serve: record a clock tick for the supervision rules every N s (0: none; "
                  "ticks then come from MarketingDepartment.RecordClockTick)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{86400}));
  command.add_option("--view_dir", o.view_dir,
                     "where the views' RocksDBs live (default: the embedded store's path + "
                     "-views; required on Kafka unless --views none)");
  command
      .add_option("--max_apply_rate", o.max_apply_rate,
                  "cap each view's catch-up at N events/s (0: no cap)")
      ->check(CLI::NonNegativeNumber);
  command
      .add_option("--idle_connection_s", o.idle_connection_s,
                  "close a connection that carried no call for this long")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{86400}));
  command
      .add_option("--handshake_timeout_s", o.handshake_timeout_s,
                  "close a connection whose TLS/HTTP2 handshake takes longer")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{600}));
  command
      .add_option("--max_streams_per_connection", o.max_streams_per_connection,
                  "calls one connection may run at once")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{100000}));
  command
      .add_option("--max_calls_per_principal", o.max_calls_per_principal,
                  "calls one principal may have in flight at once, across its connections "
                  "(subscriptions included)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1000000}));
  command
      .add_option("--max_subscriptions_per_principal", o.max_subscriptions_per_principal,
                  "live EventGateway subscriptions one principal may hold at once")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{100000}));
  command.add_option("--tls_cert", o.tls_cert_file, "serve TLS with this certificate (PEM)");
  command.add_option("--tls_key", o.tls_key_file, "and this private key (PEM)");
  command.add_option("--tls_client_ca", o.tls_client_ca_file,
                     "mutual TLS: clients need a certificate signed by this CA (PEM)");
  command.add_flag("--insecure_allow_remote", o.insecure_allow_remote,
                   "allow plaintext on an address other than loopback");
  command.add_option("--trusted_key", o.trusted_key_files,
                     "a public key (PEM) whose damage acknowledgements to honour (repeatable)");
  command.add_option("--metrics_listen", o.metrics_listen,
                     "serve Prometheus metrics over plain HTTP at http://HOST:PORT/metrics");
  command.add_option("--health_listen", o.health_listen,
                     "a second, plaintext gRPC port with grpc.health.v1 alone (for Kubernetes' "
                     "gRPC probes when --listen is TLS)");
  command.add_option("--log_format", flags.log_format, "text or json (one JSON object per line)")
      ->capture_default_str();
  command.add_flag("--access_log", o.access_log, "log one line per gRPC call");
  command.add_flag("--check_config", flags.check_config,
                   "check the flags and --config (keys, values, required and contradicting "
                   "flags), print OK or what is wrong, and exit without opening anything");
  command.add_option("--config", flags.config_file,
                     "a TOML file of these flags (key = value, keys as the flags without --); "
                     "flags given on the command line override it");
}

}  // namespace

void AddServeCommands(CLI::App& app, int* exit_code) {
  auto serve = std::make_shared<ServeFlags>();
  CLI::App* command = app.add_subcommand(
      "serve", "serve the gRPC API (commands, queries, EventGateway, health) on an event store");
  AddCommonFlags(*command, *serve);
  server::ServeOptions& o = serve->options;
  command->add_option("--services", o.services, "units whose command services to serve")
      ->capture_default_str();
  command->add_option("--checkpoint_key", o.checkpoint_key_file,
                      "sign chain checkpoints with this Ed25519 key (`gridledger keygen`)");
  command->add_option("--checkpoint_dir", o.checkpoint_dir, "write signed checkpoints here");
  command->add_option("--writer_key", o.writer_key_file,
                      "sign every group commit with this Ed25519 key (`gridledger keygen`); "
                      "auditors check with verify --writer_key PREFIX.pub");
  command
      ->add_option("--checkpoint_every_s", o.checkpoint_every_s,
                   "seconds between signed checkpoints (also at start and on SIGUSR1)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  command->add_option("--instance", o.instance,
                      "Kafka only: run as this instance of a cluster; Kafka's group assignment "
                      "decides the partitions it owns (docs/ARCHITECTURE.md)");
  command->add_option("--advertise", o.advertise,
                      "with --instance: HOST:PORT where the other instances reach this one");
  command->add_option("--cluster_secret", o.cluster_secret_file,
                      "with --instance: a file whose first line is the secret every instance "
                      "of the deployment shares (how instances authenticate each other)");
  command
      ->add_option_function<int64_t>(
          "--session_timeout_s",
          [&o](const int64_t& seconds) { o.session_timeout_ms = seconds * 1000; },
          "with --instance: seconds of silence before Kafka moves this instance's partitions "
          "(default 10; at least the broker's group.min.session.timeout.ms, 6 by default)")
      ->check(CLI::Range(int64_t{6}, int64_t{300}));
  command->add_option("--state_dir", o.state_dir,
                      "with --instance: where its owner state lives (required with --instance)");
  command
      ->add_option("--handover_wait_ms", o.handover_wait_ms,
                   "with --instance: how long a call waits for a partition changing owner")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  command->callback([serve, command, exit_code] { *exit_code = Serve("serve", *command, *serve); });

  auto project = std::make_shared<ServeFlags>();
  project->options.project_only = true;
  command = app.add_subcommand("project",
                               "run views and their query services alone (no command services)");
  AddCommonFlags(*command, *project);
  command->callback(
      [project, command, exit_code] { *exit_code = Serve("project", *command, *project); });
}

}  // namespace gridledger::cli
