#include "services/common/auth.h"

#include <string>
#include <utility>
#include <vector>

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

// Found by fuzz/tokens_file_fuzzer: a name or org unit with bytes that are not
// UTF-8 or with control characters was accepted, and would have become the
// actor of events (a proto3 string that does not parse back: DATA_LOSS).
TEST(TokenRegistryTest, PrincipalsAndOrgUnitsAreOneWordOfPrintableAscii) {
  const std::string hash = HexEncode(Sha256("x"));
  for (const std::string& line :
       {hash + " p \xceJ admin", hash + " p\x01 sn admin", hash + " a\tb sn admin",
        hash + " p sn/\x7f admin", hash + " " + std::string(129, 'p') + " sn admin"}) {
    absl::Status status = TokenRegistry::Parse(line).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << line;
    EXPECT_THAT(std::string(status.message()), HasSubstr("tokens line 1: "));
    EXPECT_THAT(std::string(status.message()), ::testing::AnyOf(HasSubstr("principal name must be"),
                                                                HasSubstr("org unit must be")));
  }
  for (const auto& [principal, org_unit] : std::vector<std::pair<std::string, std::string>>{
           {"$[", "\xceJ"}, {"a\nb", "sn"}, {"a\tb", "sn"}, {"p", "sn/\x1b[31m"}}) {
    absl::Status status = IssueToken(principal, org_unit, "admin").status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << principal << " " << org_unit;
  }
  EXPECT_TRUE(IssueToken("ops@sn-grid.example", "sn/xa/huyi_2", "admin").ok());
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

TEST(TokenRegistryTest, ExpiredTokensAreRefused) {
  const absl::Time now = absl::FromUnixSeconds(1800000000);
  absl::StatusOr<IssuedToken> token =
      IssueToken("temp-1", "sn/xa", "collector", now + absl::Hours(1));
  ASSERT_TRUE(token.ok());
  EXPECT_THAT(token->line, HasSubstr(" expires=2027-01-15T09:00:00+00:00"));
  absl::StatusOr<TokenRegistry> registry = TokenRegistry::Parse(token->line);
  ASSERT_TRUE(registry.ok()) << registry.status();
  EXPECT_TRUE(registry->Authenticate("Bearer " + token->token, now).ok());
  absl::Status expired =
      registry->Authenticate("Bearer " + token->token, now + absl::Hours(1)).status();
  EXPECT_EQ(expired.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(expired.message()), HasSubstr("expired"));
  EXPECT_THAT(
      std::string(
          TokenRegistry::Parse(HexEncode(Sha256("x")) + " p sn admin soon").status().message()),
      HasSubstr("expires=<RFC 3339 time>"));
}

TEST(TokenRegistryTest, ReplaceSwapsTheTokensAndABadFileKeepsThem) {
  absl::StatusOr<IssuedToken> a = IssueToken("a", "sn", "admin");
  absl::StatusOr<IssuedToken> b = IssueToken("b", "sn", "admin");
  absl::StatusOr<TokenRegistry> registry = TokenRegistry::Parse(a->line + "\n" + b->line);
  ASSERT_TRUE(registry.ok());
  ASSERT_TRUE(registry->Replace(b->line).ok());
  EXPECT_EQ(registry->size(), 1u);
  EXPECT_FALSE(registry->Authenticate("Bearer " + a->token).ok()) << "revoked";
  EXPECT_TRUE(registry->Authenticate("Bearer " + b->token).ok());
  EXPECT_FALSE(registry->Replace("garbage").ok());
  EXPECT_TRUE(registry->Authenticate("Bearer " + b->token).ok()) << "kept on a bad file";
}

TEST(TokenRegistryTest, ExactlyOneAuthorizationHeader) {
  absl::StatusOr<IssuedToken> a = IssueToken("a", "sn", "admin");
  absl::StatusOr<TokenRegistry> registry = TokenRegistry::Parse(a->line);
  const std::string header = "Bearer " + a->token;
  EXPECT_TRUE(registry->AuthenticateHeaders({header}).ok());
  absl::Status two = registry->AuthenticateHeaders({header, "Bearer other"}).status();
  EXPECT_EQ(two.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(two.message()), HasSubstr("exactly one"));
  EXPECT_EQ(registry->AuthenticateHeaders({header, header}).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(registry->AuthenticateHeaders({}).status().code(), absl::StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace gridledger::service
