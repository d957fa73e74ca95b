// `gridledger verify --store URI [--checkpoint FILE --public_key PEM]`: walks
// every partition chain and every stream chain of the store and reports the
// first break — an event altered, removed, reordered or inserted — with its
// position. With --checkpoint it also proves the log still extends a signed
// checkpoint (checkpoint_command.h): the signature verifies with the public
// key, and each partition's event at the signed offset still has the signed
// hash.
//
// Exit status: 0 intact; 1 a break (printed: "BROKEN: event at P@O: …"), or a
// checkpoint the log no longer extends or whose signature fails; 2 bad flags
// or a store that cannot be read.
#ifndef GRIDLEDGER_CLI_VERIFY_COMMAND_H_
#define GRIDLEDGER_CLI_VERIFY_COMMAND_H_

#include <string>
#include <vector>

namespace gridledger::cli {

int RunVerify(const std::vector<std::string>& args);

}  // namespace gridledger::cli

#endif  // GRIDLEDGER_CLI_VERIFY_COMMAND_H_
