// Opens an EventStore from a URI (see store_uri.h).
//
//   embedded:PATH        RocksDB in directory PATH (created if missing).
//                        "embedded:///abs/path" is accepted too.
//   kafka://H:P[,H:P…][?topic_prefix=gridledger&partitions=3&replication=1
//                       &timeout_ms=10000&writer_id=…]
//
// Errors: INVALID_ARGUMENT for an unknown scheme or a malformed URI/option;
// FAILED_PRECONDITION when the embedded directory is locked by another
// process; UNAVAILABLE when no broker answers within timeout_ms.
#ifndef GRIDLEDGER_EVENTSTORE_EVENT_STORE_FACTORY_H_
#define GRIDLEDGER_EVENTSTORE_EVENT_STORE_FACTORY_H_

#include <memory>

#include "absl/status/statusor.h"
#include "eventstore/event_store.h"
#include "eventstore/store_options.h"
#include "eventstore/store_uri.h"

namespace gridledger::eventstore {

absl::StatusOr<std::unique_ptr<EventStore>> OpenEventStore(const StoreUri& uri,
                                                           const StoreOptions& options = {});
// Parses `uri` (StoreUri::Parse) and opens it.
absl::StatusOr<std::unique_ptr<EventStore>> OpenEventStore(absl::string_view uri,
                                                           const StoreOptions& options = {});

// Damage acknowledgements (acknowledged_damage.h), Kafka only: the embedded
// store answers UNIMPLEMENTED (its damage is repaired from a backup).
//
// The value of the log's record at `position` ("<topic>/<n>", offset) as a
// committed reader sees it; NOT_FOUND when there is none.
absl::StatusOr<std::string> ReadRawRecord(const StoreUri& uri, const v1::Position& position,
                                          const StoreOptions& options = {});
// Writes `acknowledgement` beside the log, where every later open reads it.
absl::Status RecordDamageAcknowledgement(const StoreUri& uri,
                                         const v1::SignedDamageAcknowledgement& acknowledgement,
                                         const StoreOptions& options = {});

}  // namespace gridledger::eventstore

#endif  // GRIDLEDGER_EVENTSTORE_EVENT_STORE_FACTORY_H_
