#include "cli/command_line.h"

#include <cstdlib>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace gridledger::cli {

absl::StatusOr<Flags> ParseFlags(const std::vector<std::string>& args, const FlagSpec& spec) {
  Flags flags;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (!absl::StartsWith(arg, "--")) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument \"", arg, "\""));
    }
    std::string name = arg.substr(2);
    std::string value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    if (spec.switches.count(name)) {
      if (has_value && value != "true" && value != "false") {
        return absl::InvalidArgumentError(absl::StrCat("--", name, " takes no value"));
      }
      flags[name] = has_value ? value : "true";
      continue;
    }
    if (!spec.valued.count(name)) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    }
    if (!has_value) {
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
      }
      value = args[++i];
    }
    flags[name] = value;
  }
  return flags;
}

absl::StatusOr<std::string> ClientToken(const Flags& flags) {
  std::string token;
  if (flags.count("token_file")) {
    std::ifstream in(flags.at("token_file"));
    if (!in || !std::getline(in, token)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--token_file: cannot read ", flags.at("token_file")));
    }
  } else if (const char* env = std::getenv("GRIDLEDGER_TOKEN")) {
    token = env;
  }
  return std::string(absl::StripAsciiWhitespace(token));
}

std::string ClientTarget(const Flags& flags) {
  return flags.count("target") ? flags.at("target") : "127.0.0.1:50051";
}

}  // namespace gridledger::cli
