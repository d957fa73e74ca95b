#include "cli/config_file.h"

#include <fstream>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace gridledger::cli {
namespace {

// The option a key names, or nullptr; "config" itself is not settable from
// the file.
CLI::Option* OptionForKey(CLI::App& command, const CLI::ConfigItem& item) {
  if (!item.parents.empty() || item.name == "config") return nullptr;
  return command.get_option_no_throw("--" + item.name);
}

}  // namespace

absl::Status ApplyConfigFile(CLI::App& command, const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat("--config ", path, ": cannot be read (no such file, or not readable)"));
  }
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
