// `gridledger tail [--target ADDR] [--token_file F] [--type T,…] [--prefix P,…]
// [--org_unit U] [--from start|now|PARTITION@OFFSET,…|RFC3339] [--until now]
// [--max N] --json`: EventGateway.Subscribe printed as JSON lines (cli/
// event_json.h: snake_case names, 64-bit numbers as numbers), live until
// interrupted, or until the log as it stood at the start is printed
// (--until now), or N events. --org_unit is the aggregate's unit (the
// account's county), not the actor's. Exit 1 when the server ends the
// stream with an error.
#ifndef GRIDLEDGER_CLI_TAIL_COMMAND_H_
#define GRIDLEDGER_CLI_TAIL_COMMAND_H_

namespace CLI {
class App;
}  // namespace CLI

namespace gridledger::cli {

void AddTailCommand(CLI::App& app, int* exit_code);

}  // namespace gridledger::cli

#endif  // GRIDLEDGER_CLI_TAIL_COMMAND_H_
