// `gridledger verify --store URI [--checkpoint FILE --public_key PEM]`:
// walks every partition chain and stream chain (eventstore::ChainWalker);
// prints "intact: …" and each partition's head (exit 0), or "BROKEN: …" with
// the first break's position (exit 1). With a signed checkpoint it also
// proves the log still extends it. Then it checks the store's own indexes
// (EventStore::CheckIndexes: the embedded store's command index, stream
// index and heads) against the log, each disagreement a "BROKEN: index …"
// line (exit 1). With --state_dir (Kafka) it also checks a cluster
// instance's owner state against the log (eventstore::CheckOwnerState),
// each disagreement a "BROKEN: owner state …" line (exit 1). Exit 2 when the
// walk cannot be made.
//
// `gridledger reindex --store embedded:PATH` rebuilds those indexes from the
// log (the store to itself: serve stopped).
#ifndef GRIDLEDGER_CLI_VERIFY_COMMAND_H_
#define GRIDLEDGER_CLI_VERIFY_COMMAND_H_

namespace CLI {
class App;
}  // namespace CLI

namespace gridledger::cli {

void AddVerifyCommand(CLI::App& app, int* exit_code);

}  // namespace gridledger::cli

#endif  // GRIDLEDGER_CLI_VERIFY_COMMAND_H_
