#include "services/common/auth.h"

#include <openssl/rand.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/sha256.h"

namespace gridledger::service {
namespace {

bool KnownRole(absl::string_view role) {
  for (const char* known : kKnownRoles) {
    if (role == known) return true;
  }
  return false;
}

absl::StatusOr<std::set<std::string>> ParseRoles(absl::string_view csv, absl::string_view where) {
  std::set<std::string> roles;
  for (absl::string_view role : absl::StrSplit(csv, ',', absl::SkipEmpty())) {
    if (!KnownRole(role)) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, "unknown role \"", role, "\"; known: ", absl::StrJoin(kKnownRoles, ", ")));
    }
    roles.insert(std::string(role));
  }
  if (roles.empty()) return absl::InvalidArgumentError(absl::StrCat(where, "no role given"));
  return roles;
}

// Principal names go into command ids ("<principal>:<id>") and logs: 1–64 of
// [A-Za-z0-9._@-].
absl::Status CheckPrincipalName(absl::string_view name, absl::string_view where) {
  bool valid = !name.empty() && name.size() <= 64;
  for (char c : name) {
    valid = valid && (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' ||
                      c == '@' || c == '-');
  }
  if (valid) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(where, "a principal name must be 1-64 of [A-Za-z0-9._@-]"));
}

// Principal names and org units become every event's actor and appear in
// logs and messages: one word of printable ASCII (no space, no control
// character, nothing a protobuf string or a terminal would take otherwise).
constexpr size_t kMaxWordLength = 128;

bool IsOneWord(absl::string_view text) {
  if (text.empty() || text.size() > kMaxWordLength) return false;
  for (char c : text) {
    if (c <= ' ' || c > '~') return false;
  }
  return true;
}

}  // namespace

absl::Status Principal::RequireAnyRole(std::initializer_list<absl::string_view> allowed) const {
  if (HasRole("admin")) return absl::OkStatus();
  for (absl::string_view role : allowed) {
    if (HasRole(role)) return absl::OkStatus();
  }
  return absl::PermissionDeniedError(absl::StrCat(name, " lacks the role for this: one of ",
                                                  absl::StrJoin(allowed, ", "), " is needed"));
}

TokenRegistry::TokenRegistry(TokenRegistry&& other) noexcept : table_(other.table()) {}

TokenRegistry& TokenRegistry::operator=(TokenRegistry&& other) noexcept {
  std::shared_ptr<const Table> table = other.table();
  absl::MutexLock lock(&mu_);
  table_ = std::move(table);
  return *this;
}

absl::StatusOr<std::shared_ptr<const TokenRegistry::Table>> TokenRegistry::ParseTable(
    absl::string_view contents) {
  auto table = std::make_shared<Table>();
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(contents, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || absl::StartsWith(line, "#")) continue;
    const std::string where = absl::StrCat("tokens line ", line_number, ": ");
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ', absl::SkipWhitespace());
    if (fields.size() != 4 && fields.size() != 5) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, "expected <sha256 hex> <principal> <org unit> <roles> [expires=<RFC 3339>]"));
    }
    std::string hash = absl::AsciiStrToLower(fields[0]);
    if (hash.size() != 64 || hash.find_first_not_of("0123456789abcdef") != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "the token hash must be 64 hex digits"));
    }
    if (absl::Status s = CheckPrincipalName(fields[1], where); !s.ok()) return s;
    if (!IsOneWord(fields[2])) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "the org unit must be one word of printable ASCII (1-",
                       kMaxWordLength, " characters)"));
    }
    absl::StatusOr<std::set<std::string>> roles = ParseRoles(fields[3], where);
    if (!roles.ok()) return roles.status();
    Entry entry{Principal{std::string(fields[1]), std::string(fields[2]), *std::move(roles)},
                std::nullopt};
    if (fields.size() == 5) {
      absl::string_view expires = fields[4];
      absl::Time at;
      std::string error;
      if (!absl::ConsumePrefix(&expires, "expires=") ||
          !absl::ParseTime(absl::RFC3339_full, expires, &at, &error)) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, "the fifth field must be expires=<RFC 3339 time>"));
      }
      entry.expires = at;
    }
    if (!table->emplace(std::move(hash), std::move(entry)).second) {
      return absl::InvalidArgumentError(absl::StrCat(where, "the same token appears twice"));
    }
  }
  return table;
}

