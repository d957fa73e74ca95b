#include "cli/schema_command.h"

#include <cstdio>
#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "cli/command_line.h"
#include "eventstore/event_schema.h"

namespace gridledger::cli {

void AddSchemaCommand(CLI::App& app, int* exit_code) {
  auto out = std::make_shared<std::string>();
  CLI::App* command = app.add_subcommand(
      "schema",
      "write the event and API schema (a protobuf FileDescriptorSet) that Kafka records name "
      "in their gl-schema header");
  command->add_option("--out", *out, "directory to write <schema name>.desc into");
  command->callback([out, exit_code] {
    if (out->empty()) {
      std::printf("%s\n", eventstore::SchemaName().c_str());
      *exit_code = kExitOk;
      return;
    }
    absl::StatusOr<std::string> path = eventstore::WriteSchema(*out);
    if (!path.ok()) {
      *exit_code = Report("schema", path.status());
      return;
    }
    std::printf("%s\n", path->c_str());
    *exit_code = kExitOk;
  });
}

}  // namespace gridledger::cli
