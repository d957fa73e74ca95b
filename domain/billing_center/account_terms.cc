// Account terms (A-*) and tariff versions (TV-*): what an account may be
// opened or changed to, and what a tariff version may say.
#include <set>

#include "absl/strings/str_cat.h"
#include "domain/billing_center/account.h"
#include "domain/billing_center/billing_util.h"
#include "domain/billing_center/tariff/rules.h"
#include "domain/billing_center/tariff/tariff_engine.h"

namespace gridledger::billing {
namespace {

using Tariff = v1::TariffScheduleVersionPublished;

constexpr int64_t kTwoPartFromKva = 315;
constexpr int64_t kPowerFactorFromKva = 100;
constexpr int64_t kStandard090FromKva = 160;
constexpr int64_t kMaxPrice = 100'000'000;  // 100 CNY per unit
constexpr int64_t kMaxCapacityKva = 100'000'000;

bool HighVoltage(v1::VoltageClass voltage) { return voltage >= v1::VOLTAGE_CLASS_10KV; }

absl::Status Invalid(const std::string& field, const std::string& what, const char* rule) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", what, " (", rule, ")"));
}

// A-LOW-VOLTAGE.
absl::Status CheckCapacityForVoltage(const v1::AccountOpened& t) {
  const int64_t kva = t.contracted_capacity_kva();
  if (kva < 0 || kva > kMaxCapacityKva) {
    return Invalid("account.contracted_capacity_kva",
                   absl::StrCat("must be 0..", kMaxCapacityKva, ", got ", kva), rules::kLowVoltage);
  }
  if (t.voltage_class() == v1::VOLTAGE_CLASS_LV_220V && kva > 10) {
    return Invalid("account.contracted_capacity_kva",
                   absl::StrCat("220 V single-phase supply is for up to 10 kVA, got ", kva),
                   rules::kLowVoltage);
  }
  if (t.voltage_class() == v1::VOLTAGE_CLASS_LV_380V && kva > 100) {
    return Invalid("account.contracted_capacity_kva",
                   absl::StrCat("380 V supply is for up to 100 kVA, got ", kva),
                   rules::kLowVoltage);
  }
  return absl::OkStatus();
}

// A-DEMAND: between 40 % and 100 % of the capacity (kW against kVA).
absl::Status CheckContractedDemand(const v1::AccountOpened& t) {
  const int64_t demand_w = t.contracted_demand_w();
  const int64_t kva = t.contracted_capacity_kva();
  if (t.basic_charge_mode() != v1::BASIC_CHARGE_MODE_DEMAND) {
    if (demand_w != 0) {
      return Invalid("account.contracted_demand_w",
                     "only a two-part account by demand has a contracted demand",
                     rules::kContractedDemand);
    }
    return absl::OkStatus();
  }
  if (demand_w <= 0) {
    return Invalid("account.contracted_demand_w", "a basic charge by demand needs it",
                   rules::kContractedDemand);
  }
  if (demand_w > kva * 1000) {
    return Invalid("account.contracted_demand_w",
                   absl::StrCat("at most the capacity, ", kva, " kW; got ", demand_w, " W"),
                   rules::kContractedDemand);
  }
  if (demand_w * 100 < kva * 1000 * 40) {
    return Invalid(
        "account.contracted_demand_w",
        absl::StrCat("at least 40 % of the capacity, ", kva * 400, " W; got ", demand_w, " W"),
        rules::kContractedDemand);
  }
  return absl::OkStatus();
}

// A-TWO-PART (the account's side).
absl::Status CheckTwoPart(const v1::AccountOpened& t) {
  const bool two_part = t.basic_charge_mode() != v1::BASIC_CHARGE_MODE_UNSPECIFIED;
  if (t.category() == v1::CUSTOMER_CATEGORY_LARGE_INDUSTRIAL && !two_part) {
    return Invalid("account.basic_charge_mode",
                   "a large-industrial account is two-part: by capacity or by demand",
                   rules::kTwoPart);
  }
  if (!two_part) return CheckContractedDemand(t);
  if (t.category() != v1::CUSTOMER_CATEGORY_LARGE_INDUSTRIAL &&
      t.category() != v1::CUSTOMER_CATEGORY_GENERAL_INDUSTRIAL_COMMERCIAL) {
    return Invalid("account.basic_charge_mode",
                   "only large-industrial and general industrial & commercial accounts are "
                   "two-part",
                   rules::kTwoPart);
  }
  if (t.contracted_capacity_kva() < kTwoPartFromKva) {
    return Invalid("account.contracted_capacity_kva",
                   absl::StrCat("a two-part account has at least ", kTwoPartFromKva, " kVA, got ",
                                t.contracted_capacity_kva()),
                   rules::kTwoPart);
  }
  return CheckContractedDemand(t);
}

// A-PF-STANDARD: the 1983 rules assess customers from 100 kVA: 0.90 high-
// voltage supply from 160 kVA, 0.85 other customers, 0.80 agriculture and
// wholesale; residential customers are not assessed.
absl::Status CheckPowerFactorStandard(const v1::AccountOpened& t) {
  const v1::PowerFactorStandard standard = t.pf_standard();
  const int64_t kva = t.contracted_capacity_kva();
  const bool residential = t.category() == v1::CUSTOMER_CATEGORY_RESIDENTIAL;
  const std::string field = "account.pf_standard";
  if (residential || kva < kPowerFactorFromKva) {
    if (standard != v1::POWER_FACTOR_STANDARD_NONE) {
      return Invalid(field,
                     residential ? "residential accounts are not assessed"
                                 : absl::StrCat("assessed from ", kPowerFactorFromKva,
                                                " kVA; the account has ", kva),
                     rules::kPowerFactorStandard);
    }
    return absl::OkStatus();
  }
  const bool rural = t.category() == v1::CUSTOMER_CATEGORY_AGRICULTURAL ||
                     t.category() == v1::CUSTOMER_CATEGORY_WHOLESALE;
  switch (standard) {
    case v1::POWER_FACTOR_STANDARD_NONE:
      return Invalid(field,
                     absl::StrCat("a non-residential account of ", kva,
                                  " kVA is assessed: 0.90, 0.85 or 0.80"),
                     rules::kPowerFactorStandard);
    case v1::POWER_FACTOR_STANDARD_090:
      if (!HighVoltage(t.voltage_class()) || kva < kStandard090FromKva) {
        return Invalid(field, "0.90 is for high-voltage supply from 160 kVA",
                       rules::kPowerFactorStandard);
      }
      return absl::OkStatus();
    case v1::POWER_FACTOR_STANDARD_080:
      if (!rural) {
        return Invalid(field, "0.80 is for agricultural and wholesale accounts",
                       rules::kPowerFactorStandard);
      }
      return absl::OkStatus();
    default:
      return absl::OkStatus();
  }
}

absl::Status CheckTerms(const v1::AccountOpened& t) {
  if (t.category() == v1::CUSTOMER_CATEGORY_UNSPECIFIED) {
    return absl::InvalidArgumentError("account.category: must be set");
  }
  if (t.voltage_class() == v1::VOLTAGE_CLASS_UNSPECIFIED) {
    return absl::InvalidArgumentError("account.voltage_class: must be set");
  }
  if (absl::Status s = CheckCapacityForVoltage(t); !s.ok()) return s;
  if (absl::Status s = CheckTwoPart(t); !s.ok()) return s;
  if (absl::Status s = CheckPowerFactorStandard(t); !s.ok()) return s;
  return CheckId("account.tariff_id", t.tariff_id());
}

// A-TARIFF-MATCH and A-TWO-PART (the tariff's side): the account's terms
// against one tariff version.
absl::Status CheckAgainstTariff(const v1::AccountOpened& t, const Tariff& v) {
  const std::string which = absl::StrCat("tariff ", v.tariff_id(), " version ", v.version());
  if (v.category() != t.category()) {
    return absl::FailedPreconditionError(
        absl::StrCat("account.tariff_id: ", which, " is for ",
                     v1::CustomerCategory_Name(v.category()), ", the account is ",
                     v1::CustomerCategory_Name(t.category()), " (", rules::kTariffMatch, ")"));
  }
  if (v.voltage_class() != v1::VOLTAGE_CLASS_UNSPECIFIED &&
      v.voltage_class() != t.voltage_class()) {
    return absl::FailedPreconditionError(
        absl::StrCat("account.tariff_id: ", which, " is for ",
                     v1::VoltageClass_Name(v.voltage_class()), ", the account is ",
                     v1::VoltageClass_Name(t.voltage_class()), " (", rules::kTariffMatch, ")"));
  }
  if (t.basic_charge_mode() == v1::BASIC_CHARGE_MODE_CAPACITY &&
      v.capacity_price_fen_per_kva_month() <= 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("account.basic_charge_mode: ", which,
                     " has no capacity price; a two-part account by capacity needs a two-part "
                     "tariff (",
                     rules::kTwoPart, ")"));
  }
  if (t.basic_charge_mode() == v1::BASIC_CHARGE_MODE_DEMAND &&
      v.demand_price_fen_per_kw_month() <= 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("account.basic_charge_mode: ", which,
                     " has no demand price; a two-part account by demand needs a two-part "
                     "tariff (",
                     rules::kTwoPart, ")"));
  }
  if (t.time_of_use() && v.sharp_adjust_bp() == 0 && v.peak_adjust_bp() == 0 &&
      v.valley_adjust_bp() == 0) {
    return absl::FailedPreconditionError(absl::StrCat("account.time_of_use: ", which,
                                                      " has no time-of-use adjustments (",
                                                      rules::kTariffMatch, ")"));
  }
  return absl::OkStatus();
}

