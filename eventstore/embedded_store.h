// The embedded backend: one RocksDB database holding the whole log in a single
// partition (kEmbeddedPartition). For a county on one machine, no broker.
//
// Column families:
//   log       BE64(offset)                  → v1::EventRecord
//   streams   stream_id \0 BE64(version)     → BE64(offset)
//   commands  command_id                     → v1::AppendOutcome
//   heads     stream_id                      → BE64(version) ‖ hash
//   default   "partition_head"               → BE64(next offset) ‖ partition hash
//
// Appends are group-committed: callers queue their requests; one writer thread
// takes all queued requests, decides each (dedup, version check), seals their
// events into the chains, and writes them in one synced WriteBatch. An append
// returns only after that write is on disk, so a process killed right after an
// acknowledgement loses nothing.
#ifndef GRIDLEDGER_EVENTSTORE_EMBEDDED_STORE_H_
#define GRIDLEDGER_EVENTSTORE_EMBEDDED_STORE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "eventstore/event_store.h"
#include "eventstore/store_options.h"

namespace gridledger::eventstore {

// Opens (creating if missing) the embedded store in directory `path`.
// FAILED_PRECONDITION when another process (or another store in this one)
// holds it; DATA_LOSS when its metadata is inconsistent.
absl::StatusOr<std::unique_ptr<EventStore>> OpenEmbeddedStore(const std::string& path,
                                                              const StoreOptions& options);

}  // namespace gridledger::eventstore

#endif  // GRIDLEDGER_EVENTSTORE_EMBEDDED_STORE_H_
