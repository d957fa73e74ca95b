#include "cli/command_line.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace gridledger::cli {

int RunCommandLine(CLI::App& app, int argc, char** argv, const int& exit_code) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForAllHelp& help) {
    return app.exit(help);
  } catch (const CLI::ParseError& error) {
    app.exit(error);  // prints what is wrong and "Run with --help for more information."
    return kExitUsage;
  }
  return exit_code;
}

int Report(absl::string_view command, const absl::Status& status, int failed) {
  std::fprintf(stderr, "gridledger %s: %s\n", std::string(command).c_str(),
               absl::IsInvalidArgument(status) ? std::string(status.message()).c_str()
                                               : status.ToString().c_str());
  return absl::IsInvalidArgument(status) ? kExitUsage : failed;
}

void AddClientFlags(CLI::App& command, ClientFlags& flags) {
  command.add_option("--target", flags.target, "the server, HOST:PORT")->capture_default_str();
  command.add_option("--token_file", flags.token_file,
                     "a file whose first line is the bearer token (else $GRIDLEDGER_TOKEN)");
}

absl::StatusOr<std::string> ClientToken(const ClientFlags& flags) {
  std::string token;
  if (!flags.token_file.empty()) {
    std::ifstream in(flags.token_file);
    if (!in || !std::getline(in, token)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--token_file: cannot read ", flags.token_file));
    }
  } else if (const char* env = std::getenv("GRIDLEDGER_TOKEN")) {
    token = env;
  }
  return std::string(absl::StripAsciiWhitespace(token));
}

}  // namespace gridledger::cli
