// A small parser for `gridledger SUBCOMMAND --name=value --name value --switch`.
// Subcommands declare the flags they know; anything else is an error that
// names the flag.
#ifndef GRIDLEDGER_SERVICES_GRIDLEDGER_COMMAND_LINE_H_
#define GRIDLEDGER_SERVICES_GRIDLEDGER_COMMAND_LINE_H_

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

}  // namespace gridledger::cli

#endif  // GRIDLEDGER_SERVICES_GRIDLEDGER_COMMAND_LINE_H_
