// Fuzzes the tokens file parser (services/common/auth.h, TokenRegistry):
// `serve --tokens FILE` reads it at start, on SIGHUP and whenever it changes.
// Each input is a tokens file in which every "HASH" stands for the SHA-256 of
// the token "fuzz-token", so a line can name a token the fuzzer then
// presents. Per input:
//   1. Parse is OK or INVALID_ARGUMENT naming "tokens line N" of a line the
//      file has;
//   2. when it parses, "Bearer fuzz-token" authenticates (OK) or is refused
//      (UNAUTHENTICATED, without echoing the token); a principal it gives has
//      a name and an org unit that are one word of valid UTF-8 without control
//      characters (they become every event's actor) and known roles;
//   3. Replace with the input never loses the tokens in force when it fails;
//   4. IssueToken over the input's first three lines (principal, org unit,
//      roles) writes a line that parses back to the same principal.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "common/sha256.h"
#include "fuzz/testing/checks.h"
#include "services/common/auth.h"

namespace gridledger::fuzzing {
namespace {

using service::Principal;
using service::TokenRegistry;

constexpr char kToken[] = "fuzz-token";

bool IsOneWord(absl::string_view text) {
  return !text.empty() && IsValidUtf8(text) && !HasControlCharacter(text) &&
         !absl::StrContains(text, ' ');
}

void CheckPrincipal(const Principal& principal) {
  FuzzCheck(IsOneWord(principal.name),
            absl::StrCat("a principal's name is not one word: \"", principal.name, "\""));
  FuzzCheck(IsOneWord(principal.org_unit),
            absl::StrCat("a principal's org unit is not one word: \"", principal.org_unit, "\""));
  FuzzCheck(!principal.roles.empty(), "a principal without roles");
  for (const std::string& role : principal.roles) {
    bool known = false;
    for (const char* known_role : service::kKnownRoles) known = known || role == known_role;
    FuzzCheck(known, absl::StrCat("an unknown role: ", role));
  }
}

// Parse's answer: OK, or INVALID_ARGUMENT naming one of the file's lines.
void CheckParse(absl::string_view contents, const absl::StatusOr<TokenRegistry>& parsed) {
  if (parsed.ok()) return;
  const absl::Status& status = parsed.status();
  FuzzCheck(absl::IsInvalidArgument(status), absl::StrCat("Parse: ", status.ToString()));
  absl::string_view message = status.message();
  const int64_t lines = std::count(contents.begin(), contents.end(), '\n') + 1;
  int64_t line = 0;
  FuzzCheck(absl::ConsumePrefix(&message, "tokens line ") &&
                absl::SimpleAtoi(message.substr(0, message.find(':')), &line) && line >= 1 &&
                line <= lines,
            absl::StrCat("Parse: the error does not name a line of the file: ", status.ToString()));
}

void CheckAuthentication(const TokenRegistry& tokens) {
  for (absl::Time now : {absl::Now(), absl::InfinitePast(), absl::InfiniteFuture()}) {
    absl::StatusOr<Principal> principal = tokens.Authenticate(absl::StrCat("Bearer ", kToken), now);
    if (principal.ok()) {
      CheckPrincipal(*principal);
      continue;
    }
    FuzzCheck(absl::IsUnauthenticated(principal.status()),
              absl::StrCat("Authenticate: ", principal.status().ToString()));
    FuzzCheck(!absl::StrContains(principal.status().message(), kToken),
              "Authenticate: the refusal echoes the token");
  }
}

// A failed Replace keeps the tokens in force.
void CheckReplace(absl::string_view contents) {
  const std::string in_force = absl::StrCat(HexEncode(Sha256("kept")), " keeper sn admin\n");
  absl::StatusOr<TokenRegistry> tokens = TokenRegistry::Parse(in_force);
  FuzzCheck(tokens.ok(), "the tokens in force do not parse");
  if (tokens->Replace(contents).ok()) return;
  FuzzCheck(tokens->Authenticate("Bearer kept").ok(), "a failed Replace lost the tokens in force");
}

// IssueToken and Parse agree: a line IssueToken writes parses back.
void CheckIssueToken(absl::string_view input) {
  std::vector<absl::string_view> parts = absl::StrSplit(input, absl::MaxSplits('\n', 3));
  if (parts.size() < 3) return;
  absl::StatusOr<service::IssuedToken> issued = service::IssueToken(parts[0], parts[1], parts[2]);
  if (!issued.ok()) {
    FuzzCheck(absl::IsInvalidArgument(issued.status()) && NamesAField(issued.status().message()),
              absl::StrCat("IssueToken: ", issued.status().ToString()));
    return;
  }
  absl::StatusOr<TokenRegistry> tokens = TokenRegistry::Parse(issued->line);
  FuzzCheck(tokens.ok(), absl::StrCat("IssueToken wrote a line that does not parse: \"",
                                      issued->line, "\": ", tokens.status().ToString()));
  absl::StatusOr<Principal> principal = tokens->Authenticate("Bearer " + issued->token);
  FuzzCheck(principal.ok() && principal->name == parts[0] && principal->org_unit == parts[1],
            absl::StrCat("IssueToken's line gives another principal: \"", issued->line, "\""));
  CheckPrincipal(*principal);
}

}  // namespace
}  // namespace gridledger::fuzzing

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  gridledger::fuzzing::QuietProtobufLogging();
  using namespace gridledger::fuzzing;  // NOLINT(google-build-using-namespace)
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string contents =
      absl::StrReplaceAll(input, {{"HASH", gridledger::HexEncode(gridledger::Sha256(kToken))}});
  absl::StatusOr<gridledger::service::TokenRegistry> tokens =
      gridledger::service::TokenRegistry::Parse(contents);
  CheckParse(contents, tokens);
  if (tokens.ok()) CheckAuthentication(*tokens);
  CheckReplace(contents);
  CheckIssueToken(input);
  return 0;
}