const Tariff* Newest(const std::vector<Tariff>& versions) {
  const Tariff* newest = nullptr;
  for (const Tariff& v : versions) {
    if (newest == nullptr || v.version() > newest->version()) newest = &v;
  }
  return newest;
}

absl::Status NoSuchTariff(const std::string& tariff_id) {
  return absl::FailedPreconditionError(
      absl::StrCat("account.tariff_id: tariff ", tariff_id, " has no published version"));
}

}  // namespace

absl::StatusOr<v1::DomainEvent> DecideOpenAccount(const Account& account,
                                                  const v1::AccountOpened& opened,
                                                  const std::vector<Tariff>& tariff_versions) {
  if (absl::Status s = CheckId("account.account_id", opened.account_id()); !s.ok()) return s;
  if (opened.customer_name().empty()) {
    return absl::InvalidArgumentError("account.customer_name: must not be empty");
  }
  if (opened.org_unit().empty()) {
    return absl::InvalidArgumentError("account.org_unit: must not be empty");
  }
  if (absl::Status s = CheckTerms(opened); !s.ok()) return s;
  if (account.opened) {
    return absl::AlreadyExistsError(
        absl::StrCat("account ", opened.account_id(), " is already open"));
  }
  const Tariff* newest = Newest(tariff_versions);
  if (newest == nullptr) return NoSuchTariff(opened.tariff_id());
  if (absl::Status s = CheckAgainstTariff(opened, *newest); !s.ok()) return s;
  v1::DomainEvent event;
  *event.mutable_account_opened() = opened;
  return event;
}

