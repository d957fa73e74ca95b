// `gridledger serve`: opens the event store and serves GridLedger's gRPC API
// (grpc.health.v1, server reflection, and the units' services built so far) until SIGINT or
// SIGTERM.
//
//   gridledger serve [--store URI] [--listen HOST:PORT] [--tokens FILE]
//                    [--services customer,billing,metering,marketing]
//                    [--tls_cert PEM --tls_key PEM [--tls_client_ca PEM]]
//                    [--insecure_allow_remote]
//
// --tokens names the bearer-token file (services/common/auth.h); without it
// every command is UNAUTHENTICATED. --services picks the units to serve
// (customer, billing, metering, marketing; all by default).
// --tls_cert/--tls_key serve TLS (on any address); --tls_client_ca makes it
// mutual TLS: clients need a certificate signed by that CA.
// --views picks the projections to host (ledger, assets, kpi; all by default;
// "none" for none) and --view_dir where their RocksDBs live (default: the
// embedded store's path + "-views", else ./gridledger-views/<topic prefix>;
// a directory built from another store is refused); their query
// services (LedgerQuery, AssetQuery, KpiQuery, ViewAdmin) are served beside.
// --max_apply_rate N caps each view's catch-up at N events/s (0: no cap).
// --checkpoint_key KEY --checkpoint_dir DIR [--checkpoint_every_s N] writes a
// signed chain checkpoint (checkpoint_exporter.h) at start, every N seconds
// (default 3600) and on SIGUSR1.
// --store defaults to embedded:./gridledger-data; --listen to 127.0.0.1:50051
// (port 0 picks a free one). Plaintext is allowed on loopback only unless
// --insecure_allow_remote is given. On start it prints one line,
// "gridledger: serving on HOST:PORT store URI views DIR" ("projecting" for
// `project`), then serves.
#ifndef GRIDLEDGER_CLI_SERVE_COMMAND_H_
#define GRIDLEDGER_CLI_SERVE_COMMAND_H_

#include <string>
#include <vector>

namespace gridledger::cli {

// Returns the process exit status: 0 after a clean shutdown, 2 for bad flags,
// 1 when the store cannot be opened or the port cannot be bound.
int RunServe(const std::vector<std::string>& args);
// `gridledger project`: the views and their query services alone (no command
// services), so a province can scale them apart from the API.
int RunProject(const std::vector<std::string>& args);
// Both, by command name ("serve" or "project").
int RunServeAs(const std::string& command, const std::vector<std::string>& args);

// True for 127.0.0.0/8, ::1 and localhost.
bool IsLoopbackHost(const std::string& host);

}  // namespace gridledger::cli

#endif  // GRIDLEDGER_CLI_SERVE_COMMAND_H_
