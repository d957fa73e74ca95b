// Reading and checking (抄、核): recording reads on the meter in place,
// meter exchanges and corrections (C-*), the VEE checks (V-*) and the
// checker's decisions.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "domain/billing_center/account.h"
#include "domain/billing_center/billing_util.h"
#include "domain/billing_center/read_sequence.h"
#include "domain/billing_center/tariff/rules.h"
#include "domain/common/calendar.h"

namespace gridledger::billing {
namespace {

using domain::CheckRegisters;

constexpr int64_t kMaxRegister = 1'000'000'000'000;  // Wh on a meter's dial: 10^9 kWh
constexpr int32_t kMaxMultiplier = 1'000'000;

absl::Status CheckRegisterBounds(const std::string& field, const v1::Registers& r) {
  if (absl::Status s = CheckRegisters(field, r); !s.ok()) return s;
  for (int64_t value : {r.total_wh(), r.sharp_wh(), r.peak_wh(), r.flat_wh(), r.valley_wh(),
                        r.reactive_varh(), r.max_demand_w()}) {
    if (value > kMaxRegister) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": a register is at most ", kMaxRegister, ", got ", value));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckReadInput(const v1::MeterReadRecorded& read, const v1::Date& today) {
  if (absl::Status s = CheckId("read.read_id", read.read_id()); !s.ok()) return s;
  if (absl::Status s = CheckPeriod("read.period", read.period()); !s.ok()) return s;
  if (MonthIndex(read.period()) > MonthIndex(PeriodOfDate(today))) {
    return absl::InvalidArgumentError(absl::StrCat("read.period: ", PeriodText(read.period()),
                                                   " has not begun (today is ", DateText(today),
                                                   "; ", rules::kNoFutureDates, ")"));
  }
  if (read.has_read_at()) {
    const v1::Date read_on = domain::UtilityDate(read.read_at());
    if (MonthIndex(read.period()) > MonthIndex(PeriodOfDate(read_on))) {
      return absl::InvalidArgumentError(
          absl::StrCat("read.period: ", PeriodText(read.period()), " is after the month read (",
                       "read.read_at is ", DateText(read_on), "; ", rules::kReadInPeriod, ")"));
    }
  }
  if (absl::Status s = CheckRegisterBounds("read.registers", read.registers()); !s.ok()) return s;
  if (read.multiplier() < 0 || read.multiplier() > kMaxMultiplier) {
    return absl::InvalidArgumentError(
        absl::StrCat("read.multiplier: must be 1..", kMaxMultiplier, " (0: the meter's)"));
  }
  if (!v1::ReadPurpose_IsValid(read.purpose())) {
    return absl::InvalidArgumentError("read.purpose: unknown purpose");
  }
  if (!read.supersedes_read_id().empty() && read.purpose() != v1::READ_PURPOSE_PERIODIC) {
    return absl::InvalidArgumentError(
        absl::StrCat("read.supersedes_read_id: only a periodic read corrects one (",
                     rules::kReadCorrection, ")"));
  }
  if (!read.meter_bar_code().empty()) {
    if (absl::Status s = domain::CheckPlainId("read.meter_bar_code", read.meter_bar_code());
        !s.ok()) {
      return s;
    }
  }
  if (read.purpose() == v1::READ_PURPOSE_METER_INSTALLED && read.meter_bar_code().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("read.meter_bar_code: an installation read names the new meter (",
                     rules::kMeterExchange, ")"));
  }
  return absl::OkStatus();
}

// C-READ-CORRECTION: the read a correction replaces is the period's accepted
// periodic read, used by no standing bill and not the baseline.
absl::Status CheckSuperseded(const Account& account, const v1::MeterReadRecorded& read,
                             const Read* old) {
  const std::string& id = read.supersedes_read_id();
  if (!old->live() || !old->periodic() || !old->accepted() ||
      MonthIndex(old->period) != MonthIndex(read.period())) {
    return absl::FailedPreconditionError(
        absl::StrCat("read.supersedes_read_id: ", id, " is not the accepted periodic read of ",
                     PeriodText(read.period()), " (", rules::kReadCorrection, ")"));
  }
  if (id == account.baseline_read_id) {
    return absl::FailedPreconditionError(absl::StrCat(
        "read.supersedes_read_id: ", id, " is the account's baseline (", rules::kBaseline, ")"));
  }
  for (const Bill& bill : account.bills) {
    if (bill.reversed || !bill.metered()) continue;
    if (std::find(bill.read_ids.begin(), bill.read_ids.end(), id) != bill.read_ids.end()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "read.supersedes_read_id: bill ", bill.id, " (", PeriodText(bill.covers_from), "..",
          PeriodText(bill.period), ") priced read ", id,
          "; reverse it (and the bills after it) first (", rules::kReadCorrection, ")"));
    }
  }
  return absl::OkStatus();
}

