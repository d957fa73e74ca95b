#include "cli/token_command.h"

#include <cstdio>
#include <fstream>
#include <memory>

#include "CLI/CLI.hpp"
#include "cli/command_line.h"
#include "services/common/auth.h"

namespace gridledger::cli {
namespace {

struct TokenFlags {
  std::string principal, org_unit, roles, append;
};

int RunToken(const TokenFlags& flags) {
  absl::StatusOr<service::IssuedToken> issued =
      service::IssueToken(flags.principal, flags.org_unit, flags.roles);
  if (!issued.ok()) return Report("token", issued.status(), kExitUsage);
  if (!flags.append.empty()) {
    std::ofstream out(flags.append, std::ios::app);
    out << issued->line << "\n";
    if (!out) {
      std::fprintf(stderr, "gridledger token: --append: cannot write %s\n", flags.append.c_str());
      return kExitFailed;
    }
  }
  std::printf("%s\n%s\n", issued->token.c_str(), issued->line.c_str());
  return kExitOk;
}

}  // namespace

void AddTokenCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<TokenFlags>();
  CLI::App* command = app.add_subcommand(
      "token", "make a bearer token; prints the token, and its line for the tokens file");
  command->add_option("--principal", flags->principal, "who the token speaks for")->required();
  command->add_option("--org_unit", flags->org_unit, "the principal's org unit, e.g. sn/xa/huyi")
      ->required();
  command->add_option("--roles", flags->roles, "comma-separated roles, e.g. meter_reader,admin")
      ->required();
  command->add_option("--append", flags->append, "also append the tokens-file line to FILE");
  command->callback([flags, exit_code] { *exit_code = RunToken(*flags); });
}

}  // namespace gridledger::cli
