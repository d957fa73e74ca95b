// What checking an index against its log needs, whatever the index: the
// findings (up to a limit), and the appends of a log rebuilt from its events
// in order. Used by the embedded store's CheckIndexes and by the check of a
// cluster instance's owner state (kafka_index.h, CheckOwnerState).
#ifndef GRIDLEDGER_EVENTSTORE_INTERNAL_INDEX_CHECK_H_
#define GRIDLEDGER_EVENTSTORE_INTERNAL_INDEX_CHECK_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "eventstore/event_store.h"
#include "gridledger/v1/envelope.pb.h"

namespace gridledger::eventstore::internal {

// Findings of a check, up to a limit; Add past it is ignored.
class Discrepancies {
 public:
  explicit Discrepancies(int64_t limit) : limit_(limit) {}
  void Add(std::string index, std::string key, std::string problem);
  bool full() const { return static_cast<int64_t>(found_.size()) >= limit_; }
  std::vector<IndexDiscrepancy> Take() { return std::move(found_); }

 private:
  const int64_t limit_;
  std::vector<IndexDiscrepancy> found_;
};

// The appends of a log walked in order, rebuilt from their events (an
// append's events are consecutive: one command on one stream).
class AppendFolder {
 public:
  struct Append {
    std::string command_id;
    v1::AppendOutcome outcome;
  };

  // Adds the next event; when it begins a new append, returns the one it
  // ends.
  std::optional<Append> Add(const v1::EventEnvelope& event);
  // The append in progress (at the end of the walk), if any.
  std::optional<Append> Finish();

 private:
  Append current_;
};

// "stream v3-4 at 17,18": an outcome for a finding.
std::string PrintedOutcome(const v1::AppendOutcome& outcome);

// Whether two outcomes name the same append (stream, versions, positions and
// request digest).
bool SameOutcome(const v1::AppendOutcome& a, const v1::AppendOutcome& b);

}  // namespace gridledger::eventstore::internal

#endif  // GRIDLEDGER_EVENTSTORE_INTERNAL_INDEX_CHECK_H_