// V-DUPLICATE and C-READ-CORRECTION for a periodic read.
absl::Status CheckPeriodicSlot(const Account& account, const v1::MeterReadRecorded& read,
                               const Read** superseded) {
  const Read* live = account.LivePeriodicReadOf(read.period());
  if (read.supersedes_read_id().empty()) {
    if (live != nullptr) {
      return absl::AlreadyExistsError(
          absl::StrCat("duplicate read: read ", live->id, " for ", PeriodText(read.period()),
                       " is already recorded (", rules::kVeeDuplicate, ")"));
    }
    return absl::OkStatus();
  }
  *superseded = account.FindRead(read.supersedes_read_id());
  if (*superseded == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("read.supersedes_read_id: ", read.supersedes_read_id(), " is unknown"));
  }
  return CheckSuperseded(account, read, *superseded);
}

// C-METER-EXCHANGE: exchange reads follow every read recorded so far.
absl::Status CheckExchangeAtEnd(const Account& account, const v1::MeterReadRecorded& read) {
  for (const Read& r : account.reads) {
    if (!r.live()) continue;
    if (MonthIndex(r.period) > MonthIndex(read.period()) ||
        (r.periodic() && MonthIndex(r.period) == MonthIndex(read.period()))) {
      return absl::FailedPreconditionError(absl::StrCat(
          "read.period: read ", r.id, " (", PeriodText(r.period),
          ") is recorded; a meter exchange is recorded before the period's read and after "
          "every earlier one (",
          rules::kMeterExchange, ")"));
    }
  }
  return absl::OkStatus();
}

absl::Status Mismatch(const std::string& what, const Read& in_place) {
  return absl::FailedPreconditionError(absl::StrCat(what, " (read ", in_place.id, ", ",
                                                    PeriodText(in_place.period), "); ",
                                                    rules::kMeterExchange));
}

