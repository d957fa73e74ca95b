#include "cli/command_line.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "cli/serve_command.h"
#include "cli/token_command.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gridledger::cli {
namespace {

// Runs a small application on `args` (argv[0] added), as main does.
struct Ran {
  int exit_code = -1;
  std::string store, listen;
  bool remote = false;
  bool ran = false;
};

Ran RunApp(std::vector<std::string> args) {
  Ran result;
  CLI::App app{"test", "gridledger"};
  app.require_subcommand(1);
  int exit_code = kExitOk;
  CLI::App* command = app.add_subcommand("serve", "");
  command->add_option("--store", result.store)->required();
  command->add_option("--listen", result.listen);
  command->add_flag("--insecure_allow_remote", result.remote);
  command->callback([&result, &exit_code] {
    result.ran = true;
    exit_code = 7;
  });
  args.insert(args.begin(), "gridledger");
  std::vector<char*> argv;
  argv.reserve(args.size());
  for (std::string& arg : args) argv.push_back(arg.data());
  result.exit_code = RunCommandLine(app, static_cast<int>(argv.size()), argv.data(), exit_code);
  return result;
}

TEST(CommandLineTest, AcceptsBothValueFormsAndSwitches) {
  Ran ran = RunApp(
      {"serve", "--store", "embedded:/x", "--listen=127.0.0.1:1", "--insecure_allow_remote"});
  EXPECT_TRUE(ran.ran);
  EXPECT_EQ(ran.exit_code, 7) << "the subcommand's own exit code";
  EXPECT_EQ(ran.store, "embedded:/x");
  EXPECT_EQ(ran.listen, "127.0.0.1:1");
  EXPECT_TRUE(ran.remote);
}

TEST(CommandLineTest, UsageErrorsAreExitTwoAndRunNothing) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"serve", "--store", "embedded:/x", "--colour=red"},
                                             {"serve"},
                                             {"serve", "--store"},
                                             {"serve", "--store", "embedded:/x", "stray"},
                                             {"launch"},
                                             {}}) {
    Ran ran = RunApp(args);
    EXPECT_EQ(ran.exit_code, kExitUsage) << ::testing::PrintToString(args);
    EXPECT_FALSE(ran.ran) << ::testing::PrintToString(args);
  }
}

TEST(CommandLineTest, HelpIsExitZeroAndRunsNothing) {
  Ran ran = RunApp({"serve", "--help"});
  EXPECT_EQ(ran.exit_code, kExitOk);
  EXPECT_FALSE(ran.ran);
  EXPECT_EQ(RunApp({"--help"}).exit_code, kExitOk);
}

TEST(CommandLineTest, RealSubcommandsRefuseBadTypedValues) {
  CLI::App app{"test", "gridledger"};
  int exit_code = kExitOk;
  AddServeCommands(app, &exit_code);
  AddTokenCommand(app, &exit_code);
  std::vector<std::string> args = {"gridledger", "serve", "--max_apply_rate", "-5"};
  std::vector<char*> argv;
  argv.reserve(args.size());
  for (std::string& arg : args) argv.push_back(arg.data());
  EXPECT_EQ(RunCommandLine(app, static_cast<int>(argv.size()), argv.data(), exit_code), kExitUsage);
}

// Found by an operator: a server name alone left the channel plaintext, the
// certificate it names never checked.
TEST(ClientChannelTest, AServerNameWithoutTlsIsRefused) {
  ClientFlags flags;
  flags.tls_server_name = "gridledger.example";
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = ClientChannel(flags);
  ASSERT_FALSE(channel.ok());
  EXPECT_EQ(channel.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(channel.status().message()), ::testing::HasSubstr("--tls_server_name"));
  flags.tls_server_name.clear();
  EXPECT_TRUE(ClientChannel(flags).ok()) << "plaintext without any TLS flag";
}

TEST(ClientTokenTest, FileThenEnvironment) {
  ClientFlags flags;
  flags.token_file = "/nonexistent/token";
  EXPECT_THAT(std::string(ClientToken(flags).status().message()),
              ::testing::HasSubstr("--token_file"));
  flags.token_file.clear();
  setenv("GRIDLEDGER_TOKEN", "  abc \n", 1);
  EXPECT_EQ(*ClientToken(flags), "abc");
  unsetenv("GRIDLEDGER_TOKEN");
  EXPECT_EQ(*ClientToken(flags), "");
}

}  // namespace
}  // namespace gridledger::cli
