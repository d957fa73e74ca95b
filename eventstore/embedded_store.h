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
// Appends are group-committed and pipelined: callers serialize their events
// and queue them; a decider thread takes everything queued, decides each
// request (dedup, version check: internal/group_decider.h) against the heads
// the log will have once every earlier group is durable, and seals the
// accepted events into one WriteBatch; a syncer thread writes every batch
// waiting, in order, syncing the WAL once after the last of them, and only
// then answers their callers. Deciding the next group overlaps with the disk
// sync of the previous ones. An append returns only after its batch is on
// disk, so a process killed right after an acknowledgement loses nothing. If a
// write fails, no later batch is written and every later append fails (with
// the cause's code: RESOURCE_EXHAUSTED for a full disk, else UNAVAILABLE)
// until the store recovers: CheckWritable (which the server's store monitor
// calls twice a second) tries, at most once a second, to probe the disk,
// reopen the database and probe a synced write, and the store writes again
// once that works, with nothing acknowledged lost. Meanwhile reads go on
// (read-only, if the reopen for writing failed). Recovery stops for good,
// the store unwritable until the process restarts, when another process took
// the store while it was closed (FAILED_PRECONDITION) or the reopened log
// ends before what was acknowledged (DATA_LOSS: restore from a backup).
//
// Opened read-only (StoreOptions::read_only), it is a RocksDB secondary
// instance beside the writing process: reads follow the writer (catching up
// with its manifest and write-ahead log at most every 50 ms), appends fail.
#ifndef GRIDLEDGER_EVENTSTORE_EMBEDDED_STORE_H_
#define GRIDLEDGER_EVENTSTORE_EMBEDDED_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "eventstore/event_store.h"
#include "eventstore/store_options.h"

namespace gridledger::eventstore {

// Opens (creating if missing) the embedded store in directory `path`.
// FAILED_PRECONDITION when another process (or another store in this one)
// holds it; DATA_LOSS when its metadata is inconsistent. With
// options.read_only: never exclusive, never creates (NOT_FOUND when `path`
// holds no store).
absl::StatusOr<std::unique_ptr<EventStore>> OpenEmbeddedStore(const std::string& path,
                                                              const StoreOptions& options);

// Rebuilds the indexes of the embedded store in `path` (command index,
// stream index, stream heads, partition head) from its log, which must be
// intact (DATA_LOSS names the first break; nothing past it is indexed).
// Returns how many events it indexed; `progress` (optional) gets the count
// as it goes. Needs the store to itself: FAILED_PRECONDITION while `serve`
// holds it; NOT_FOUND when `path` holds no store.
absl::StatusOr<int64_t> RebuildEmbeddedIndexes(
    const std::string& path, const std::function<void(int64_t)>& progress = nullptr);

}  // namespace gridledger::eventstore

#endif  // GRIDLEDGER_EVENTSTORE_EMBEDDED_STORE_H_
