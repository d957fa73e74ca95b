// The event store: an append-only log of GridLedger events, organised in
// streams (one per aggregate: "account-…", "meter-…") and partitions.
//
// Two backends implement this interface, chosen by URI (see OpenEventStore in
// event_store_factory.h): `embedded:PATH` (RocksDB) and
// `kafka://HOST:PORT[,…]` (Apache Kafka through librdkafka). Both pass the same
// contract test suite (tests/eventstore_contract_test.cc).
//
// Every method is thread-safe. Errors, on every method:
//   INVALID_ARGUMENT     a field breaks a rule; the message names field and rule
//   ABORTED              expected_version is not the stream's current version;
//                        the message says the current version, and the status
//                        carries it as payload kCurrentVersionPayload
//   UNAVAILABLE          the store cannot be reached (broker down) within the
//                        configured time; nothing was appended
//   FAILED_PRECONDITION  the store cannot write any more: this writer was
//                        fenced by another, or the store is locked
//   DATA_LOSS            a stored event is corrupted, truncated, or missing;
//                        the message names its position. Never skipped.
//
// Example:
//   GL_ASSIGN_OR_RETURN(auto store, OpenEventStore("embedded:/var/lib/gl", {}));
//   AppendRequest request{.stream_id = "account-42", .expected_version = 3,
//                         .command_id = command_id, .events = {event}};
//   GL_ASSIGN_OR_RETURN(AppendResult result, store->Append(std::move(request)));
#ifndef GRIDLEDGER_EVENTSTORE_EVENT_STORE_H_
#define GRIDLEDGER_EVENTSTORE_EVENT_STORE_H_

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/rocksdb_stats.h"
#include "eventstore/acknowledged_damage.h"
#include "gridledger/v1/common.pb.h"
#include "gridledger/v1/envelope.pb.h"

namespace gridledger::eventstore {

namespace v1 = ::gridledger::v1;

// expected_version meaning "append whatever the stream's version".
inline constexpr int64_t kAnyVersion = -1;
// expected_version meaning "the stream must not exist yet".
inline constexpr int64_t kNoStream = 0;

// Type URL of the ABORTED status payload holding the current version (decimal).
inline constexpr char kCurrentVersionPayload[] = "gridledger.v1/current_version";

// The single partition of the embedded store.
inline constexpr char kEmbeddedPartition[] = "log";

struct AppendRequest {
  // "<category>-<id>"; the category decides the unit and Kafka topic.
  std::string stream_id;
  // kAnyVersion, kNoStream, or the version the caller last saw.
  int64_t expected_version = kAnyVersion;
  // Required. A retry with the same command_id appends nothing and returns the
  // first outcome (with deduplicated = true).
  std::string command_id;
  // Optional: a digest of the request the command id stands for. A known
  // command id with a different digest is refused (ALREADY_EXISTS) instead of
  // answered as a retry. Stored in each event's request_digest.
  std::string request_digest;
  // At least one. Callers set type, payload, occurred_at, actor and optionally
  // event_id, correlation_id, causation_id, schema_version. The store sets
  // stream_id, stream_version, command_id, recorded_at, hashes and position.
  std::vector<v1::EventEnvelope> events;
};

struct AppendResult {
  v1::AppendOutcome outcome;
  bool deduplicated = false;
};

// The `type` an envelope carrying `payload` must have: the full name of the
// payload's message, e.g. "gridledger.v1.BillIssued"; empty when none is set.
std::string EventTypeOf(const v1::DomainEvent& payload);

// `time` ≤ `limit`.
bool AtOrBefore(const google::protobuf::Timestamp& time, const google::protobuf::Timestamp& limit);
// Whether `event` counts at `as_of`: recorded by then (TIME_AXIS_RECORDED,
// what the system knew) or happened by then (TIME_AXIS_BUSINESS).
bool CountsAsOf(const v1::EventEnvelope& event, v1::TimeAxis axis,
                const google::protobuf::Timestamp& as_of);

// Whether `next` is at or past `until` on every partition `until` names (a
// partition missing from `next` is at offset 0): a reader that started when
// the log ended at `until` has read all of it.
bool ReachedAll(const v1::Checkpoint& next, const v1::Checkpoint& until);

// Which events a subscriber wants. Empty lists match everything.
struct SubscriptionFilter {
  std::vector<std::string> event_types;      // exact "gridledger.v1.BillIssued"
  std::vector<std::string> stream_prefixes;  // "account-", "meter-12"

