// `gridledger rebuild --view NAME [--target HOST:PORT] [--token_file FILE] [--no_wait]`:
// asks a running `serve` or `project` process to rebuild a view from the
// start of the log (ViewAdmin.RebuildView) while it keeps answering queries
// from the current one; waits until the rebuilt view is live unless
// --no_wait. The admin token is read from --token_file or $GRIDLEDGER_TOKEN.
// --target defaults to 127.0.0.1:50051. Prints the view's status as JSON.
#ifndef GRIDLEDGER_CLI_REBUILD_COMMAND_H_
#define GRIDLEDGER_CLI_REBUILD_COMMAND_H_

#include <string>
#include <vector>

namespace gridledger::cli {

// 0 when done, 1 when the server refused or failed (its status printed), 2
// for bad flags.
int RunRebuild(const std::vector<std::string>& args);

}  // namespace gridledger::cli

#endif  // GRIDLEDGER_CLI_REBUILD_COMMAND_H_
