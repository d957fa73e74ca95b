// Bearer-token authentication: a token maps to a principal, an org unit and
// roles. Tokens are never stored, only their SHA-256.
//
// The tokens file has one principal per line (blank lines and # comments
// ignored):
//   <sha256 hex of the token> <principal> <org unit> <role>[,<role>…] [expires=<RFC 3339>]
// where the principal and the org unit are each one word of printable ASCII
// (at most 128 characters): they become the actor of every event.
// e.g.
//   9f86d08…0f00a08 reader-0042 sn/xa/huyi meter_reader expires=2027-01-01T00:00:00+08:00
// `gridledger token --principal P --org_unit U --roles R1,R2 [--valid_for 90d]`
// makes a token and prints its line. A token past its expiry is refused
// (UNAUTHENTICATED "expired"). The registry can be replaced while it serves
// (Replace, ReloadFile): the server reloads the file on SIGHUP and when it
// changes, so removing a line revokes that token within seconds.
#ifndef GRIDLEDGER_SERVICES_COMMON_AUTH_H_
#define GRIDLEDGER_SERVICES_COMMON_AUTH_H_

#include <atomic>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace gridledger::service {

class CallAdmission;

// The roles of ARCHITECTURE.md.
inline constexpr const char* kKnownRoles[] = {
    "customer_service", "meter_reader",      "bill_checker", "collector", "metering_technician",
    "field_crew",       "marketing_manager", "auditor",      "analyst",   "admin"};

struct Principal {
  std::string name;
  std::string org_unit;
  std::set<std::string> roles;

  bool HasRole(absl::string_view role) const { return roles.count(std::string(role)) > 0; }
  // PERMISSION_DENIED naming the roles that would do, unless the principal
  // has one of them (admin always does).
  absl::Status RequireAnyRole(std::initializer_list<absl::string_view> allowed) const;
};

// The tokens in force. Thread-safe: Authenticate may run on any number of
// threads while Replace swaps the whole set atomically.
class TokenRegistry {
 public:
  TokenRegistry() = default;  // no tokens: every call is UNAUTHENTICATED
  TokenRegistry(TokenRegistry&& other) noexcept;
  TokenRegistry& operator=(TokenRegistry&& other) noexcept;

  // INVALID_ARGUMENT naming the line and what is wrong with it.
  static absl::StatusOr<TokenRegistry> Parse(absl::string_view contents);
  // As Parse, from a file; NOT_FOUND when it cannot be read.
  static absl::StatusOr<TokenRegistry> LoadFile(const std::string& path);

  // Puts the tokens of `contents` in force instead of the current ones. On
  // error (as Parse) the current tokens stay in force.
  absl::Status Replace(absl::string_view contents);
  absl::Status ReloadFile(const std::string& path);

  // From the call's "authorization" header values: exactly one, "Bearer
  // <token>", of a token in force and not expired at `now`. UNAUTHENTICATED
  // otherwise (the message never echoes the token).
  absl::StatusOr<Principal> Authenticate(absl::string_view authorization,
                                         absl::Time now = absl::Now()) const;
  absl::StatusOr<Principal> AuthenticateHeaders(const std::vector<absl::string_view>& headers,
                                                absl::Time now = absl::Now()) const;

  size_t size() const;

  // Calls authenticated through service::Authenticate (grpc_util.h) are
  // then admitted by `admission` (per-principal cap; not owned; null: none).
  // Not carried by a move: attach once the registry is in place.
  void AttachAdmission(CallAdmission* admission) { admission_.store(admission); }
  CallAdmission* admission() const { return admission_.load(); }

 private:
  struct Entry {
    Principal principal;
    std::optional<absl::Time> expires;
  };
  using Table = absl::flat_hash_map<std::string, Entry>;  // hex SHA-256 → entry

  static absl::StatusOr<std::shared_ptr<const Table>> ParseTable(absl::string_view contents);
  std::shared_ptr<const Table> table() const;

  mutable absl::Mutex mu_;
  std::shared_ptr<const Table> table_ ABSL_GUARDED_BY(mu_) = std::make_shared<Table>();
  std::atomic<CallAdmission*> admission_{nullptr};
};

// A new random token (32 bytes, hex) and its tokens-file line.
struct IssuedToken {
  std::string token;
  std::string line;
};
// `expires`, when given, is written as the line's expires= field.
absl::StatusOr<IssuedToken> IssueToken(absl::string_view principal, absl::string_view org_unit,
                                       absl::string_view roles_csv,
                                       std::optional<absl::Time> expires = std::nullopt);

}  // namespace gridledger::service

#endif  // GRIDLEDGER_SERVICES_COMMON_AUTH_H_
