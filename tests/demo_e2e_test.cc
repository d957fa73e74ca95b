// `gridledger demo` against a real `gridledger serve`: every command of a
// small simulated month succeeds, through the public gRPC API only.
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/auth.h"
#include "tests/testing/serve_process.h"
#include "tests/testing/test_util.h"

namespace gridledger {
namespace {

using ::testing::HasSubstr;

TEST(DemoE2eTest, ASmallMonthRunsWithoutAFailure) {
  testing::TempDir dir;
  std::ofstream tokens(dir.path() + "/tokens");
  std::ofstream credentials(dir.path() + "/credentials");
  for (const char* role : {"customer_service", "marketing_manager", "metering_technician",
                           "meter_reader", "bill_checker", "collector"}) {
    auto issued = service::IssueToken(absl::StrCat("demo-", role), "sn/xa", role);
    ASSERT_TRUE(issued.ok());
    tokens << issued->line << "\n";
    credentials << role << " " << issued->token << "\n";
  }
  tokens.close();
  credentials.close();
  testing::ServeProcess serve(GL_GRIDLEDGER_PATH,
                              {"serve", "--store", "embedded:" + dir.path() + "/store", "--listen",
                               "127.0.0.1:0", "--tokens", dir.path() + "/tokens"});
  const std::string address = testing::AddressFrom(serve.LineContaining("serving on"));
  ASSERT_FALSE(address.empty());
  const std::string output = testing::RunCommand(
      absl::StrCat(GL_GRIDLEDGER_PATH, " demo --target ", address, " --credentials ", dir.path(),
                   "/credentials --accounts 120 --applications 30 --tickets 10 --threads 4 2>&1"));
  EXPECT_THAT(output, HasSubstr("120 accounts"));
  EXPECT_THAT(output, HasSubstr("120 bills"));
  EXPECT_THAT(output, HasSubstr("30 applications"));
  EXPECT_THAT(output, HasSubstr("1 wholesale settlement(s), 1 theft back-billed"));
  EXPECT_THAT(output, HasSubstr(", 0 failed")) << output;
  EXPECT_EQ(serve.Wait(SIGTERM), 0);
}

}  // namespace
}  // namespace gridledger
