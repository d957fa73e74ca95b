// The auditor's key and checkpoint commands.
//
//   gridledger keygen --out PREFIX
//       writes an Ed25519 key pair: PREFIX.key (PKCS#8 PEM, mode 0600) and
//       PREFIX.pub (public key PEM).
//   gridledger checkpoint --store URI --key PREFIX.key --out FILE
//       walks (and so verifies) every chain, then writes the partitions'
//       heads signed with the key (SignedChainCheckpoint as JSON). Exit 1 if
//       the store is broken, 2 for bad flags or an unreadable store.
//
// `gridledger verify --checkpoint FILE --public_key PREFIX.pub` proves a
// later log still extends it; `serve --checkpoint_key` writes them on a
// schedule.
#ifndef GRIDLEDGER_CLI_CHECKPOINT_COMMAND_H_
#define GRIDLEDGER_CLI_CHECKPOINT_COMMAND_H_

#include <string>
#include <vector>

namespace gridledger::cli {

int RunKeygen(const std::vector<std::string>& args);
int RunCheckpoint(const std::vector<std::string>& args);

}  // namespace gridledger::cli

#endif  // GRIDLEDGER_CLI_CHECKPOINT_COMMAND_H_
