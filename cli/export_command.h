// `gridledger export --store URI [--as-of TIME [--time recorded|business]]
// [--type T,…] [--org_unit U] [--format jsonl|csv] [--out FILE]`: the events
// of the log (read-only, beside a live serve), as analysts load them:
//   jsonl  one event per line (cli/event_json.h: numbers as numbers)
//   csv    one row per event: the envelope's columns, then with exactly one
//          --type that event's fields, one column each (nested fields
//          dotted, repeated ones as a JSON array), else its payload as JSON;
//          the header comes from the schema, so every export of a type has
//          the same columns.
// --as-of keeps the events recorded (or, --time business, that happened) by
// then; --org_unit the events of aggregates in that unit's subtree. Exit 2
// for a bad flag, 1 when the store cannot be read.
#ifndef GRIDLEDGER_CLI_EXPORT_COMMAND_H_
#define GRIDLEDGER_CLI_EXPORT_COMMAND_H_

namespace CLI {
class App;
}  // namespace CLI

namespace gridledger::cli {

void AddExportCommand(CLI::App& app, int* exit_code);

}  // namespace gridledger::cli

#endif  // GRIDLEDGER_CLI_EXPORT_COMMAND_H_
