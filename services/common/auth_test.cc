#include "services/common/auth.h"

#include "common/sha256.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gridledger::service {
namespace {

using ::testing::HasSubstr;

TEST(TokenRegistryTest, IssuedTokensAuthenticate) {
  absl::StatusOr<IssuedToken> reader = IssueToken("reader-0042", "sn/xa/huyi", "meter_reader");
  absl::StatusOr<IssuedToken> checker = IssueToken("checker-7", "sn/xa", "bill_checker,collector");
  ASSERT_TRUE(reader.ok() && checker.ok());
  absl::StatusOr<TokenRegistry> registry =
      TokenRegistry::Parse("# staff\n" + reader->line + "\n\n" + checker->line + "\n");
  ASSERT_TRUE(registry.ok()) << registry.status();
  EXPECT_EQ(registry->size(), 2u);
  absl::StatusOr<Principal> who = registry->Authenticate("Bearer " + checker->token);
  ASSERT_TRUE(who.ok()) << who.status();
  EXPECT_EQ(who->name, "checker-7");
  EXPECT_EQ(who->org_unit, "sn/xa");
  EXPECT_TRUE(who->HasRole("collector"));
  EXPECT_FALSE(who->HasRole("meter_reader"));
  EXPECT_TRUE(who->RequireAnyRole({"collector"}).ok());
  absl::Status denied = who->RequireAnyRole({"metering_technician"});
  EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(denied.message()), HasSubstr("metering_technician"));
}

TEST(TokenRegistryTest, RefusesMissingMalformedAndUnknownTokens) {
  absl::StatusOr<IssuedToken> admin = IssueToken("root", "sn", "admin");
  auto registry = TokenRegistry::Parse(admin->line);
  ASSERT_TRUE(registry.ok());
  for (const char* header : {"", "Bearer", "Bearer ", "Basic abc", "bearer x"}) {
    EXPECT_EQ(registry->Authenticate(header).status().code(), absl::StatusCode::kUnauthenticated)
        << header;
  }
  absl::Status unknown = registry->Authenticate("Bearer not-a-token").status();
  EXPECT_EQ(unknown.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(unknown.message()), ::testing::Not(HasSubstr("not-a-token")));
  // admin passes every role check.
  EXPECT_TRUE(registry->Authenticate("Bearer " + admin->token)->RequireAnyRole({"collector"}).ok());
}

TEST(TokenRegistryTest, BadLinesNameTheLineAndRule) {
  const std::string hash = HexEncode(Sha256("x"));
  EXPECT_THAT(std::string(TokenRegistry::Parse("\n" + hash + " a b").status().message()),
              HasSubstr("tokens line 2: expected"));
  EXPECT_THAT(std::string(TokenRegistry::Parse("abc p sn admin").status().message()),
              HasSubstr("64 hex digits"));
  EXPECT_THAT(std::string(TokenRegistry::Parse(hash + " p sn wizard").status().message()),
              HasSubstr("unknown role \"wizard\""));
  EXPECT_THAT(
      std::string(
          TokenRegistry::Parse(hash + " p sn admin\n" + hash + " q sn admin").status().message()),
      HasSubstr("twice"));
}

}  // namespace
}  // namespace gridledger::service
