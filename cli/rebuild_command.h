// `gridledger rebuild --view NAME [--target HOST:PORT] [--token_file FILE]
// [--no_wait]`: asks a running serve/project to rebuild a view from zero
// without stopping (ViewAdmin.RebuildView, admin only) and prints the view's
// status as JSON. Exit 1 when the server refuses or cannot be reached.
#ifndef GRIDLEDGER_CLI_REBUILD_COMMAND_H_
#define GRIDLEDGER_CLI_REBUILD_COMMAND_H_

namespace CLI {
class App;
}  // namespace CLI

namespace gridledger::cli {

void AddRebuildCommand(CLI::App& app, int* exit_code);

}  // namespace gridledger::cli

#endif  // GRIDLEDGER_CLI_REBUILD_COMMAND_H_