namespace {

const std::set<std::string>& ChangeableFields() {
  static const std::set<std::string>* const kFields =
      new std::set<std::string>{"contracted_capacity_kva",
                                "contracted_demand_w",
                                "basic_charge_mode",
                                "pf_standard",
                                "time_of_use",
                                "tariff_id"};
  return *kFields;
}

absl::Status CheckChangeInput(const v1::AccountTermsChanged& change) {
  if (absl::Status s = CheckId("change.account_id", change.account_id()); !s.ok()) return s;
  if (change.changed_fields().empty()) {
    return absl::InvalidArgumentError("change.changed_fields: name at least one field");
  }
  std::set<std::string> seen;
  for (const std::string& field : change.changed_fields()) {
    if (ChangeableFields().count(field) == 0 || !seen.insert(field).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "change.changed_fields: ", field,
          " is not a changeable term (contracted_capacity_kva, contracted_demand_w, "
          "basic_charge_mode, pf_standard, time_of_use, tariff_id) or is named twice"));
    }
  }
  if (absl::Status s = CheckDate("change.effective_from", change.effective_from()); !s.ok()) {
    return s;
  }
  if (change.effective_from().day() != 1) {
    return Invalid("change.effective_from", "terms change from the first day of a month",
                   rules::kTermsChange);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::DomainEvent> DecideChangeTerms(const Account& account,
                                                  const v1::AccountTermsChanged& change,
                                                  const std::vector<Tariff>& tariff_versions) {
  if (absl::Status s = CheckChangeInput(change); !s.ok()) return s;
  if (!account.opened) return AccountNotOpen();
  const v1::Period first = PeriodOfDate(change.effective_from());
  Account changed = account;
  changed.terms_changes.push_back(change);
  const v1::AccountOpened terms = changed.TermsFor(first);
  if (absl::Status s = CheckTerms(terms); !s.ok()) return s;
  if (const Bill* last = account.LastMeteredBill();
      last != nullptr && MonthIndex(last->period) >= MonthIndex(first)) {
    return absl::FailedPreconditionError(
        absl::StrCat("change.effective_from: the account is billed through ",
                     PeriodText(last->period), " (bill ", last->id, "); terms can change from ",
                     PeriodText(PeriodOfIndex(MonthIndex(last->period) + 1)),
                     " on, or reverse the bills to re-rate them (", rules::kTermsChange, ")"));
  }
  absl::StatusOr<const Tariff*> in_force = tariff::VersionInForce(tariff_versions, first);
  if (!in_force.ok()) return NoSuchTariff(terms.tariff_id());
  if (absl::Status s = CheckAgainstTariff(terms, **in_force); !s.ok()) return s;
  for (const Tariff& v : tariff_versions) {
    if (CivilOf(v.effective_from()) > CivilOf((*in_force)->effective_from())) {
      if (absl::Status s = CheckAgainstTariff(terms, v); !s.ok()) return s;
    }
  }
  v1::DomainEvent event;
  *event.mutable_account_terms_changed() = change;
  return event;
}

namespace {

absl::Status CheckTiers(const google::protobuf::RepeatedPtrField<v1::TariffTier>& tiers,
                        const std::string& field) {
  for (int i = 0; i < tiers.size(); ++i) {
    if (tiers[i].threshold_wh() <= 0 ||
        (i > 0 && tiers[i].threshold_wh() <= tiers[i - 1].threshold_wh())) {
      return Invalid(field, "thresholds must be positive and rise", rules::kTariffFields);
    }
    if (tiers[i].markup_micro_cny_per_kwh() < 0 ||
        tiers[i].markup_micro_cny_per_kwh() > kMaxPrice) {
      return Invalid(field, absl::StrCat("markups must be 0..", kMaxPrice), rules::kTariffFields);
    }
  }
  return absl::OkStatus();
}

absl::Status CheckTierFields(const Tariff& v) {
  if (absl::Status s = CheckTiers(v.tiers(), "version.tiers"); !s.ok()) return s;
  if (absl::Status s = CheckTiers(v.summer_tiers(), "version.summer_tiers"); !s.ok()) return s;
  const bool tiered = !v.tiers().empty() || !v.summer_tiers().empty();
  if (tiered && v.tier_scope() == v1::TIER_SCOPE_UNSPECIFIED) {
    return Invalid("version.tier_scope", "tiers need a scope: TIER_SCOPE_ANNUAL or _MONTHLY",
                   rules::kTariffFields);
  }
  if (tiered && v.category() != v1::CUSTOMER_CATEGORY_RESIDENTIAL) {
    return Invalid("version.tiers", "tiers are for residential tariffs", rules::kTariffFields);
  }
  if (!v.summer_tiers().empty() && v.summer_months().empty()) {
    return Invalid("version.summer_months", "summer tiers need their months", rules::kTariffFields);
  }
  std::set<int32_t> months;
  for (int32_t month : v.summer_months()) {
    if (month < 1 || month > 12 || !months.insert(month).second) {
      return Invalid("version.summer_months", "months 1-12, each once", rules::kTariffFields);
    }
  }
  return absl::OkStatus();
}

absl::Status CheckTouFields(const Tariff& v) {
  for (int32_t bp : {v.sharp_adjust_bp(), v.peak_adjust_bp(), v.valley_adjust_bp()}) {
    if (bp <= -10'000 || bp > 100'000) {
      return Invalid("version.*_adjust_bp", "an adjustment is above -10000 bp and at most 100000",
                     rules::kTariffFields);
    }
  }
  for (const v1::TouWindow& w : v.tou_windows()) {
    if (w.period() == v1::TOU_PERIOD_UNSPECIFIED || w.start_minute() < 0 || w.end_minute() > 1440 ||
        w.start_minute() >= w.end_minute()) {
      return Invalid("version.tou_windows",
                     "a window has a period and 0 <= start_minute < end_minute <= 1440",
                     rules::kTariffFields);
    }
    for (int32_t month : w.months()) {
      if (month < 1 || month > 12) {
        return Invalid("version.tou_windows.months", "months 1-12", rules::kTariffFields);
      }
    }
  }
  return absl::OkStatus();
}

absl::Status CheckPriceFields(const Tariff& v) {
  if (v.flat_price_micro_cny_per_kwh() <= 0 || v.flat_price_micro_cny_per_kwh() > kMaxPrice) {
    return Invalid("version.flat_price_micro_cny_per_kwh",
                   absl::StrCat("must be positive and at most ", kMaxPrice), rules::kTariffFields);
  }
  for (const auto& [field, price] :
       {std::pair<const char*, int64_t>{"version.capacity_price_fen_per_kva_month",
                                        v.capacity_price_fen_per_kva_month()},
        {"version.demand_price_fen_per_kw_month", v.demand_price_fen_per_kw_month()}}) {
    if (price < 0 || price > kMaxPrice) {
      return Invalid(field, absl::StrCat("must be 0..", kMaxPrice), rules::kTariffFields);
    }
  }
  if (v.category() == v1::CUSTOMER_CATEGORY_LARGE_INDUSTRIAL &&
      v.capacity_price_fen_per_kva_month() <= 0 && v.demand_price_fen_per_kw_month() <= 0) {
    return Invalid("version.capacity_price_fen_per_kva_month",
                   "a large-industrial tariff is two-part: give a capacity or a demand price",
                   rules::kTariffFields);
  }
  std::set<std::string> codes;
  for (const v1::GovernmentFund& fund : v.funds()) {
    if (fund.code().empty() || !codes.insert(fund.code()).second) {
      return Invalid("version.funds.code", "each fund has a code of its own", rules::kTariffFields);
    }
    if (fund.price_micro_cny_per_kwh() <= 0 || fund.price_micro_cny_per_kwh() > kMaxPrice) {
      return Invalid("version.funds.price_micro_cny_per_kwh",
                     absl::StrCat("must be positive and at most ", kMaxPrice),
                     rules::kTariffFields);
    }
  }
  return absl::OkStatus();
}

absl::Status CheckTariffFields(const Tariff& v) {
  if (absl::Status s = CheckId("version.tariff_id", v.tariff_id()); !s.ok()) return s;
  if (absl::Status s = CheckDate("version.effective_from", v.effective_from()); !s.ok()) {
    return s;
  }
  if (v.category() == v1::CUSTOMER_CATEGORY_UNSPECIFIED) {
    return absl::InvalidArgumentError("version.category: must be set");
  }
  if (v.version() < 0) {
    return Invalid("version.version", "0 (the server numbers it) or the expected version",
                   rules::kTariffNumbering);
  }
  if (absl::Status s = CheckPriceFields(v); !s.ok()) return s;
  if (absl::Status s = CheckTouFields(v); !s.ok()) return s;
  return CheckTierFields(v);
}

// TV-SHAPE: accounts checked against earlier versions stay valid.
absl::Status CheckShape(const std::vector<Tariff>& existing, const Tariff& v) {
  if (existing.empty()) return absl::OkStatus();
  const Tariff& first = existing.front();
  const Tariff& latest = *Newest(existing);
  const std::string which = absl::StrCat("tariff ", v.tariff_id(), " ");
  if (v.category() != first.category() || v.voltage_class() != first.voltage_class()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "version.category: ", which, "is for ", v1::CustomerCategory_Name(first.category()), " at ",
        v1::VoltageClass_Name(first.voltage_class()), "; a version cannot change that (",
        rules::kTariffShape, ")"));
  }
  if ((latest.capacity_price_fen_per_kva_month() > 0 &&
       v.capacity_price_fen_per_kva_month() <= 0) ||
      (latest.demand_price_fen_per_kw_month() > 0 && v.demand_price_fen_per_kw_month() <= 0)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "version: ", which, "version ", latest.version(),
        " has a basic-charge price this version drops; two-part accounts depend on it (",
        rules::kTariffShape, ")"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<v1::DomainEvent> DecidePublishTariff(const std::vector<Tariff>& existing,
                                                    const Tariff& version) {
  if (absl::Status s = CheckTariffFields(version); !s.ok()) return s;
  const int32_t next = static_cast<int32_t>(existing.size()) + 1;
  if (version.version() != 0 && version.version() != next) {
    return absl::FailedPreconditionError(
        absl::StrCat("version.version: tariff ", version.tariff_id(), " is at version ", next - 1,
                     "; the expected version ", version.version(), " is not the next, ", next, " (",
                     rules::kTariffNumbering, ")"));
  }
  if (absl::Status s = CheckShape(existing, version); !s.ok()) return s;
  v1::DomainEvent event;
  *event.mutable_tariff_schedule_version_published() = version;
  event.mutable_tariff_schedule_version_published()->set_version(next);
  return event;
}

}  // namespace gridledger::billing
