// The ids of the billing rules. docs/TARIFF.md defines each one (its text and
// its source); bill lines, penalty accruals and refusals name them, so an
// auditor can look every number up. rules_test checks the two agree.
#ifndef GRIDLEDGER_DOMAIN_BILLING_CENTER_TARIFF_RULES_H_
#define GRIDLEDGER_DOMAIN_BILLING_CENTER_TARIFF_RULES_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "gridledger/v1/billing_events.pb.h"

namespace gridledger::billing::rules {

// Bill lines (tariff engine).
inline constexpr char kMoney[] = "T-MONEY";
inline constexpr char kVersionInForce[] = "T-VERSION";
inline constexpr char kEnergy[] = "T-ENERGY";
inline constexpr char kTimeOfUse[] = "T-TOU";
inline constexpr char kTierAnnual[] = "T-TIER-ANNUAL";
inline constexpr char kTierMonthly[] = "T-TIER-MONTHLY";
inline constexpr char kTierSummer[] = "T-TIER-SUMMER";
inline constexpr char kBasicCapacity[] = "T-BASIC-CAPACITY";
inline constexpr char kBasicDemand[] = "T-BASIC-DEMAND";
inline constexpr char kBasicDemandExcess[] = "T-BASIC-DEMAND-EXCESS";
inline constexpr char kPowerFactor[] = "T-POWER-FACTOR";
inline constexpr char kFund[] = "T-FUND";
inline constexpr char kBackBilling[] = "T-BACK-BILLING";

// Continuity: every kWh billed once, in period order.
inline constexpr char kSequence[] = "C-SEQUENCE";
inline constexpr char kBaseline[] = "C-BASELINE";
inline constexpr char kChain[] = "C-CHAIN";
inline constexpr char kCovered[] = "C-COVERED";
inline constexpr char kPending[] = "C-PENDING";
inline constexpr char kUnbilled[] = "C-UNBILLED";
inline constexpr char kMonotone[] = "C-MONOTONE";
inline constexpr char kMeterExchange[] = "C-METER-EXCHANGE";
inline constexpr char kMeterOnAccount[] = "C-METER-ON-ACCOUNT";
inline constexpr char kReadInPeriod[] = "C-READ-IN-PERIOD";
inline constexpr char kReverseOrder[] = "C-REVERSE-ORDER";
inline constexpr char kReadCorrection[] = "C-READ-CORRECTION";
inline constexpr char kReissue[] = "C-REISSUE";
inline constexpr char kTermsInForce[] = "C-TERMS-IN-FORCE";

// Late-payment penalties and payments.
inline constexpr char kPenaltyRate[] = "P-RATE";
inline constexpr char kPenaltyMinimum[] = "P-MINIMUM";
inline constexpr char kPenaltyYearSplit[] = "P-YEAR-SPLIT";
inline constexpr char kNoFutureDates[] = "P-NO-FUTURE";
inline constexpr char kPaidOn[] = "P-PAID-ON";
inline constexpr char kBackdated[] = "P-BACKDATED";
inline constexpr char kPaymentReversal[] = "P-REVERSAL";
inline constexpr char kAllocation[] = "P-ALLOCATION";
inline constexpr char kPenaltyBase[] = "P-BASE";

// Account terms and tariff versions.
inline constexpr char kTariffMatch[] = "A-TARIFF-MATCH";
inline constexpr char kTwoPart[] = "A-TWO-PART";
inline constexpr char kContractedDemand[] = "A-DEMAND";
inline constexpr char kLowVoltage[] = "A-LOW-VOLTAGE";
inline constexpr char kPowerFactorStandard[] = "A-PF-STANDARD";
inline constexpr char kTermsChange[] = "A-TERMS-CHANGE";
inline constexpr char kTariffNumbering[] = "TV-NUMBER";
inline constexpr char kTariffFields[] = "TV-FIELDS";
inline constexpr char kTariffShape[] = "TV-SHAPE";

// Separation of duties (抄、核、收).
inline constexpr char kReaderNotChecker[] = "S-READ-CHECK";
inline constexpr char kPreparerNotCollector[] = "S-PREPARE-COLLECT";
inline constexpr char kCollectorNotAlterer[] = "S-COLLECT-ALTER";

// Checking reads (VEE).
inline constexpr char kVeeBackwards[] = "V-BACKWARDS";
inline constexpr char kVeeAboveLater[] = "V-ABOVE-LATER";
inline constexpr char kVeePeriodSum[] = "V-PERIOD-SUM";
inline constexpr char kVeeHighLow[] = "V-HIGH-LOW";
inline constexpr char kVeeZero[] = "V-ZERO";
inline constexpr char kVeeDuplicate[] = "V-DUPLICATE";

struct Rule {
  const char* id;
  const char* title;  // the rule in one line; docs/TARIFF.md has it in full
};

// Every rule above, in the order docs/TARIFF.md lists them.
const std::vector<Rule>& AllRules();

// The one-line title of `id`; empty when no rule has that id.
std::string TitleOf(absl::string_view id);

// A v1 bill line's rule ("DOMAIN tariff rule 4 (105 %)") as the rule id it
// applied, told apart by the line's kind; a v2 rule id is returned as is.
std::string RuleIdOf(absl::string_view line_rule, v1::BillLineKind kind);

}  // namespace gridledger::billing::rules

#endif  // GRIDLEDGER_DOMAIN_BILLING_CENTER_TARIFF_RULES_H_
