#include "cli/config_file.h"

#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/test_util.h"

namespace gridledger::cli {
namespace {

using ::testing::ElementsAre;

// A command like serve's: a string, a checked number, a flag, a repeatable
// option.
struct Flags {
  std::string store;
  std::string listen = "127.0.0.1:50051";
  int every_s = 60;
  bool access_log = false;
  std::vector<std::string> trusted;
};

class ConfigFileTest : public ::testing::Test {
 protected:
  ConfigFileTest() {
    command_.add_option("--store", flags_.store);
    command_.add_option("--listen", flags_.listen);
    command_.add_option("--every_s", flags_.every_s)->check(CLI::PositiveNumber);
    command_.add_flag("--access_log", flags_.access_log);
    command_.add_option("--trusted", flags_.trusted);
    command_.add_option("--config", config_);
  }

  // Parses `args` as the command line, then applies `toml`.
  absl::Status Run(std::vector<std::string> args, const std::string& toml) {
    const std::string path = dir_.path() + "/config.toml";
    std::ofstream(path) << toml;
    args.insert(args.begin(), "serve");
    std::vector<const char*> argv;
    argv.reserve(args.size());
    for (const std::string& arg : args) argv.push_back(arg.c_str());
    command_.parse(static_cast<int>(argv.size()), argv.data());
    return ApplyConfigFile(command_, path);
  }

  testing::TempDir dir_;
  CLI::App command_{"serve"};
  Flags flags_;
  std::string config_;
};

TEST_F(ConfigFileTest, EveryKindOfFlagComesFromTheFile) {
  ASSERT_TRUE(Run({},
                  "# serve\nstore = \"embedded:/data\"\nlisten = \"0.0.0.0:1\"\n"
                  "every_s = 30\naccess_log = true\ntrusted = [\"a.pem\", \"b.pem\"]\n")
                  .ok());
  EXPECT_EQ(flags_.store, "embedded:/data");
  EXPECT_EQ(flags_.listen, "0.0.0.0:1");
  EXPECT_EQ(flags_.every_s, 30);
  EXPECT_TRUE(flags_.access_log);
  EXPECT_THAT(flags_.trusted, ElementsAre("a.pem", "b.pem"));
}

TEST_F(ConfigFileTest, TheCommandLineWins) {
  ASSERT_TRUE(Run({"--listen", "127.0.0.1:7", "--every_s", "5"},
                  "store = \"embedded:/data\"\nlisten = \"0.0.0.0:1\"\nevery_s = 30\n")
                  .ok());
  EXPECT_EQ(flags_.store, "embedded:/data");
  EXPECT_EQ(flags_.listen, "127.0.0.1:7");
  EXPECT_EQ(flags_.every_s, 5);
}

TEST_F(ConfigFileTest, AnUnknownKeyIsRefusedByNameAndNothingApplied) {
  const absl::Status status = Run({}, "store = \"embedded:/data\"\nlisen = \"0.0.0.0:1\"\n");
  EXPECT_THAT(status, testing::StatusIs(absl::StatusCode::kInvalidArgument, "\"lisen\""));
  EXPECT_EQ(flags_.store, "");
}

TEST_F(ConfigFileTest, ABadValueIsRefusedWithItsKey) {
  EXPECT_THAT(Run({}, "every_s = -3\n"),
              testing::StatusIs(absl::StatusCode::kInvalidArgument, "\"every_s\""));
}

TEST_F(ConfigFileTest, SectionsAndTheConfigKeyItselfAreRefused) {
  EXPECT_THAT(Run({}, "[serve]\nstore = \"embedded:/data\"\n"),
              testing::StatusIs(absl::StatusCode::kInvalidArgument, "[serve]"));
  EXPECT_THAT(Run({}, "config = \"other.toml\"\n"),
              testing::StatusIs(absl::StatusCode::kInvalidArgument, "\"config\""));
}

// A usage error (exit 2), like any other bad flag.
TEST_F(ConfigFileTest, AMissingFileIsAnInvalidArgument) {
  EXPECT_THAT(ApplyConfigFile(command_, dir_.path() + "/absent.toml"),
              testing::StatusIs(absl::StatusCode::kInvalidArgument, "absent.toml"));
}

// Found by an operator: with a key twice the first silently won.
TEST_F(ConfigFileTest, AKeyGivenTwiceIsRefusedByNameAndNothingApplied) {
  EXPECT_THAT(
      Run({}, "store = \"embedded:/a\"\nlisten = \"127.0.0.1:1\"\nstore = \"embedded:/b\"\n"),
      testing::StatusIs(absl::StatusCode::kInvalidArgument, "\"store\" is given twice"));
  EXPECT_EQ(flags_.store, "");
  EXPECT_EQ(flags_.listen, "127.0.0.1:50051");
  // Found by an operator: written one after the other CLI11 merges them, and
  // a flag silently took the last.
  EXPECT_THAT(
      Run({}, "access_log = true\naccess_log = false\n"),
      testing::StatusIs(absl::StatusCode::kInvalidArgument, "\"access_log\" is given twice"));
  EXPECT_FALSE(flags_.access_log);
}

// Found by an operator: `check_config = true` in a deployed file made serve
// check and exit instead of serving.
TEST_F(ConfigFileTest, CheckConfigIsNotAKeyOfTheFile) {
  command_.add_flag("--check_config");
  EXPECT_THAT(Run({}, "check_config = true\n"),
              testing::StatusIs(absl::StatusCode::kInvalidArgument, "\"check_config\""));
}

}  // namespace
}  // namespace gridledger::cli
