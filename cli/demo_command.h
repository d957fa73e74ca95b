// `gridledger demo --target HOST:PORT --credentials FILE [--accounts N]
//  [--applications N] [--tickets N] [--threads N] [--seed S]`:
// drives a simulated month of a county through the public gRPC API only:
// tariffs and KPI targets; meters received, calibrated (some fail), moved,
// dispatched and installed; accounts of every category opened; October
// baseline reads and November reads with a realistic share of anomalies,
// checked (flagged ones decided), billed, bills checked, paid (some partly,
// some not: those accrue late-payment penalties); a wholesale settlement; an
// inspection finding theft, back-billed;
// applications through their steps (some with a bay approval, some
// withdrawn); 95598 tickets. Prints a summary.
//
// The credentials file has one "<role> <token>" line per role it needs:
// customer_service, marketing_manager, metering_technician, meter_reader,
// bill_checker, collector (scripts/run writes one).
// Exit 0 when every command that should succeed did; 1 otherwise; 2 for bad flags.
#ifndef GRIDLEDGER_CLI_DEMO_COMMAND_H_
#define GRIDLEDGER_CLI_DEMO_COMMAND_H_

namespace CLI {
class App;
}  // namespace CLI

namespace gridledger::cli {

void AddDemoCommand(CLI::App& app, int* exit_code);

}  // namespace gridledger::cli

#endif  // GRIDLEDGER_CLI_DEMO_COMMAND_H_
