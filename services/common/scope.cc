#include "services/common/scope.h"

#include "absl/strings/str_cat.h"
#include "domain/common/org_units.h"
#include "services/common/grpc_util.h"

namespace gridledger::service {

bool InScope(const Principal& principal, absl::string_view unit) {
  return domain::OrgUnitContains(principal.org_unit, unit);
}

absl::Status RequireUnitInScope(const Principal& principal, absl::string_view field,
                                absl::string_view unit) {
  if (InScope(principal, unit)) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(field, ": ", principal.name, " of ",
                                                  principal.org_unit, " may not act in ", unit,
                                                  ", which is outside ", principal.org_unit));
}

absl::Status NotFoundInScope(absl::string_view what) {
  return absl::NotFoundError(absl::StrCat(what, ": not found"));
}

absl::StatusOr<bool> IsRegisteredUnit(eventstore::EventStore& store, absl::string_view unit) {
  absl::StatusOr<std::vector<v1::EventEnvelope>> registry =
      store.ReadStream(domain::OrgUnitStreamOf(unit), 1, 1);
  if (!registry.ok()) return registry.status();
  return !registry->empty();
}

absl::Status CheckUnitToActIn(eventstore::EventStore& store, const Principal& principal,
                              absl::string_view field, absl::string_view unit) {
  if (absl::Status s = domain::CheckOrgUnit(field, unit); !s.ok()) return s;
  if (absl::Status s = RequireUnitInScope(principal, field, unit); !s.ok()) return s;
  absl::StatusOr<bool> registered = IsRegisteredUnit(store, unit);
  if (!registered.ok()) return registered.status();
  if (!*registered) {
    return absl::FailedPreconditionError(absl::StrCat(
        field, ": ", unit, " is not a registered org unit (MarketingDepartment.RegisterOrgUnit)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::EventEnvelope>> ReadStreamInScope(eventstore::EventStore& store,
                                                                 const Principal& principal,
                                                                 const std::string& stream_id) {
  absl::StatusOr<std::vector<v1::EventEnvelope>> history = store.ReadStream(stream_id);
  if (!history.ok()) return history.status();
  if (!history->empty() && !InScope(principal, domain::StreamOrgUnit(*history))) {
    return std::vector<v1::EventEnvelope>{};
  }
  return history;
}

absl::StatusOr<std::string> VisibleUnitOf(eventstore::EventStore& store,
                                          const TokenRegistry& tokens,
                                          const grpc::ServerContext& context,
                                          const std::string& stream_id) {
  absl::StatusOr<Principal> principal = Authenticate(tokens, context);
  if (!principal.ok()) return std::string();  // the command answers it
  absl::StatusOr<std::vector<v1::EventEnvelope>> history = store.ReadStream(stream_id);
  if (!history.ok()) return history.status();
  if (history->empty()) return std::string();
  std::string unit = domain::StreamOrgUnit(*history);
  return InScope(*principal, unit) ? unit : std::string();
}

}  // namespace gridledger::service
