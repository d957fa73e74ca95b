#include "cli/config_file.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace gridledger::cli {
namespace {

// The option a key names, or nullptr.
CLI::Option* OptionForKey(CLI::App& command, const CLI::ConfigItem& item) {
  if (!item.parents.empty()) return nullptr;
  return command.get_option_no_throw("--" + item.name);
}

// The first key written twice at the start of a line ("key = …"), or empty.
// CLI11 merges a repeated key into one item with several values, which a
// flag then takes the last of: found here, before CLI11 reads the file.
std::string RepeatedKey(const std::string& text) {
  absl::flat_hash_set<std::string> seen;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripLeadingAsciiWhitespace(line);
    if (absl::StartsWith(line, "[")) break;  // sections: refused by name below
    const size_t equals = line.find('=');
    if (equals == absl::string_view::npos || line.empty() || line.front() == '#') continue;
    const absl::string_view key = absl::StripTrailingAsciiWhitespace(line.substr(0, equals));
    const bool bare = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
      return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
    });
    if (bare && !seen.insert(std::string(key)).second) return std::string(key);
  }
  return "";
}

}  // namespace

absl::Status ApplyConfigFile(CLI::App& command, const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  if (!file || !(text << file.rdbuf())) {
    return absl::InvalidArgumentError(
        absl::StrCat("--config ", path, ": cannot be read (no such file, or not readable)"));
  }
  if (const std::string repeated = RepeatedKey(text.str()); !repeated.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--config ", path, ": key \"", repeated,
                                                   "\" is given twice; give each flag once"));
  }
  std::istringstream in(text.str());
  std::vector<CLI::ConfigItem> items;
  try {
    items = CLI::ConfigTOML().from_config(in);
  } catch (const CLI::Error& error) {
    return absl::InvalidArgumentError(
        absl::StrCat("--config ", path, ": not a TOML file of flags: ", error.what()));
  }
  absl::flat_hash_set<std::string> seen;
  for (const CLI::ConfigItem& item : items) {
    // CLI11 marks section openings and closings with these names.
    if (item.name == "++" || item.name == "--") {
      return absl::InvalidArgumentError(
          absl::StrCat("--config ", path, ": section [", absl::StrJoin(item.parents, "."),
                       "]: sections are not used; write the flags as top-level keys"));
    }
    if (!item.parents.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--config ", path, ": key \"", item.fullname(), "\" is in section [",
                       absl::StrJoin(item.parents, "."),
                       "]: sections are not used; write the flags as top-level keys"));
    }
    if (!seen.insert(item.name).second) {
      return absl::InvalidArgumentError(absl::StrCat("--config ", path, ": key \"", item.name,
                                                     "\" is given twice; give each flag once"));
    }
    if (item.parents.empty() && (item.name == "config" || item.name == "check_config")) {
      return absl::InvalidArgumentError(
          absl::StrCat("--config ", path, ": key \"", item.name,
                       "\" is a flag of the command line only (a file cannot name another "
                       "file or turn serving into a check)"));
    }
    if (OptionForKey(command, item) == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("--config ", path, ": key \"", item.fullname(),
                                                     "\" is no flag of `", command.get_name(),
                                                     "` (keys are its flags without --)"));
    }
  }
  for (const CLI::ConfigItem& item : items) {
    CLI::Option* option = OptionForKey(command, item);
    if (option->count() > 0) continue;  // the command line gave it
    try {
      option->add_result(item.inputs);
      option->run_callback();
    } catch (const CLI::Error& error) {
      return absl::InvalidArgumentError(absl::StrCat("--config ", path, ": key \"", item.name,
                                                     "\" = ", absl::StrJoin(item.inputs, ","), ": ",
                                                     error.what()));
    }
  }
  return absl::OkStatus();
}

}  // namespace gridledger::cli