// The meter and multiplier of a read at its place in the sequence: those of
// the meter in place, which the request may name but not contradict.
absl::Status FillMeter(const Account& account, const Read* superseded,
                       v1::MeterReadRecorded& read) {
  Read probe;
  probe.id = read.read_id();
  probe.period = read.period();
  probe.purpose = read.purpose();
  probe.order = static_cast<int64_t>(account.reads.size());
  const Read* before = LiveBefore(account, probe, superseded);
  const Read* after = LiveAfter(account, probe, superseded);
  if (read.purpose() == v1::READ_PURPOSE_METER_INSTALLED) {
    if (before != nullptr && before->purpose != v1::READ_PURPOSE_METER_REMOVED) {
      return Mismatch(absl::StrCat("meter ", before->meter.empty() ? "(unnamed)" : before->meter,
                                   " is in place: record its removal read first"),
                      *before);
    }
    if (before != nullptr && before->meter == read.meter_bar_code()) {
      return Mismatch("read.meter_bar_code: the new meter is the one removed", *before);
    }
    if (read.multiplier() == 0) read.set_multiplier(1);
    return absl::OkStatus();
  }
  if (before != nullptr && before->purpose == v1::READ_PURPOSE_METER_REMOVED) {
    return Mismatch(absl::StrCat("meter ", before->meter,
                                 " was removed; record the new meter's "
                                 "installation read first"),
                    *before);
  }
  const Read* in_place = before != nullptr ? before
                         : after != nullptr && after->purpose != v1::READ_PURPOSE_METER_INSTALLED
                             ? after
                             : nullptr;
  if (in_place == nullptr) {
    if (read.purpose() == v1::READ_PURPOSE_METER_REMOVED) {
      return absl::FailedPreconditionError(absl::StrCat(
          "read.purpose: no meter is recorded in place to remove (", rules::kMeterExchange, ")"));
    }
    if (read.multiplier() == 0) read.set_multiplier(1);
    return absl::OkStatus();
  }
  if (!read.meter_bar_code().empty() && read.meter_bar_code() != in_place->meter) {
    return Mismatch(
        absl::StrCat("read.meter_bar_code: ", read.meter_bar_code(), " is not the meter in place, ",
                     in_place->meter.empty() ? "(unnamed)" : in_place->meter),
        *in_place);
  }
  if (read.multiplier() != 0 && read.multiplier() != in_place->multiplier) {
    return Mismatch(absl::StrCat("read.multiplier: ", read.multiplier(),
                                 " differs from the "
                                 "meter's ",
                                 in_place->multiplier, "; a CT/VT change is a meter exchange"),
                    *in_place);
  }
  read.set_meter_bar_code(in_place->meter);
  read.set_multiplier(in_place->multiplier);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::DomainEvent> DecideRecordRead(const Account& account, v1::MeterReadRecorded read,
                                                 const std::string& reader, const v1::Date& today) {
  if (absl::Status s = CheckReadInput(read, today); !s.ok()) return s;
  if (!account.opened) return AccountNotOpen();
  if (account.FindRead(read.read_id()) != nullptr) {
    return absl::AlreadyExistsError(absl::StrCat("read.read_id: ", read.read_id(), " exists"));
  }
  const Read* superseded = nullptr;
  if (read.purpose() == v1::READ_PURPOSE_PERIODIC) {
    if (absl::Status s = CheckPeriodicSlot(account, read, &superseded); !s.ok()) return s;
  } else if (absl::Status s = CheckExchangeAtEnd(account, read); !s.ok()) {
    return s;
  }
  if (absl::Status s = FillMeter(account, superseded, read); !s.ok()) return s;
  read.set_reader(reader);
  if (read.source() == v1::READ_SOURCE_UNSPECIFIED) read.set_source(v1::READ_SOURCE_MANUAL);
  v1::DomainEvent event;
  *event.mutable_meter_read_recorded() = std::move(read);
  return event;
}

namespace {

// Consumption × multiplier of each accepted periodic read before `read`
// since the accepted read before it on the same meter; the latest `count`.
std::vector<int64_t> RecentConsumptions(const Account& account, const Read& read, size_t count) {
  std::vector<int64_t> out;
  for (const Read* r = AcceptedBefore(account, read); r != nullptr && out.size() < count;
       r = AcceptedBefore(account, *r)) {
    const Read* before = AcceptedBefore(account, *r);
    if (before == nullptr || !r->periodic()) continue;
    out.push_back((r->registers.total_wh() - before->registers.total_wh()) * r->multiplier);
  }
  return out;
}

int64_t Average(const std::vector<int64_t>& values) {
  if (values.empty()) return 0;
  int64_t sum = 0;
  for (int64_t v : values) sum += v;
  return sum / static_cast<int64_t>(values.size());
}

struct Flags {
  std::vector<v1::ReadFlag> flags;
  std::vector<std::string> details;
  void Add(v1::ReadFlag flag, std::string detail) {
    flags.push_back(flag);
    details.push_back(std::move(detail));
  }
};

// V-PERIOD-SUM: "" when the TOU registers add up to the total within 0.1 %
// (at least 1 kWh), or the account is not on TOU and has none; else why not.
std::string PeriodSumMismatch(const Account& account, const Read& read, const v1::Registers& r) {
  const int64_t period_sum = r.sharp_wh() + r.peak_wh() + r.flat_wh() + r.valley_wh();
  if (!account.TermsFor(read.period).time_of_use() && period_sum == 0) return "";
  const int64_t tolerance = std::max<int64_t>(1000, r.total_wh() / 1000);
  if (std::llabs(period_sum - r.total_wh()) <= tolerance) return "";
  return absl::StrCat("period registers sum to ", period_sum, " Wh, total is ", r.total_wh(),
                      " Wh (", rules::kVeePeriodSum, ")");
}

void CheckPeriodSum(const Account& account, const Read& read, Flags& out) {
  if (std::string why = PeriodSumMismatch(account, read, read.registers); !why.empty()) {
    out.Add(v1::READ_FLAG_PERIOD_SUM_MISMATCH, std::move(why));
  }
}

// V-ZERO and V-HIGH-LOW, for a periodic read after an accepted one.
void CheckConsumption(const Account& account, const Read& read, int64_t consumption, Flags& out) {
  if (!read.periodic()) return;
  const int64_t average = Average(RecentConsumptions(account, read, 3));
  if (consumption == 0) {
    out.Add(v1::READ_FLAG_ZERO_CONSUMPTION,
            absl::StrCat("no consumption on an active account (", rules::kVeeZero, ")"));
  } else if (average > 0 && consumption > 3 * average) {
    out.Add(v1::READ_FLAG_CONSUMPTION_HIGH,
            absl::StrCat(consumption, " Wh is over 3× the average ", average, " Wh (",
                         rules::kVeeHighLow, ")"));
  } else if (average > 0 && consumption > 0 && 3 * consumption < average) {
    out.Add(v1::READ_FLAG_CONSUMPTION_LOW,
            absl::StrCat(consumption, " Wh is under ⅓ of the average ", average, " Wh (",
                         rules::kVeeHighLow, ")"));
  }
}

}  // namespace

absl::StatusOr<v1::DomainEvent> DecideCheckRead(const Account& account, const std::string& read_id,
                                                const std::string& checker) {
  if (absl::Status s = CheckId("read_id", read_id); !s.ok()) return s;
  if (!account.opened) return AccountNotOpen();
  const Read* read = account.FindRead(read_id);
  if (read == nullptr) {
    return absl::NotFoundError(absl::StrCat("read_id: ", read_id, " is unknown"));
  }
  if (read->reader == checker) {
    return absl::PermissionDeniedError(absl::StrCat("separation of duties (抄核分离, ",
                                                    rules::kReaderNotChecker, "): ", checker,
                                                    " read ", read_id, " and cannot check it"));
  }
  if (read->state != ReadState::kRecorded) {
    return absl::FailedPreconditionError(
        absl::StrCat("read ", read_id, read->live() ? " is already checked" : " is not live"));
  }
  Flags out;
  CheckPeriodSum(account, *read, out);
  int64_t consumption = 0;
  if (const Read* prev = AcceptedBefore(account, *read)) {
    if (const char* below = RegisterBelow(read->registers, prev->registers); *below != '\0') {
      out.Add(v1::READ_FLAG_REGISTER_WENT_BACKWARDS,
              absl::StrCat(below, " is below read ", prev->id, " (", PeriodText(prev->period), "; ",
                           rules::kVeeBackwards, ")"));
    } else {
      consumption = (read->registers.total_wh() - prev->registers.total_wh()) * read->multiplier;
      CheckConsumption(account, *read, consumption, out);
    }
  }
  if (const Read* next = AcceptedAfter(account, *read)) {
    if (const char* above = RegisterBelow(next->registers, read->registers); *above != '\0') {
      out.Add(v1::READ_FLAG_REGISTER_ABOVE_LATER_READ,
              absl::StrCat(above, " is above the later read ", next->id, " (",
                           PeriodText(next->period), "; ", rules::kVeeAboveLater, ")"));
    }
  }
  v1::DomainEvent event;
  auto* checked = event.mutable_meter_read_checked();
  checked->set_read_id(read_id);
  checked->set_passed(out.flags.empty());
  for (v1::ReadFlag flag : out.flags) checked->add_flags(flag);
  checked->set_detail(absl::StrJoin(out.details, "; "));
  checked->set_checker(checker);
  checked->set_consumption_wh(consumption);
  return event;
}

namespace {

// V-PERIOD-SUM, then C-MONOTONE: TOU registers that add up, at or above the
// meter's accepted read before and at or below its accepted read after.
absl::Status CheckBetweenNeighbours(const Account& account, const Read& read,
                                    const v1::Registers& registers, const std::string& what) {
  if (std::string why = PeriodSumMismatch(account, read, registers); !why.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, ": ", why, "; estimate registers that add up"));
  }
  if (const Read* prev = AcceptedBefore(account, read)) {
    if (const char* below = RegisterBelow(registers, prev->registers); *below != '\0') {
      return absl::FailedPreconditionError(absl::StrCat(
          what, ": ", below, " is below accepted read ", prev->id, " (", PeriodText(prev->period),
          ") of the meter; order a re-read or estimate (", rules::kMonotone, ")"));
    }
  }
  if (const Read* next = AcceptedAfter(account, read)) {
    if (const char* above = RegisterBelow(next->registers, registers); *above != '\0') {
      return absl::FailedPreconditionError(
          absl::StrCat(what, ": ", above, " is above the later accepted read ", next->id, " (",
                       PeriodText(next->period), ") of the meter (", rules::kMonotone, ")"));
    }
  }
  return absl::OkStatus();
}