  bool Matches(const v1::EventEnvelope& event) const;
};

// Called once per matching event, in order within each partition (so in
// stream order), never concurrently. A non-OK return ends the subscription
// with that status.
using EventHandler = std::function<absl::Status(const v1::EventEnvelope&)>;

// A running subscription. Destroying it stops it and waits for its thread.
class Subscription {
 public:
  virtual ~Subscription() = default;
  // Asks the subscription to end; Wait() then returns OK. Idempotent.
  virtual void Stop() = 0;
  // Blocks until the subscription ends: OK after Stop(), else the handler's
  // error or the store's (e.g. DATA_LOSS).
  virtual absl::Status Wait() = 0;
  // Where to resume: the next offset of every partition after the last event
  // handled (matching or not). Thread-safe.
  virtual v1::Checkpoint Resume() const = 0;
};

struct ReadAllResult {
  std::vector<v1::EventEnvelope> events;
  v1::Checkpoint next;  // pass back to continue
};

// One consumer's reads of the whole log (EventStore::OpenReader). Not
// thread-safe.
class LogReader {
 public:
  virtual ~LogReader() = default;
  // As EventStore::ReadAll: up to max_count events from `from`, and the
  // checkpoint after them; none at the end of the log.
  virtual absl::StatusOr<ReadAllResult> Read(const v1::Checkpoint& from, int64_t max_count) = 0;
  // Records that everything before `next` is applied (see OpenReader).
  virtual absl::Status Commit(const v1::Checkpoint& next) = 0;
};

// One way a store's own index disagrees with its log (CheckIndexes).
struct IndexDiscrepancy {
  std::string index;    // "commands", "streams" or "heads"
  std::string key;      // the entry's key: a command id, "stream@version", a stream id
  std::string problem;  // "missing", "not in the log", or what differs
};

class ClusterMember;

class EventStore {
 public:
  virtual ~EventStore() = default;

  // Appends request.events to one stream, all or nothing, with versions
  // current+1 … current+n. Returns once the events are durable (synced to
  // disk, or committed on the broker with acks=all).
  virtual absl::StatusOr<AppendResult> Append(AppendRequest request) = 0;

  // Many independent appends at once, each with its own result (index for
  // index), exactly as if each were Append-ed alone. Requests on one stream
  // are decided in the order given; when a cluster re-routes some of them
  // (their partition changed owner mid-call) a kAnyVersion request may land
  // after a later one on its stream, so callers that need an order state
  // expected versions. A backend writes what it can in one
  // group commit (one WriteBatch, one Kafka transaction per partition), so a
  // batch costs far less than its appends one by one. The default appends
  // them one by one.
  virtual std::vector<absl::StatusOr<AppendResult>> AppendBatch(
      std::vector<AppendRequest> requests);

  // Events of one stream from `from_version` (1-based), at most `max_count`.
  // An unknown stream has no events (an empty vector, not NOT_FOUND).
  absl::StatusOr<std::vector<v1::EventEnvelope>> ReadStream(
      absl::string_view stream_id, int64_t from_version = 1,
      int64_t max_count = std::numeric_limits<int64_t>::max()) {
    return ReadStreamRange(stream_id, from_version, max_count);
  }
  // What ReadStream calls; backends implement it (defaults belong to the
  // non-virtual interface only).
  virtual absl::StatusOr<std::vector<v1::EventEnvelope>> ReadStreamRange(
      absl::string_view stream_id, int64_t from_version, int64_t max_count) = 0;

  // The stream's current version; 0 when it does not exist.
  virtual absl::StatusOr<int64_t> StreamVersion(absl::string_view stream_id) = 0;

