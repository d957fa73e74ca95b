// The `gridledger` command line, on CLI11: each subcommand registers itself
// on the application with its flags (typed, checked, documented, so every
// subcommand answers --help) and a run step that sets the process's exit
// code. Exit codes: 0 done, 1 the work failed (or found a break), 2 a usage
// error (a message naming the flag).
//
//   CLI::App app{"gridledger"};
//   int exit_code = 0;
//   AddTokenCommand(app, &exit_code);
//   return RunCommandLine(app, argc, argv, exit_code);
#ifndef GRIDLEDGER_CLI_COMMAND_LINE_H_
#define GRIDLEDGER_CLI_COMMAND_LINE_H_

#include <grpcpp/channel.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace CLI {
class App;
}  // namespace CLI

namespace gridledger::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

// Parses argv and runs the chosen subcommand. --help anywhere prints that
// command's help (exit 0); a usage error prints what is wrong and how to get
// help (exit 2); otherwise returns `exit_code` as the subcommand set it.
int RunCommandLine(CLI::App& app, int argc, char** argv, const int& exit_code);

// Prints "gridledger COMMAND: MESSAGE" on stderr and returns `exit_code`:
// kExitUsage for INVALID_ARGUMENT (the message names the flag), else the
// `failed` code.
int Report(absl::string_view command, const absl::Status& status, int failed = kExitFailed);

// The flags every client command shares: --target and --token_file.
struct ClientFlags {
  std::string target = "127.0.0.1:50051";
  std::string token_file;
  std::string tls_ca;    // trust this CA (PEM) and speak TLS; else plaintext
  std::string tls_cert;  // with tls_key: a client certificate (mutual TLS)
  std::string tls_key;
  std::string tls_server_name;  // the name the server's certificate carries, if not target's host
};
// --target, --token_file and the TLS flags (--tls_ca, --tls_cert, --tls_key,
// --tls_server_name).
void AddClientFlags(CLI::App& command, ClientFlags& flags);

// A channel to --target: TLS when --tls_ca or --tls_cert is given (the CA
// file's roots, else the system's), with a client certificate when
// --tls_cert and --tls_key are; plaintext otherwise. INVALID_ARGUMENT naming
// the flag when a file cannot be read, only one of --tls_cert/--tls_key is
// given, or --tls_server_name is given without TLS.
absl::StatusOr<std::shared_ptr<grpc::Channel>> ClientChannel(const ClientFlags& flags);

// A client command's bearer token: the first line of --token_file, else
// $GRIDLEDGER_TOKEN, else empty; INVALID_ARGUMENT when the file cannot be read.
absl::StatusOr<std::string> ClientToken(const ClientFlags& flags);

}  // namespace gridledger::cli

#endif  // GRIDLEDGER_CLI_COMMAND_LINE_H_
