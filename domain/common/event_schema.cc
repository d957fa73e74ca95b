#include "domain/common/event_schema.h"

namespace gridledger::domain {

int32_t CurrentSchemaVersion(const v1::DomainEvent& payload) {
  switch (payload.event_case()) {
    case v1::DomainEvent::kMeterReadRecorded:
    case v1::DomainEvent::kBillIssued:
    case v1::DomainEvent::kPaymentPosted:
    case v1::DomainEvent::kPenaltyAccrued:
      return 2;
    default:
      return 1;
  }
}

}  // namespace gridledger::domain
