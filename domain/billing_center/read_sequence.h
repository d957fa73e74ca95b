// The order of an account's reads and what a bill's interval of them
// consumed (rules C-SEQUENCE, C-BASELINE, C-CHAIN, C-METER-EXCHANGE in
// docs/TARIFF.md). Internal to domain/billing_center; pure.
//
// The sequence holds the live reads (not sent for re-read, not superseded)
// ordered by period; within a period, meter-exchange reads (in the order
// recorded) come before the periodic read. A meter's registers run from its
// installation read (or the account's first read) to its removal read; a
// removal read is always followed by the next meter's installation read.
#ifndef GRIDLEDGER_DOMAIN_BILLING_CENTER_READ_SEQUENCE_H_
#define GRIDLEDGER_DOMAIN_BILLING_CENTER_READ_SEQUENCE_H_

#include <vector>

#include "absl/status/statusor.h"
#include "domain/billing_center/account.h"

namespace gridledger::billing {

// True when `a` comes before `b` in the sequence (either may be not live).
bool BeforeInSequence(const Read& a, const Read& b);

// The live reads in sequence order.
std::vector<const Read*> ReadSequence(const Account& account);

// The nearest accepted live read on the same meter before / after `read` in
// the sequence (an installation read has none before, a removal read none
// after); `ignore` is left out (a read being superseded). nullptr when none.
const Read* AcceptedBefore(const Account& account, const Read& read, const Read* ignore = nullptr);
const Read* AcceptedAfter(const Account& account, const Read& read, const Read* ignore = nullptr);

// The live read just before / after the position `read` takes in the
// sequence (pending or accepted), leaving out `read` itself and `ignore`.
const Read* LiveBefore(const Account& account, const Read& read, const Read* ignore = nullptr);
const Read* LiveAfter(const Account& account, const Read& read, const Read* ignore = nullptr);

// The register of `registers` that is most below `floor` ("" if none is):
// for the cumulative registers (total, TOU, reactive).
const char* RegisterBelow(const v1::Registers& registers, const v1::Registers& floor);

// C-BASELINE / C-CHAIN: the read the next bill starts from: the end read of
// the standing metered bill of the latest period; with none standing, the
// first metered bill's start read; with no bill ever, the first accepted
// read of the sequence. nullptr when there is none.
const Read* BilledThrough(const Account& account);

// The reads of a bill's interval and what they measured.
struct Interval {
  std::vector<const Read*> reads;  // start, every live read between, end
  v1::Registers usage;             // × multiplier; max_demand_w the largest after the start
};

// The consumption from `start` to `end` (start before end in the sequence):
// each register's advance on each meter, an exchange adding the old meter's
// last stretch and the new meter's first. FAILED_PRECONDITION naming the
// read when a read between is not accepted or a register goes backwards.
absl::StatusOr<Interval> IntervalBetween(const Account& account, const Read& start,
                                         const Read& end);

}  // namespace gridledger::billing

#endif  // GRIDLEDGER_DOMAIN_BILLING_CENTER_READ_SEQUENCE_H_
