// `gridledger replay --store URI --as-of TIME [--time recorded|business]
// --out DIR [--views …] [--stream ID] [--ledger ACCOUNT] [--asset BAR]
// [--kpi UNIT --period YYYY-MM]`: rebuilds the views as they stood at TIME
// into DIR (projections/replay/replay.h) and prints the answers asked for as
// JSON lines ({"event":…}, {"statement":…}, {"balance":…}, {"asset":…},
// {"kpis":…}, {"recordedLate":…}, or {"notKnown":…} for what was not known
// then). Exit 1 when the store or a view fails, 2 for bad flags.
#ifndef GRIDLEDGER_CLI_REPLAY_COMMAND_H_
#define GRIDLEDGER_CLI_REPLAY_COMMAND_H_

namespace CLI {
class App;
}  // namespace CLI

namespace gridledger::cli {

void AddReplayCommand(CLI::App& app, int* exit_code);

}  // namespace gridledger::cli

#endif  // GRIDLEDGER_CLI_REPLAY_COMMAND_H_
