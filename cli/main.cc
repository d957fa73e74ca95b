// gridledger: the one binary of GridLedger. `gridledger --help` lists the
// subcommands; `gridledger SUBCOMMAND --help` describes each one's flags.
#include <cstdio>
#include <exception>

#include "CLI/CLI.hpp"
#include "absl/synchronization/mutex.h"
#include "cli/acknowledge_command.h"
#include "cli/audit_report_command.h"
#include "cli/checkpoint_command.h"
#include "cli/cluster_command.h"
#include "cli/command_line.h"
#include "cli/demo_command.h"
#include "cli/export_command.h"
#include "cli/rebuild_command.h"
#include "cli/replay_command.h"
#include "cli/schema_command.h"
#include "cli/serve_command.h"
#include "cli/tail_command.h"
#include "cli/token_command.h"
#include "cli/verify_command.h"

namespace {

// Builds the command line and runs the chosen subcommand; returns the exit code.
int RunGridLedger(int argc, char** argv) {
  namespace cli = gridledger::cli;
  CLI::App app{"GridLedger: the customer-facing business of an electric utility, event-sourced",
               "gridledger"};
  app.require_subcommand(1);
  int exit_code = cli::kExitOk;
  cli::AddServeCommands(app, &exit_code);
  cli::AddRebuildCommand(app, &exit_code);
  cli::AddTokenCommand(app, &exit_code);
  cli::AddVerifyCommand(app, &exit_code);
  cli::AddCheckpointCommands(app, &exit_code);
  cli::AddAcknowledgeCommand(app, &exit_code);
  cli::AddTailCommand(app, &exit_code);
  cli::AddReplayCommand(app, &exit_code);
  cli::AddDemoCommand(app, &exit_code);
  cli::AddClusterCommand(app, &exit_code);
  cli::AddSchemaCommand(app, &exit_code);
  cli::AddExportCommand(app, &exit_code);
  cli::AddAuditReportCommand(app, &exit_code);
  app.add_subcommand("version", "print the version")->callback([] {
    std::printf("gridledger %s\n", GL_VERSION);
  });
  return cli::RunCommandLine(app, argc, argv, exit_code);
}

}  // namespace

int main(int argc, char** argv) {
  // Debian's Abseil is built with mutex deadlock detection on, which tracks
  // every lock in a global graph; our lock order is fixed by design, so spend
  // nothing on it in production.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  try {
    return RunGridLedger(argc, argv);
  } catch (const std::exception& error) {  // none expected: our code returns absl::Status
    std::fprintf(stderr, "gridledger: %s\n", error.what());
  } catch (...) {
    std::fprintf(stderr, "gridledger: unexpected exception\n");
  }
  return gridledger::cli::kExitFailed;
}
