// The schema version each event type is written with today (the envelope's
// schema_version). A type's version rises when the meaning of its fields
// changes or fields a reader must know about are added; every reader keeps
// folding the older versions (docs/EVENTS.md lists what each version says).
#ifndef GRIDLEDGER_DOMAIN_COMMON_EVENT_SCHEMA_H_
#define GRIDLEDGER_DOMAIN_COMMON_EVENT_SCHEMA_H_

#include <cstdint>

#include "gridledger/v1/envelope.pb.h"

namespace gridledger::domain {

// 2 for MeterReadRecorded, BillIssued, PaymentPosted and PenaltyAccrued
// (issue 11: purpose and meter of reads; bill intervals, units and
// provenance; paid-on dates and penalty allocations; penalty segments and
// the minimum on the total); 1 for every other type.
int32_t CurrentSchemaVersion(const v1::DomainEvent& payload);

}  // namespace gridledger::domain

#endif  // GRIDLEDGER_DOMAIN_COMMON_EVENT_SCHEMA_H_
