// `gridledger replay --store URI --as-of TIME [--time recorded|business]
//                    --out DIR [--views ledger,assets,kpi]
//                    [--stream ID] [--ledger ACCOUNT] [--asset BAR]
//                    [--kpi UNIT --period YYYY-MM]`
// rebuilds the views as they stood at TIME (RFC 3339) into DIR (scratch:
// emptied first) and prints what is asked, as JSON lines: the stream's events
// as of then, an account's statement and balance, a meter, or a unit's KPIs
// for a period (arrears and overdue meters on TIME's date). "recorded" (the
// default) is what the system knew then; "business" is what had happened by
// then, including events recorded later, which it lists as recorded late.
// Reads the store only; an embedded store must not be open in another
// process (replay a copy, or the Kafka topics).
#ifndef GRIDLEDGER_CLI_REPLAY_COMMAND_H_
#define GRIDLEDGER_CLI_REPLAY_COMMAND_H_

#include <string>
#include <vector>

namespace gridledger::cli {

int RunReplay(const std::vector<std::string>& args);

}  // namespace gridledger::cli

#endif  // GRIDLEDGER_CLI_REPLAY_COMMAND_H_
