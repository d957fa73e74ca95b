// `gridledger keygen --out PREFIX`: an Ed25519 key pair, PREFIX.key (0600)
// and PREFIX.pub.
// `gridledger checkpoint --store URI --key PREFIX.key --out FILE`: walks the
// chains and writes their heads, signed (server/audit_files.h). Exit 1 when a
// chain is broken (nothing is signed), 2 for a usage or file error.
#ifndef GRIDLEDGER_CLI_CHECKPOINT_COMMAND_H_
#define GRIDLEDGER_CLI_CHECKPOINT_COMMAND_H_

namespace CLI {
class App;
}  // namespace CLI

namespace gridledger::cli {

void AddCheckpointCommands(CLI::App& app, int* exit_code);

}  // namespace gridledger::cli

#endif  // GRIDLEDGER_CLI_CHECKPOINT_COMMAND_H_
