// `gridledger acknowledge --store kafka://… --key PREFIX.key --position
// TOPIC/N@OFFSET… --reason TEXT --operator NAME`: the audited way past a
// damaged record. Reads each named record, signs a DamageAcknowledgement
// (acknowledged_damage.h) naming them with the digest of their bytes, proves
// the whole log verifies once they are skipped, and only then writes it
// beside the log. Exit 1 when the log is still broken past them (the next
// break is named; nothing is written), 2 for a usage, key or store error.
#ifndef GRIDLEDGER_CLI_ACKNOWLEDGE_COMMAND_H_
#define GRIDLEDGER_CLI_ACKNOWLEDGE_COMMAND_H_

namespace CLI {
class App;
}  // namespace CLI

namespace gridledger::cli {

void AddAcknowledgeCommand(CLI::App& app, int* exit_code);

}  // namespace gridledger::cli

#endif  // GRIDLEDGER_CLI_ACKNOWLEDGE_COMMAND_H_
