// gridledger: the one binary of GridLedger.
//
//   gridledger serve  [--store URI] [--listen HOST:PORT]   the gRPC API
//   gridledger project --store URI --views ledger,assets,kpi   views alone
//   gridledger rebuild --view NAME   rebuild a view in a running process
//   gridledger version
#include <cstdio>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "cli/checkpoint_command.h"
#include "cli/demo_command.h"
#include "cli/rebuild_command.h"
#include "cli/replay_command.h"
#include "cli/serve_command.h"
#include "cli/tail_command.h"
#include "cli/token_command.h"
#include "cli/verify_command.h"

namespace {

constexpr char kUsage[] =
    "usage: gridledger COMMAND [FLAGS]\n"
    "  serve    [--store URI] [--listen HOST:PORT] [--tokens FILE] [--services "
    "customer,billing,metering,marketing]\n"
    "           [--tls_cert PEM --tls_key PEM [--tls_client_ca PEM]] [--insecure_allow_remote]\n"
    "           [--views ledger,assets,kpi|none] [--view_dir DIR] [--max_apply_rate N]\n"
    "           [--checkpoint_key PREFIX.key --checkpoint_dir DIR [--checkpoint_every_s N]]\n"
    "           serve the gRPC API on an event store (embedded:PATH or kafka://HOST:PORT)\n"
    "  project  --store URI [--views ledger,assets,kpi] [--view_dir DIR] [--listen HOST:PORT]\n"
    "           [--tokens FILE]   run views and their query services only\n"
    "  rebuild  --view NAME [--target HOST:PORT] [--token_file FILE] [--no_wait]\n"
    "           rebuild a view from zero in a running serve/project, without stopping it\n"
    "  token    --principal NAME --org_unit UNIT --roles ROLE[,ROLE]\n"
    "           make a bearer token; prints the token, and its line for the tokens file\n"
    "  verify   --store URI [--checkpoint FILE --public_key PEM]\n"
    "           walk every stream and partition chain; report the first break (exit 1)\n"
    "  keygen   --out PREFIX   an Ed25519 key pair for signed checkpoints\n"
    "  checkpoint --store URI --key PREFIX.key --out FILE   sign the chains' heads\n"
    "  tail     [--target ADDR] [--token_file F] [--type T] [--prefix P] [--org_unit U]\n"
    "           [--from start|now|POS|TIME] [--max N] --json   events as JSON lines, live\n"
    "  replay   --store URI --as-of TIME [--time recorded|business] --out DIR [--stream ID]\n"
    "           [--ledger ACCOUNT] [--asset BAR] [--kpi UNIT --period YYYY-MM]\n"
    "           the views as they stood at a time, printed as JSON lines\n"
    "  demo     --target HOST:PORT --credentials FILE [--accounts N] [--applications N]\n"
    "           [--tickets N] [--threads N]   drive a simulated month of a county\n"
    "  version  print the version\n";

}  // namespace

int main(int argc, char** argv) {
  // Debian's Abseil is built with mutex deadlock detection on, which tracks
  // every lock in a global graph; our lock order is fixed by design, so spend
  // nothing on it in production.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string command = argv[1];
  const std::vector<std::string> args(argv + 2, argv + argc);
  if (command == "serve") return gridledger::cli::RunServe(args);
  if (command == "token") return gridledger::cli::RunToken(args);
  if (command == "project") return gridledger::cli::RunProject(args);
  if (command == "rebuild") return gridledger::cli::RunRebuild(args);
  if (command == "verify") return gridledger::cli::RunVerify(args);
  if (command == "keygen") return gridledger::cli::RunKeygen(args);
  if (command == "tail") return gridledger::cli::RunTail(args);
  if (command == "replay") return gridledger::cli::RunReplay(args);
  if (command == "checkpoint") return gridledger::cli::RunCheckpoint(args);
  if (command == "demo") return gridledger::cli::RunDemo(args);
  if (command == "version") {
    std::printf("gridledger 0.1.0\n");
    return 0;
  }
  if (command == "help" || command == "--help" || command == "-h") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  std::fprintf(stderr, "gridledger: unknown command \"%s\"\n%s", command.c_str(), kUsage);
  return 2;
}