absl::StatusOr<TokenRegistry> TokenRegistry::Parse(absl::string_view contents) {
  TokenRegistry registry;
  if (absl::Status s = registry.Replace(contents); !s.ok()) return s;
  return registry;
}

absl::StatusOr<TokenRegistry> TokenRegistry::LoadFile(const std::string& path) {
  TokenRegistry registry;
  if (absl::Status s = registry.ReloadFile(path); !s.ok()) return s;
  return registry;
}

absl::Status TokenRegistry::Replace(absl::string_view contents) {
  absl::StatusOr<std::shared_ptr<const Table>> table = ParseTable(contents);
  if (!table.ok()) return table.status();
  absl::MutexLock lock(&mu_);
  table_ = *std::move(table);
  return absl::OkStatus();
}

absl::Status TokenRegistry::ReloadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("tokens file ", path, " cannot be read"));
  std::stringstream contents;
  contents << in.rdbuf();
  return Replace(contents.str());
}

std::shared_ptr<const TokenRegistry::Table> TokenRegistry::table() const {
  absl::MutexLock lock(&mu_);
  return table_;
}

size_t TokenRegistry::size() const { return table()->size(); }

absl::StatusOr<Principal> TokenRegistry::Authenticate(absl::string_view authorization,
                                                      absl::Time now) const {
  if (authorization.empty()) {
    return absl::UnauthenticatedError("authorization: a bearer token is required");
  }
  absl::string_view token = authorization;
  if (!absl::ConsumePrefix(&token, "Bearer ") || token.empty()) {
    return absl::UnauthenticatedError("authorization: must be \"Bearer <token>\"");
  }
  const std::shared_ptr<const Table> table = this->table();
  auto it = table->find(HexEncode(Sha256(token)));
  if (it == table->end()) return absl::UnauthenticatedError("authorization: unknown token");
  if (it->second.expires.has_value() && now >= *it->second.expires) {
    // Whose it was is not said: an expired token tells its bearer nothing.
    return absl::UnauthenticatedError(
        absl::StrCat("authorization: the token expired at ",
                     absl::FormatTime(absl::RFC3339_sec, *it->second.expires, absl::UTCTimeZone()),
                     "; ask for a new one"));
  }
  return it->second.principal;
}

absl::StatusOr<Principal> TokenRegistry::AuthenticateHeaders(
    const std::vector<absl::string_view>& headers, absl::Time now) const {
  if (headers.size() > 1) {
    return absl::UnauthenticatedError(
        absl::StrCat("authorization: exactly one header is accepted, got ", headers.size()));
  }
  return Authenticate(headers.empty() ? absl::string_view() : headers.front(), now);
}

absl::StatusOr<IssuedToken> IssueToken(absl::string_view principal, absl::string_view org_unit,
                                       absl::string_view roles_csv,
                                       std::optional<absl::Time> expires) {
  if (absl::Status s = CheckPrincipalName(principal, "principal: "); !s.ok()) return s;
  if (!IsOneWord(org_unit)) {
    return absl::InvalidArgumentError(
        absl::StrCat("org_unit: must be one word of printable ASCII (1-", kMaxWordLength,
                     " characters), e.g. sn/xa/huyi"));
  }
  absl::StatusOr<std::set<std::string>> roles = ParseRoles(roles_csv, "roles: ");
  if (!roles.ok()) return roles.status();
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return absl::InternalError("no randomness");
  IssuedToken issued;
  issued.token = HexEncode(absl::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
  issued.line = absl::StrCat(HexEncode(Sha256(issued.token)), " ", principal, " ", org_unit, " ",
                             absl::StrJoin(*roles, ","));
  if (expires.has_value()) {
    absl::StrAppend(&issued.line, " expires=",
                    absl::FormatTime(absl::RFC3339_sec, *expires, absl::UTCTimeZone()));
  }
  return issued;
}

}  // namespace gridledger::service
