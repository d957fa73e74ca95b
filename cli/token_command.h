// `gridledger token --principal NAME --org_unit UNIT --roles ROLE[,ROLE]
// [--append FILE]`: makes a bearer token; prints the token and its line for
// the tokens file (services/common/auth.h), and appends that line to FILE.
// Exit 2 for a bad principal, unit or role; 1 when FILE cannot be written.
#ifndef GRIDLEDGER_CLI_TOKEN_COMMAND_H_
#define GRIDLEDGER_CLI_TOKEN_COMMAND_H_

namespace CLI {
class App;
}  // namespace CLI

namespace gridledger::cli {

void AddTokenCommand(CLI::App& app, int* exit_code);

}  // namespace gridledger::cli

#endif  // GRIDLEDGER_CLI_TOKEN_COMMAND_H_
