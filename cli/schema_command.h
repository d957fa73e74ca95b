// `gridledger schema --out DIR`: writes the published schema this binary was
// built with (eventstore/event_schema.h: the gridledger.v1 FileDescriptorSet)
// to DIR/<name>.desc, where <name> is what every Kafka record's `gl-schema`
// header names, and prints the path. `gridledger schema` alone prints the
// name. Exit 1 when DIR cannot be written.
#ifndef GRIDLEDGER_CLI_SCHEMA_COMMAND_H_
#define GRIDLEDGER_CLI_SCHEMA_COMMAND_H_

namespace CLI {
class App;
}  // namespace CLI

namespace gridledger::cli {

void AddSchemaCommand(CLI::App& app, int* exit_code);

}  // namespace gridledger::cli

#endif  // GRIDLEDGER_CLI_SCHEMA_COMMAND_H_
