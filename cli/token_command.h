// `gridledger token --principal NAME --org_unit UNIT --roles R1,R2 [--append FILE]`:
// makes a random bearer token, prints it on the first line and its tokens-file
// line on the second; with --append, also appends that line to FILE.
#ifndef GRIDLEDGER_CLI_TOKEN_COMMAND_H_
#define GRIDLEDGER_CLI_TOKEN_COMMAND_H_

#include <string>
#include <vector>

namespace gridledger::cli {

// Exit status: 0, or 2 for bad flags.
int RunToken(const std::vector<std::string>& args);

}  // namespace gridledger::cli

#endif  // GRIDLEDGER_CLI_TOKEN_COMMAND_H_
