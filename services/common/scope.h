// Org-unit scoping (docs/ARCHITECTURE.md, "Who may act where"): a principal
// acts within its unit's subtree. One rule decides the refusal:
// - a unit the caller names (to create in, to query, to filter by, to send a
//   meter to) outside its subtree is PERMISSION_DENIED naming both units;
// - an aggregate the caller names by id that lies outside its subtree is
//   NOT_FOUND, worded as for one that does not exist, so existence never
//   leaks across units.
#ifndef GRIDLEDGER_SERVICES_COMMON_SCOPE_H_
#define GRIDLEDGER_SERVICES_COMMON_SCOPE_H_

#include <grpcpp/grpcpp.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "eventstore/event_store.h"
#include "gridledger/v1/envelope.pb.h"
#include "services/common/auth.h"

namespace gridledger::service {

// Whether `unit` lies within the principal's unit's subtree.
bool InScope(const Principal& principal, absl::string_view unit);

// PERMISSION_DENIED "<field>: <principal> of <its unit> may not act in
// <unit>, which is outside <its unit>" unless InScope.
absl::Status RequireUnitInScope(const Principal& principal, absl::string_view field,
                                absl::string_view unit);

// The NOT_FOUND an aggregate outside the caller's scope answers, worded as
// for one that does not exist: "<what>: not found".
absl::Status NotFoundInScope(absl::string_view what);

// A unit a request names as where something is created or sent: well formed
// (INVALID_ARGUMENT naming `field`), within the principal's scope
// (PERMISSION_DENIED naming both units) and registered (FAILED_PRECONDITION
// naming `field` and the unit).
absl::Status CheckUnitToActIn(eventstore::EventStore& store, const Principal& principal,
                              absl::string_view field, absl::string_view unit);

// The events of `stream_id`, or none when its aggregate lies outside the
// principal's scope: what a command reads of another aggregate, so it never
// tells of one in another unit.
absl::StatusOr<std::vector<v1::EventEnvelope>> ReadStreamInScope(eventstore::EventStore& store,
                                                                 const Principal& principal,
                                                                 const std::string& stream_id);

// The unit of the aggregate on `stream_id` when it exists and the caller
// (authenticated from `context`) may see it; else empty. For a command that
// creates its aggregate in the unit of another it names (a transformer area
// in its feeder's, an outage plan in its account's): one the caller may not
// see gives no unit, and the command's rules answer it as not found, so its
// unit is never named back.
absl::StatusOr<std::string> VisibleUnitOf(eventstore::EventStore& store,
                                          const TokenRegistry& tokens,
                                          const grpc::ServerContext& context,
                                          const std::string& stream_id);

// Whether `unit` has been registered (its registry stream has an event).
absl::StatusOr<bool> IsRegisteredUnit(eventstore::EventStore& store, absl::string_view unit);

}  // namespace gridledger::service

#endif  // GRIDLEDGER_SERVICES_COMMON_SCOPE_H_
