#include "domain/billing_center/read_sequence.h"

#include <algorithm>
#include <array>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "domain/billing_center/billing_util.h"
#include "domain/billing_center/tariff/rules.h"

namespace gridledger::billing {
namespace {

using tariff::Int128;

// Sums of register advances stay far below this (a terawatt-hour, ×1000).
constexpr Int128 kMaxUsage = Int128{1'000'000'000'000'000'000};

constexpr std::array<const char*, 6> kCumulativeNames = {"total_wh", "sharp_wh",  "peak_wh",
                                                         "flat_wh",  "valley_wh", "reactive_varh"};

std::array<int64_t, 6> Cumulative(const v1::Registers& r) {
  return {r.total_wh(), r.sharp_wh(), r.peak_wh(), r.flat_wh(), r.valley_wh(), r.reactive_varh()};
}

std::tuple<int, int, int64_t> SequenceKey(const Read& read) {
  return {MonthIndex(read.period), read.periodic() ? 1 : 0, read.order};
}

}  // namespace

bool BeforeInSequence(const Read& a, const Read& b) { return SequenceKey(a) < SequenceKey(b); }

std::vector<const Read*> ReadSequence(const Account& account) {
  std::vector<const Read*> sequence;
  for (const Read& r : account.reads) {
    if (r.live()) sequence.push_back(&r);
  }
  std::sort(sequence.begin(), sequence.end(),
            [](const Read* a, const Read* b) { return BeforeInSequence(*a, *b); });
  return sequence;
}

const Read* LiveBefore(const Account& account, const Read& read, const Read* ignore) {
  const Read* found = nullptr;
  for (const Read& r : account.reads) {
    if (!r.live() || r.id == read.id || &r == ignore || !BeforeInSequence(r, read)) continue;
    if (found == nullptr || BeforeInSequence(*found, r)) found = &r;
  }
  return found;
}

const Read* LiveAfter(const Account& account, const Read& read, const Read* ignore) {
  const Read* found = nullptr;
  for (const Read& r : account.reads) {
    if (!r.live() || r.id == read.id || &r == ignore || !BeforeInSequence(read, r)) continue;
    if (found == nullptr || BeforeInSequence(r, *found)) found = &r;
  }
  return found;
}

const Read* AcceptedBefore(const Account& account, const Read& read, const Read* ignore) {
  if (read.purpose == v1::READ_PURPOSE_METER_INSTALLED) return nullptr;
  for (const Read* prev = LiveBefore(account, read, ignore); prev != nullptr;
       prev = LiveBefore(account, *prev, ignore)) {
    if (prev->purpose == v1::READ_PURPOSE_METER_REMOVED) return nullptr;  // another meter
    if (prev->accepted()) return prev;
    if (prev->purpose == v1::READ_PURPOSE_METER_INSTALLED) return nullptr;  // the meter's first
  }
  return nullptr;
}

const Read* AcceptedAfter(const Account& account, const Read& read, const Read* ignore) {
  if (read.purpose == v1::READ_PURPOSE_METER_REMOVED) return nullptr;
  for (const Read* next = LiveAfter(account, read, ignore); next != nullptr;
       next = LiveAfter(account, *next, ignore)) {
    if (next->purpose == v1::READ_PURPOSE_METER_INSTALLED) return nullptr;  // another meter
    if (next->accepted()) return next;
    if (next->purpose == v1::READ_PURPOSE_METER_REMOVED) return nullptr;  // the meter's last
  }
  return nullptr;
}

const char* RegisterBelow(const v1::Registers& registers, const v1::Registers& floor) {
  const std::array<int64_t, 6> values = Cumulative(registers);
  const std::array<int64_t, 6> floors = Cumulative(floor);
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i] < floors[i]) return kCumulativeNames[i];
  }
  return "";
}

const Read* BilledThrough(const Account& account) {
  if (const Bill* last = account.LastMeteredBill()) return account.FindRead(last->end_read_id);
  if (!account.baseline_read_id.empty()) return account.FindRead(account.baseline_read_id);
  for (const Read* r : ReadSequence(account)) {
    if (r->accepted()) return r;
  }
  return nullptr;
}

namespace {

// Adds the advance from `a` to `b` (consecutive in the sequence, on one
// meter) to `sums`.
absl::Status AddAdvance(const Read& a, const Read& b, std::array<Int128, 6>& sums) {
  const std::array<int64_t, 6> from = Cumulative(a.registers);
  const std::array<int64_t, 6> to = Cumulative(b.registers);
  for (size_t i = 0; i < sums.size(); ++i) {
    const Int128 advance = static_cast<Int128>(to[i]) - from[i];
    if (advance < 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("register ", kCumulativeNames[i], " goes backwards from read ", a.id, " (",
                       PeriodText(a.period), ") to read ", b.id, " (", PeriodText(b.period), "); ",
                       rules::kMonotone));
    }
    sums[i] += advance * b.multiplier;
    if (sums[i] > kMaxUsage) {
      return absl::FailedPreconditionError(absl::StrCat(
          "register ", kCumulativeNames[i], " advances implausibly far by read ", b.id));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Interval> IntervalBetween(const Account& account, const Read& start,
                                         const Read& end) {
  const std::vector<const Read*> sequence = ReadSequence(account);
  auto position = [&](const Read& r) {
    return std::find(sequence.begin(), sequence.end(), &r) - sequence.begin();
  };
  const auto first = position(start);
  const auto last = position(end);
  if (first >= last || last >= static_cast<std::ptrdiff_t>(sequence.size())) {
    return absl::FailedPreconditionError(absl::StrCat("read ", start.id, " does not come before ",
                                                      end.id, " (", rules::kSequence, ")"));
  }
  Interval interval;
  std::array<Int128, 6> sums{};
  Int128 max_demand = 0;
  for (auto i = first; i <= last; ++i) {
    const Read& read = *sequence[i];
    if (!read.accepted()) {
      return absl::FailedPreconditionError(
          absl::StrCat("read ", read.id, " (", PeriodText(read.period), ") is not accepted yet (",
                       rules::kPending, ")"));
    }
    interval.reads.push_back(&read);
    if (i == first) continue;
    const Read& previous = *sequence[i - 1];
    max_demand = std::max<Int128>(
        max_demand,
        std::min(kMaxUsage, static_cast<Int128>(read.registers.max_demand_w()) * read.multiplier));
    if (previous.purpose == v1::READ_PURPOSE_METER_REMOVED) continue;  // the next meter starts
    if (absl::Status s = AddAdvance(previous, read, sums); !s.ok()) return s;
  }
  v1::Registers& usage = interval.usage;
  usage.set_total_wh(static_cast<int64_t>(sums[0]));
  usage.set_sharp_wh(static_cast<int64_t>(sums[1]));
  usage.set_peak_wh(static_cast<int64_t>(sums[2]));
  usage.set_flat_wh(static_cast<int64_t>(sums[3]));
  usage.set_valley_wh(static_cast<int64_t>(sums[4]));
  usage.set_reactive_varh(static_cast<int64_t>(sums[5]));
  usage.set_max_demand_w(static_cast<int64_t>(max_demand));
  return interval;
}

}  // namespace gridledger::billing