  // Up to max_count events of all partitions from `from`, in order within
  // each partition. Returns fewer (possibly none) at the end of the log.
  // `next` may lie past the last event returned where the log holds no
  // events there (Kafka's transaction markers): a reader bounded by an
  // EndCheckpoint (ReachedAll) still reaches it.
  virtual absl::StatusOr<ReadAllResult> ReadAll(const v1::Checkpoint& from, int64_t max_count) = 0;

  // Delivers every matching event from `from` (catch-up), then new ones as
  // they are appended (live), exactly once each, until stopped.
  virtual absl::StatusOr<std::unique_ptr<Subscription>> Subscribe(const v1::Checkpoint& from,
                                                                  SubscriptionFilter filter,
                                                                  EventHandler handler) = 0;

  // The end of the log: for each partition the offset the next event gets.
  virtual absl::StatusOr<v1::Checkpoint> EndCheckpoint() = 0;

  // A reader of the whole log for one named consumer (a projection). On
  // Kafka it is a consumer of its own in group "<topic_prefix>.view.<name>",
  // kept assigned between reads (a read that continues where the last one
  // stopped only polls), whose Commit commits the group's offsets, so Kafka's
  // own tools show each view's lag; the caller's stored checkpoint stays the
  // truth. Elsewhere it reads through ReadAll and Commit does nothing.
  virtual absl::StatusOr<std::unique_ptr<LogReader>> OpenReader(absl::string_view name);
  // The consumer group of OpenReader(name); empty when the backend has none.
  virtual std::string ReaderGroup(absl::string_view name) const { return ""; }

  // The outcome of the append that used `command_id`, once it is durable;
  // nullopt when no append did. Lets a command handler answer a retry before
  // re-running business rules that the first attempt changed.
  virtual absl::StatusOr<std::optional<v1::AppendOutcome>> LookupCommand(
      const std::string& command_id) = 0;
  // As LookupCommand, for a command the caller is about to run on
  // `stream_id`: a clustered store asks the owner of the stream's partition.
  virtual absl::StatusOr<std::optional<v1::AppendOutcome>> LookupCommandFor(
      const std::string& stream_id, const std::string& command_id) {
    return LookupCommand(command_id);
  }

  // Checks the indexes the store keeps on disk beside its log (the command
  // index that answers retries, the stream index and the stream heads)
  // against the log itself: an entry missing, one the log does not have, or
  // one that differs from what the log says. Returns at most `limit` of
  // them (none: the indexes agree). UNIMPLEMENTED for a backend that keeps
  // no index on disk (Kafka rebuilds its index from the log at every open).
  virtual absl::StatusOr<std::vector<IndexDiscrepancy>> CheckIndexes(int64_t limit) {
    return absl::UnimplementedError(
        "this store's index is in memory, rebuilt and verified from the log at every open; a "
        "cluster instance's owner state (--state_dir) is not checked by this tool");
  }

  // The damage operators acknowledged in this log, which every read skips
  // (acknowledged_damage.h); verify reports each. None by default.
  virtual std::vector<Acknowledgement> DamageAcknowledgements() const { return {}; }

  // Whether an append made now could be written, as far as the store can
  // tell within about `timeout` (never much longer; health checks ask it):
  // OK; FAILED_PRECONDITION when it never will without a restart (fenced by
  // another writer, opened read-only); UNAVAILABLE while it cannot (no
  // broker answers, the disk refused a write). The default asks for the end
  // of the log.
  virtual absl::Status CheckWritable(absl::Duration timeout) { return EndCheckpoint().status(); }

  // The cluster side of a store that is one instance of a cluster
  // (cluster.h); null otherwise.
  virtual ClusterMember* cluster() { return nullptr; }

  // Size and stall figures of the RocksDB databases the store keeps (the
  // embedded log; a cluster instance's owner state), for metrics. None by
  // default.
  virtual std::vector<RocksDbStats> StorageStats() const { return {}; }
};

}  // namespace gridledger::eventstore

#endif  // GRIDLEDGER_EVENTSTORE_EVENT_STORE_H_
