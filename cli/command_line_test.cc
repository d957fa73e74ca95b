#include "cli/command_line.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gridledger::cli {
namespace {

const FlagSpec kSpec{{"store", "listen"}, {"insecure_allow_remote"}};

TEST(ParseFlagsTest, AcceptsBothValueForms) {
  auto flags = ParseFlags(
      {"--store", "embedded:/x", "--listen=127.0.0.1:1", "--insecure_allow_remote"}, kSpec);
  ASSERT_TRUE(flags.ok()) << flags.status();
  EXPECT_EQ(flags->at("store"), "embedded:/x");
  EXPECT_EQ(flags->at("listen"), "127.0.0.1:1");
  EXPECT_EQ(flags->at("insecure_allow_remote"), "true");
}

TEST(ParseFlagsTest, NamesWhatIsWrong) {
  EXPECT_THAT(std::string(ParseFlags({"--colour=red"}, kSpec).status().message()),
              ::testing::HasSubstr("unknown flag --colour"));
  EXPECT_THAT(std::string(ParseFlags({"--store"}, kSpec).status().message()),
              ::testing::HasSubstr("--store needs a value"));
  EXPECT_THAT(std::string(ParseFlags({"stray"}, kSpec).status().message()),
              ::testing::HasSubstr("unexpected argument \"stray\""));
}

}  // namespace
}  // namespace gridledger::cli
