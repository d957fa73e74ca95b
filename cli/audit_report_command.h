// `gridledger audit-report --store URI --as-of TIME [--time recorded|business]
// --out DIR [--checkpoint FILE --public_key PEM] [--sample N]`: what an
// auditor hands over, from the log alone (opened read-only, beside a live
// serve): DIR/report.html, one self-contained page (no scripts, no
// fetches), and its tables as CSV:
//   chain.csv                 the chain walk (verify's): intact or the first
//                             break, each partition's head, the signed
//                             checkpoint's verification, acknowledged
//                             damage, the indexes against the log
//   events_by_unit_type.csv   events as of the time per aggregate org unit
//                             and type
//   ledger_totals_by_unit.csv billed, reversed, penalties, collected,
//                             payments reversed and outstanding fen per unit
//                             and each unit above it, summed straight from
//                             the events as of the time
//   bills_sample.csv          N bills spread over the log, each also in the
//                             page with its full provenance (ExplainBill as
//                             of the time)
// Exit 1 when the chain is broken or the checkpoint does not verify (the
// report is written and says so), 2 for a bad flag.
//
// `gridledger bill --store URI --account A --bill B [--out FILE]`: one bill
// as a printable page (cli/bill_html.h); NOT_FOUND (exit 1) naming the bill
// when the account has no such bill.
#ifndef GRIDLEDGER_CLI_AUDIT_REPORT_COMMAND_H_
#define GRIDLEDGER_CLI_AUDIT_REPORT_COMMAND_H_

namespace CLI {
class App;
}  // namespace CLI

namespace gridledger::cli {

void AddAuditReportCommand(CLI::App& app, int* exit_code);

}  // namespace gridledger::cli

#endif  // GRIDLEDGER_CLI_AUDIT_REPORT_COMMAND_H_
