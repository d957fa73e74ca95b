#include "domain/billing_center/tariff/rules.h"

#include "absl/strings/match.h"
#include "domain/common/business_time.h"

namespace gridledger::billing::rules {

const std::vector<Rule>& AllRules() {
  static const std::vector<Rule>* const kRules = new std::vector<Rule>{
      {kMoney, "integer fen; each line an exact fraction rounded once, half away from zero"},
      {kVersionInForce, "the tariff version in force on the period's first day"},
      {kEnergy, "energy: kWh × flat price"},
      {kTimeOfUse, "each TOU register: kWh × flat price × (1 + the period's adjustment)"},
      {kTierAnnual, "annual tiers: thresholds over the year's consumption in period order"},
      {kTierMonthly, "monthly tiers: thresholds × the months the bill covers"},
      {kTierSummer, "summer thresholds replace the others in the schedule's summer months"},
      {kBasicCapacity, "basic charge by capacity: kVA × months × price per kVA·month"},
      {kBasicDemand, "basic charge by demand: the contract, or 105 % of it when exceeded"},
      {kBasicDemandExcess, "demand above 105 % of the contract at double price"},
      {kPowerFactor, "power-factor adjustment of energy, tier and basic charges (1983 tables)"},
      {kFund, "government funds per kWh, outside the power-factor base"},
      {kBackBilling, "back-billing at the flat price; theft: three times as penalty"},
      {kSequence, "reads in order: period, exchange reads before the periodic read"},
      {kBaseline, "billing starts at the first bill's start read (before it: the first read)"},
      {kChain, "a bill runs from the read billed through to its period's read"},
      {kCovered, "a period already billed is not billed again"},
      {kPending, "a pending read of an earlier period stops later bills"},
      {kUnbilled, "an accepted read of an earlier period is billed first"},
      {kMonotone, "accepted reads never go backwards on a meter"},
      {kMeterExchange, "a meter exchange: the old meter's final read, the new one's first"},
      {kMeterOnAccount, "a read's meter is one installed on the account, read while it hung there"},
      {kReadInPeriod, "a read is not for a period after the month it was taken"},
      {kReverseOrder, "metered bills are reversed latest first and reissued in period order"},
      {kReadCorrection, "an accepted read no standing bill uses may be corrected"},
      {kReissue, "a reissue replaces one reversed bill of its period, once"},
      {kTermsInForce, "terms and tariff in force on the period's first day"},
      {domain::kRuleNotFuture, "a command's business time is at most 5 minutes ahead of now"},
      {domain::kRuleNotBeforeStart, "a command's business time is not before its stream began"},
      {kPenaltyRate, "late-payment penalty per day: 0.1 % residential; 0.2 % / 0.3 % others"},
      {kPenaltyMinimum, "at least 1 CNY on the bill's total penalty, rounded once"},
      {kPenaltyYearSplit, "each accrual records its days and rate per calendar year"},
      {kNoFutureDates, "no accrual or payment dated after today"},
      {kPaidOn, "a payment accrues the penalty due up to its paid-on day first"},
      {kBackdated, "no payment dated before a penalty day already accrued on its bill"},
      {kPaymentReversal, "a reversed payment's penalty days are accrued after all"},
      {kAllocation, "payments pay the oldest bill first, principal then penalty; rest credit"},
      {kPenaltyBase, "penalties accrue on unpaid principal of standing metered bills"},
      {kTariffMatch, "the tariff's category (and voltage class) are the account's"},
      {kTwoPart, "two-part accounts: from 315 kVA, on a tariff with the mode's price"},
      {kContractedDemand, "contracted demand between 40 % and 100 % of the capacity"},
      {kLowVoltage, "220 V up to 10 kVA; 380 V up to 100 kVA"},
      {kPowerFactorStandard, "the power-factor standard the 1983 rules assign"},
      {kTermsChange, "terms change from the first day of a month not yet billed"},
      {kTariffNumbering, "the server numbers tariff versions; a caller's number is expected"},
      {kTariffFields, "a tariff version's values are in range; tiers need a scope"},
      {kTariffShape, "later versions keep category, voltage class and two-part prices"},
      {kReaderNotChecker, "the reader of a read does not check or decide on it"},
      {kPreparerNotCollector, "who read, checked, issued or checked a bill does not collect it"},
      {kCollectorNotAlterer, "who collected a bill does not check, reverse or penalise it"},
      {kVeeBackwards, "a register below the previous accepted read of the meter"},
      {kVeeAboveLater, "a register above a later accepted read of the meter"},
      {kVeePeriodSum, "TOU registers add up to the total within 0.1 % (at least 1 kWh)"},
      {kVeeHighLow, "consumption over 3× or under ⅓ of the recent average"},
      {kVeeZero, "no consumption on an active account"},
      {kVeeDuplicate, "one live periodic read per period"},
  };
  return *kRules;
}

std::string TitleOf(absl::string_view id) {
  for (const Rule& rule : AllRules()) {
    if (id == rule.id) return rule.title;
  }
  return "";
}

std::string RuleIdOf(absl::string_view line_rule, v1::BillLineKind kind) {
  if (!absl::StartsWith(line_rule, "DOMAIN tariff rule")) return std::string(line_rule);
  switch (kind) {
    case v1::BILL_LINE_KIND_ENERGY:
      return kEnergy;
    case v1::BILL_LINE_KIND_ENERGY_TOU:
      return kTimeOfUse;
    case v1::BILL_LINE_KIND_ENERGY_TIER:
      return kTierAnnual;  // v1 lines do not say their scope; the tariff version does
    case v1::BILL_LINE_KIND_BASIC_CAPACITY:
      return kBasicCapacity;
    case v1::BILL_LINE_KIND_BASIC_DEMAND:
      return kBasicDemand;
    case v1::BILL_LINE_KIND_BASIC_DEMAND_EXCESS:
      return kBasicDemandExcess;
    case v1::BILL_LINE_KIND_POWER_FACTOR:
      return kPowerFactor;
    case v1::BILL_LINE_KIND_GOVERNMENT_FUND:
      return kFund;
    default:
      return std::string(line_rule);
  }
}

}  // namespace gridledger::billing::rules
