// Bearer-token authentication: a token maps to a principal, an org unit and
// roles. Tokens are never stored, only their SHA-256.
//
// The tokens file has one principal per line (blank lines and # comments
// ignored):
//   <sha256 hex of the token> <principal> <org unit> <role>[,<role>…]
// e.g.
//   9f86d08…0f00a08 reader-0042 sn/xa/huyi meter_reader
// `gridledger token --principal P --org_unit U --roles R1,R2` makes a token
// and prints its line.
#ifndef GRIDLEDGER_SERVICES_COMMON_AUTH_H_
#define GRIDLEDGER_SERVICES_COMMON_AUTH_H_

#include <set>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gridledger::service {

// The roles of ARCHITECTURE.md.
inline constexpr const char* kKnownRoles[] = {
    "customer_service",  "meter_reader", "bill_checker", "collector", "metering_technician",
    "marketing_manager", "auditor",      "analyst",      "admin"};

struct Principal {
  std::string name;
  std::string org_unit;
  std::set<std::string> roles;

  bool HasRole(absl::string_view role) const { return roles.count(std::string(role)) > 0; }
  // PERMISSION_DENIED naming the roles that would do, unless the principal
  // has one of them (admin always does).
  absl::Status RequireAnyRole(std::initializer_list<absl::string_view> allowed) const;
};

// Immutable after loading; thread-safe.
class TokenRegistry {
 public:
  // INVALID_ARGUMENT naming the line and what is wrong with it.
  static absl::StatusOr<TokenRegistry> Parse(absl::string_view contents);
  static absl::StatusOr<TokenRegistry> LoadFile(const std::string& path);

  // From an "authorization" header value, "Bearer <token>". UNAUTHENTICATED
  // when it is missing, malformed or unknown (the message never echoes it).
  absl::StatusOr<Principal> Authenticate(absl::string_view authorization) const;

  size_t size() const { return by_hash_.size(); }

 private:
  absl::flat_hash_map<std::string, Principal> by_hash_;  // hex SHA-256 → principal
};

// A new random token (32 bytes, hex) and its tokens-file line.
struct IssuedToken {
  std::string token;
  std::string line;
};
absl::StatusOr<IssuedToken> IssueToken(absl::string_view principal, absl::string_view org_unit,
                                       absl::string_view roles_csv);

}  // namespace gridledger::service

#endif  // GRIDLEDGER_SERVICES_COMMON_AUTH_H_
