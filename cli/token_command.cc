#include "cli/token_command.h"

#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "cli/command_line.h"
#include "services/common/auth.h"

namespace gridledger::cli {
namespace {

struct TokenFlags {
  std::string principal, org_unit, roles, append, valid_for;
};

// "90d", "12h", "30m" → that long; INVALID_ARGUMENT naming --valid_for.
absl::StatusOr<absl::Duration> ParseValidity(const std::string& text) {
  int64_t count = 0;
  if (text.size() >= 2 && absl::SimpleAtoi(text.substr(0, text.size() - 1), &count) && count > 0 &&
      count <= 3660) {
    switch (text.back()) {
      case 'd':
        return absl::Hours(24 * count);
      case 'h':
        return absl::Hours(count);
      case 'm':
        return absl::Minutes(count);
      default:
        break;
    }
  }
  return absl::InvalidArgumentError(
      "--valid_for: must be a count of days, hours or minutes (90d, 12h, 30m), 1 to 3660");
}

int RunToken(const TokenFlags& flags) {
  std::optional<absl::Time> expires;
  if (!flags.valid_for.empty()) {
    absl::StatusOr<absl::Duration> validity = ParseValidity(flags.valid_for);
    if (!validity.ok()) return Report("token", validity.status());
    expires = absl::Now() + *validity;
  }
  absl::StatusOr<service::IssuedToken> issued =
      service::IssueToken(flags.principal, flags.org_unit, flags.roles, expires);
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
  command->add_option("--valid_for", flags->valid_for,
                      "the token expires after this long: 90d, 12h or 30m (default: never)");
  command->callback([flags, exit_code] { *exit_code = RunToken(*flags); });
}

}  // namespace gridledger::cli