// The estimate given, or the previous accepted read plus the average use.
absl::StatusOr<v1::Registers> Estimate(const Account& account, const Read& read,
                                       const v1::DecideReadRequest& request) {
  if (request.has_estimated_registers()) return request.estimated_registers();
  const Read* prev = AcceptedBefore(account, read);
  if (prev == nullptr || account.terms.time_of_use() || !read.periodic()) {
    return absl::FailedPreconditionError(
        "estimated_registers: no history to estimate from (or a TOU account); give them");
  }
  v1::Registers estimate = prev->registers;
  estimate.set_total_wh(prev->registers.total_wh() +
                        Average(RecentConsumptions(account, read, 3)) / read.multiplier);
  return estimate;
}

}  // namespace

absl::StatusOr<v1::DomainEvent> DecideReadDecision(const Account& account,
                                                   const v1::DecideReadRequest& request,
                                                   const std::string& checker) {
  if (absl::Status s = CheckId("read_id", request.read_id()); !s.ok()) return s;
  if (request.decision() == v1::READ_DECISION_UNSPECIFIED ||
      !v1::ReadDecision_IsValid(request.decision())) {
    return absl::InvalidArgumentError("decision: must be ACCEPT, REREAD or ESTIMATE");
  }
  if (request.decision() == v1::READ_DECISION_ESTIMATE && request.has_estimated_registers()) {
    if (absl::Status s = CheckRegisterBounds("estimated_registers", request.estimated_registers());
        !s.ok()) {
      return s;
    }
  }
  if (!account.opened) return AccountNotOpen();
  const Read* read = account.FindRead(request.read_id());
  if (read == nullptr) {
    return absl::NotFoundError(absl::StrCat("read_id: ", request.read_id(), " is unknown"));
  }
  if (read->reader == checker) {
    return absl::PermissionDeniedError(
        absl::StrCat("separation of duties (抄核分离, ", rules::kReaderNotChecker, "): ", checker,
                     " read ", read->id, " and cannot decide on it"));
  }
  if (read->state != ReadState::kFlagged) {
    return absl::FailedPreconditionError(
        absl::StrCat("read ", read->id, " is not flagged: only flagged reads need a decision"));
  }
  v1::DomainEvent event;
  auto* decided = event.mutable_read_check_decided();
  decided->set_read_id(read->id);
  decided->set_decision(request.decision());
  decided->set_checker(checker);
  decided->set_reason(request.reason());
  switch (request.decision()) {
    case v1::READ_DECISION_REREAD:
      if (!read->periodic()) {
        return absl::FailedPreconditionError(
            absl::StrCat("decision: read ", read->id,
                         " is a meter-exchange read; the meter cannot be read "
                         "again: accept or estimate it (",
                         rules::kMeterExchange, ")"));
      }
      break;
    case v1::READ_DECISION_ACCEPT:
      if (absl::Status s = CheckBetweenNeighbours(account, *read, read->registers, "decision");
          !s.ok()) {
        return s;
      }
      break;
    default: {
      absl::StatusOr<v1::Registers> estimate = Estimate(account, *read, request);
      if (!estimate.ok()) return estimate.status();
      if (absl::Status s = CheckBetweenNeighbours(account, *read, *estimate, "estimated_registers");
          !s.ok()) {
        return s;
      }
      *decided->mutable_estimated_registers() = *std::move(estimate);
    }
  }
  return event;
}

}  // namespace gridledger::billing
