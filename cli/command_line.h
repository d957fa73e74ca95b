// A small parser for `gridledger SUBCOMMAND --name=value --name value --switch`.
// Subcommands declare the flags they know; anything else is an error that
// names the flag.
#ifndef GRIDLEDGER_CLI_COMMAND_LINE_H_
#define GRIDLEDGER_CLI_COMMAND_LINE_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace gridledger::cli {

struct FlagSpec {
  std::set<std::string> valued;    // --store URI
  std::set<std::string> switches;  // --insecure_allow_remote
};

// Parsed flags: name → value ("true" for switches).
using Flags = std::map<std::string, std::string>;

// INVALID_ARGUMENT naming the unknown flag, the missing value, or the stray
// positional argument.
absl::StatusOr<Flags> ParseFlags(const std::vector<std::string>& args, const FlagSpec& spec);

// A client command's bearer token: the first line of --token_file, else
// $GRIDLEDGER_TOKEN, else empty; INVALID_ARGUMENT when the file cannot be read.
absl::StatusOr<std::string> ClientToken(const Flags& flags);
// --target, or the default 127.0.0.1:50051.
std::string ClientTarget(const Flags& flags);

}  // namespace gridledger::cli

#endif  // GRIDLEDGER_CLI_COMMAND_LINE_H_
