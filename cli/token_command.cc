#include "cli/token_command.h"

#include <cstdio>
#include <fstream>

#include "cli/command_line.h"
#include "services/common/auth.h"

namespace gridledger::cli {

int RunToken(const std::vector<std::string>& args) {
  absl::StatusOr<Flags> flags =
      ParseFlags(args, FlagSpec{{"principal", "org_unit", "roles", "append"}, {}});
  if (!flags.ok()) {
    std::fprintf(stderr, "gridledger token: %s\n", std::string(flags.status().message()).c_str());
    return 2;
  }
  auto get = [&](const char* name) { return flags->count(name) ? flags->at(name) : ""; };
  absl::StatusOr<service::IssuedToken> issued =
      service::IssueToken(get("principal"), get("org_unit"), get("roles"));
  if (!issued.ok()) {
    std::fprintf(stderr, "gridledger token: %s\n", std::string(issued.status().message()).c_str());
    return 2;
  }
  if (!get("append").empty()) {
    std::ofstream out(get("append"), std::ios::app);
    out << issued->line << "\n";
    if (!out) {
      std::fprintf(stderr, "gridledger token: --append: cannot write %s\n", get("append").c_str());
      return 1;
    }
  }
  std::printf("%s\n%s\n", issued->token.c_str(), issued->line.c_str());
  return 0;
}

}  // namespace gridledger::cli
