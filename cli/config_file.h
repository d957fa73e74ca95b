// A configuration file equivalent to a command's flags (TOML, as a
// Kubernetes ConfigMap mounts it):
//
//   # /etc/gridledger/serve.toml
//   store = "kafka://kafka-bootstrap:9093?tls_ca=/etc/gridledger/tls/ca.crt"
//   listen = "0.0.0.0:50051"
//   metrics_listen = "0.0.0.0:9464"
//   access_log = true
//
// Each key is a flag's name without its dashes; the value is what the flag
// would be given (a string, a number, true/false, or an array for a
// repeatable flag). A flag given on the command line wins over the file.
#ifndef GRIDLEDGER_CLI_CONFIG_FILE_H_
#define GRIDLEDGER_CLI_CONFIG_FILE_H_

#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"

namespace gridledger::cli {

// Applies the file at `path` to the options of `command`, after its command
// line was parsed: options the command line gave keep their values; the
// others take the file's, through the same checks as on the command line.
// NOT_FOUND if the file cannot be read; INVALID_ARGUMENT naming the file and
// the key for a key that is no flag of `command`, a section, or a value the
// flag refuses. Nothing is applied unless every key is known.
absl::Status ApplyConfigFile(CLI::App& command, const std::string& path);

}  // namespace gridledger::cli

#endif  // GRIDLEDGER_CLI_CONFIG_FILE_H_
