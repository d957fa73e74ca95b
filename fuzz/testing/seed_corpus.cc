// Writes the fuzzers' seed corpus: fuzz/corpus/<target>/seed-<name>, one
// small valid (or nearly valid) input per file, from which libFuzzer mutates.
// Deterministic: running it again rewrites the same bytes. `scripts/fuzz
// seeds` runs it; the files it writes are committed.
//
//   build/fuzz/fuzz_seed_corpus fuzz/corpus
//
// The service scripts are written below in protobuf text format
// (gridledger.fuzz.*Script), each a business story the unit's rules accept
// step by step, with a few refusals on the way.
#include <google/protobuf/text_format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/sha256.h"
#include "eventstore/internal/record_codec.h"
#include "gridledger/fuzz/scripts.pb.h"
#include "gridledger/v1/envelope.pb.h"

namespace gridledger::fuzzing {
namespace {

namespace fs = std::filesystem;

void Write(const fs::path& corpus, const std::string& target, const std::string& name,
           const std::string& bytes) {
  const fs::path dir = corpus / target;
  fs::create_directories(dir);
  std::ofstream out(dir / ("seed-" + name), std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "fuzz_seed_corpus: cannot write %s/%s\n", dir.c_str(), name.c_str());
    std::exit(1);
  }
}

// A script in text format, serialized.
template <typename Script>
std::string ScriptBytes(const std::string& text) {
  Script script;
  if (!google::protobuf::TextFormat::ParseFromString(text, &script)) {
    std::fprintf(stderr, "fuzz_seed_corpus: a %s does not parse:\n%s\n",
                 Script::descriptor()->full_name().c_str(), text.c_str());
    std::exit(1);
  }
  std::string bytes;
  script.SerializeToString(&bytes);
  return bytes;
}

// ---------------------------------------------------------------- records

v1::EventEnvelope ReadEnvelope(int64_t version) {
  v1::EventEnvelope event;
  event.set_event_id(absl::StrCat("00000000-0000-4000-8000-00000000000", version));
  event.set_stream_id("account-6101000123");
  event.set_stream_version(version);
  event.set_type("gridledger.v1.MeterReadRecorded");
  event.set_schema_version(1);
  event.mutable_occurred_at()->set_seconds(1780000000 + version);
  event.mutable_recorded_at()->set_seconds(1780000100 + version);
  event.mutable_recorded_at()->set_nanos(250000000);
  event.mutable_actor()->set_principal("reader-0042");
  event.mutable_actor()->set_role("meter_reader");
  event.mutable_actor()->set_org_unit("sn/xa/huyi");
  event.set_command_id(absl::StrCat("cmd-", version));
  auto* read = event.mutable_payload()->mutable_meter_read_recorded();
  read->set_read_id(absl::StrCat("R-2026-", version));
  read->set_account_id("6101000123");
  read->mutable_period()->set_year(2026);
  read->mutable_period()->set_month(static_cast<int32_t>(version));
  read->mutable_registers()->set_total_wh(1234567890 + version * 100000);
  read->set_multiplier(1);
  return event;
}

void WriteRecords(const fs::path& corpus) {
  const std::string& genesis = GenesisHash();
  eventstore::internal::SealedRecord first =
      eventstore::internal::SealEnvelope(ReadEnvelope(1), genesis, genesis);
  Write(corpus, "record_codec", "first-read", first.record_bytes);
  eventstore::internal::SealedRecord second =
      eventstore::internal::SealEnvelope(ReadEnvelope(2), first.hash, first.partition_hash);
  Write(corpus, "record_codec", "second-read", second.record_bytes);
  v1::EventEnvelope bill;
  bill.set_event_id("00000000-0000-4000-8000-0000000000b1");
  bill.set_stream_id("account-6101000123");
  bill.set_stream_version(3);
  bill.set_type("gridledger.v1.BillIssued");
  bill.mutable_recorded_at()->set_seconds(-62135596800);  // 0001-01-01: a negative varint
  bill.mutable_actor()->set_principal("checker-7");
  auto* issued = bill.mutable_payload()->mutable_bill_issued();
  issued->set_bill_id("B-2026-02");
  issued->set_account_id("6101000123");
  issued->set_total_fen(-1);
  Write(corpus, "record_codec", "bill-old-time",
        eventstore::internal::SealEnvelope(bill, second.hash, second.partition_hash).record_bytes);
  // A record whose hashes do not match its bytes (a flipped bit).
  std::string flipped = second.record_bytes;
  flipped[flipped.size() / 2] ^= 0x01;
  Write(corpus, "record_codec", "flipped-bit", flipped);
  Write(corpus, "record_codec", "truncated", first.record_bytes.substr(0, 40));
}

// ----------------------------------------------------------- tokens, URIs

void WriteTokenFiles(const fs::path& corpus) {
  // "HASH" stands for the SHA-256 of the token the fuzzer presents.
  Write(corpus, "tokens_file", "one-line", "HASH reader-0042 sn/xa/huyi meter_reader\n");
  Write(corpus, "tokens_file", "staff",
        "# staff of Huyi county\n"
        "HASH checker-7 sn/xa bill_checker,collector\n"
        "\n" +
            HexEncode(Sha256("other")) + " root sn admin expires=2030-01-01T00:00:00+08:00\n");
  Write(corpus, "tokens_file", "expired",
        "HASH temp-1 sn/xa collector expires=2001-02-03T04:05:06Z\n");
  Write(corpus, "tokens_file", "issue-token", "reader-0042\nsn/xa/huyi\nmeter_reader,collector");
  Write(corpus, "tokens_file", "bad-role", "HASH p sn wizard\n");
  Write(corpus, "tokens_file", "twice", "HASH a sn admin\r\nHASH b sn admin\r\n");
}

void WriteStoreUris(const fs::path& corpus) {
  Write(corpus, "store_uri", "embedded", "embedded:/var/lib/gridledger");
  Write(corpus, "store_uri", "embedded-url", "embedded:///tmp/gl-data");
  Write(corpus, "store_uri", "kafka", "kafka://127.0.0.1:9092");
  Write(corpus, "store_uri", "kafka-options",
        "kafka://broker-1:9092,10.0.0.2:9093/?topic_prefix=sn.prod&partitions=12&replication=3"
        "&timeout_ms=2500&writer_id=api-2");
  Write(corpus, "store_uri", "kafka-ipv6", "kafka://[::1]:9092?writer_id=main");
  Write(corpus, "store_uri", "unknown", "postgres://localhost/gl");
}

// ------------------------------------------------------- service scripts

// A residential account on a published tariff through a month: two reads,
// a check, a bill, a payment by another principal, a penalty, a reversal.
constexpr char kBillingMonth[] = R"pb(
  steps {
    caller: CALLER_MARKETING_MANAGER
    publish_tariff_version {
      command_id: "c1"
      version {
        tariff_id: "res"
        version: 1
        effective_from { year: 2026 month: 1 day: 1 }
        category: CUSTOMER_CATEGORY_RESIDENTIAL
        flat_price_micro_cny_per_kwh: 498300
        tier_scope: TIER_SCOPE_ANNUAL
        tiers { threshold_wh: 2160000000 markup_micro_cny_per_kwh: 50000 }
        tiers { threshold_wh: 4200000000 markup_micro_cny_per_kwh: 300000 }
        funds { code: "REN" name: "renewable energy surcharge" price_micro_cny_per_kwh: 19000 }
      }
    }
  }
  steps {
    caller: CALLER_CUSTOMER_SERVICE
    open_account {
      command_id: "c2"
      account {
        account_id: "6101000123"
        customer_name: "Zhang San"
        category: CUSTOMER_CATEGORY_RESIDENTIAL
        voltage_class: VOLTAGE_CLASS_LV_220V
        tariff_id: "res"
        org_unit: "sn/xa/huyi"
      }
    }
  }
  steps {
    caller: CALLER_METER_READER
    record_read {
      command_id: "c3"
      read {
        read_id: "R-10"
        account_id: "6101000123"
        period { year: 2026 month: 10 }
        registers { total_wh: 5000000000 }
        multiplier: 1
      }
    }
  }
  steps {
    caller: CALLER_METER_READER
    record_read {
      command_id: "c4"
      read {
        read_id: "R-11"
        account_id: "6101000123"
        period { year: 2026 month: 11 }
        registers { total_wh: 5180000000 }
        multiplier: 1
      }
    }
  }
  steps {
    caller: CALLER_BILL_CHECKER
    check_read { command_id: "c5" account_id: "6101000123" read_id: "R-10" }
  }
  steps {
    caller: CALLER_BILL_CHECKER
    check_read { command_id: "c6" account_id: "6101000123" read_id: "R-11" }
  }
  steps {
    caller: CALLER_BILL_CHECKER
    issue_bill {
      command_id: "c7"
      account_id: "6101000123"
      bill_id: "B-11"
      period { year: 2026 month: 11 }
      due_date { year: 2026 month: 12 day: 20 }
    }
  }
  steps {
    caller: CALLER_SECOND_BILL_CHECKER
    check_bill { command_id: "c8" account_id: "6101000123" bill_id: "B-11" }
  }
  steps {
    caller: CALLER_BILL_CHECKER
    accrue_penalty {
      command_id: "c9"
      account_id: "6101000123"
      bill_id: "B-11"
      as_of { year: 2027 month: 1 day: 31 }
    }
  }
  steps {
    caller: CALLER_COLLECTOR
    post_payment {
      command_id: "c10"
      account_id: "6101000123"
      payment_id: "P-1"
      amount_fen: 5000
      method: PAYMENT_METHOD_COUNTER
    }
  }
  steps {
    caller: CALLER_COLLECTOR_AND_CHECKER
    post_payment { command_id: "c11" account_id: "6101000123" payment_id: "P-2" amount_fen: 99 }
  }
  steps {
    caller: CALLER_COLLECTOR
    reverse_payment {
      command_id: "c12"
      account_id: "6101000123"
      payment_id: "P-1"
      reason: "bounced"
    }
  }
  steps {
    caller: CALLER_BILL_CHECKER
    reverse_bill { command_id: "c13" account_id: "6101000123" bill_id: "B-11" reason: "wrong read" }
  }
  steps {
    caller: CALLER_COLLECTOR
    reverse_payment {
      command_id: "c14"
      account_id: "6101000123"
      payment_id: "P-2"
      reason: "mistaken"
    }
  }
  steps {
    caller: CALLER_BILL_CHECKER
    reverse_bill { command_id: "c15" account_id: "6101000123" bill_id: "B-11" reason: "wrong read" }
  }
  steps {
    caller: CALLER_BILL_CHECKER
    issue_bill {
      command_id: "c16"
      account_id: "6101000123"
      bill_id: "B-11a"
      period { year: 2026 month: 11 }
      due_date { year: 2026 month: 12 day: 20 }
      replaces_bill_id: "B-11"
    }
  }
  steps {
    caller: CALLER_AUDITOR
    get_account { account_id: "6101000123" }
  }
)pb";

// A flagged read decided by hand, an inspection and back-billing, a wholesale
// settlement and its confirmation.
constexpr char kBillingInspection[] = R"pb(
  steps {
    caller: CALLER_ADMIN
    publish_tariff_version {
      command_id: "t1"
      version {
        tariff_id: "gc"
        version: 1
        effective_from { year: 2026 month: 1 day: 1 }
        category: CUSTOMER_CATEGORY_GENERAL_INDUSTRIAL_COMMERCIAL
        flat_price_micro_cny_per_kwh: 612000
        sharp_adjust_bp: 9000
        peak_adjust_bp: 7000
        valley_adjust_bp: -7000
      }
    }
  }
  steps {
    caller: CALLER_ADMIN
    publish_tariff_version {
      command_id: "t2"
      version {
        tariff_id: "ws"
        version: 1
        effective_from { year: 2026 month: 1 day: 1 }
        category: CUSTOMER_CATEGORY_WHOLESALE
        flat_price_micro_cny_per_kwh: 350000
      }
    }
  }
  steps {
    caller: CALLER_CUSTOMER_SERVICE
    open_account {
      command_id: "a1"
      account {
        account_id: "6102000777"
        customer_name: "Huyi Flour Mill"
        category: CUSTOMER_CATEGORY_GENERAL_INDUSTRIAL_COMMERCIAL
        voltage_class: VOLTAGE_CLASS_LV_380V
        time_of_use: true
        contracted_capacity_kva: 200
        pf_standard: POWER_FACTOR_STANDARD_085
        tariff_id: "gc"
        org_unit: "sn/xa/huyi"
      }
    }
  }
  steps {
    caller: CALLER_METER_READER
    record_read {
      command_id: "r1"
      read {
        read_id: "R-1"
        account_id: "6102000777"
        period { year: 2026 month: 5 }
        registers {
          total_wh: 1000000000
          sharp_wh: 100000000
          peak_wh: 300000000
          flat_wh: 300000000
          valley_wh: 300000000
          reactive_varh: 400000000
        }
        multiplier: 40
      }
    }
  }
  steps {
    caller: CALLER_METER_READER
    record_read {
      command_id: "r2"
      read {
        read_id: "R-2"
        account_id: "6102000777"
        period { year: 2026 month: 6 }
        registers {
          total_wh: 900000000
          sharp_wh: 100000000
          peak_wh: 300000000
          flat_wh: 200000000
          valley_wh: 300000000
        }
        multiplier: 40
      }
    }
  }
  steps {
    caller: CALLER_BILL_CHECKER
    check_read { command_id: "k1" account_id: "6102000777" read_id: "R-1" }
  }
  steps {
    caller: CALLER_BILL_CHECKER
    check_read { command_id: "k2" account_id: "6102000777" read_id: "R-2" }
  }
  steps {
    caller: CALLER_BILL_CHECKER
    decide_read {
      command_id: "d2"
      account_id: "6102000777"
      read_id: "R-2"
      decision: READ_DECISION_ESTIMATE
      estimated_registers {
        total_wh: 1050000000
        sharp_wh: 105000000
        peak_wh: 315000000
        flat_wh: 315000000
        valley_wh: 315000000
      }
      reason: "register fault"
    }
  }
  steps {
    caller: CALLER_BILL_CHECKER
    record_inspection {
      command_id: "i1"
      inspection {
        inspection_id: "I-1"
        account_id: "6102000777"
        finding: INSPECTION_FINDING_THEFT
        evidence: "bypass wiring around the meter"
      }
    }
  }
  steps {
    caller: CALLER_BILL_CHECKER
    issue_back_billing {
      command_id: "b1"
      account_id: "6102000777"
      inspection_id: "I-1"
      bill_id: "BB-1"
      energy_wh: 1800000000
      from_period { year: 2026 month: 1 }
      to_period { year: 2026 month: 6 }
    }
  }
  steps {
    caller: CALLER_BILL_CHECKER
    issue_wholesale_settlement {
      command_id: "w1"
      counterparty: "local-power"
      settlement_id: "WS-2026-11"
      period { year: 2026 month: 11 }
      energy_wh: 86400000000000
      tariff_id: "ws"
    }
  }
  steps {
    caller: CALLER_BILL_CHECKER
    confirm_wholesale_settlement {
      command_id: "w2"
      counterparty: "local-power"
      settlement_id: "WS-2026-11"
      confirmed_by: "local power company finance"
    }
  }
)pb";

// Refusals: no token, two headers, the wrong role, a bad id, a reused
// command id on another stream.
constexpr char kBillingRefusals[] = R"pb(
  steps {
    caller: CALLER_NO_TOKEN
    get_account { account_id: "1" }
  }
  steps {
    caller: CALLER_TWO_HEADERS
    get_account { account_id: "1" }
  }
  steps {
    caller: CALLER_EXPIRED
    get_account { account_id: "1" }
  }
  steps {
    caller: CALLER_METER_READER
    post_payment { command_id: "x1" account_id: "1" payment_id: "P" amount_fen: 1 }
  }
  steps {
    caller: CALLER_COLLECTOR
    post_payment { command_id: "x2" account_id: "bad id!" payment_id: "P" amount_fen: 1 }
  }
  steps {
    caller: CALLER_ADMIN
    publish_tariff_version {
      command_id: "x3"
      version {
        tariff_id: "t"
        version: 1
        effective_from { year: 2026 month: 1 day: 1 }
        category: CUSTOMER_CATEGORY_AGRICULTURAL
        flat_price_micro_cny_per_kwh: 9223372036854775807
      }
    }
  }
  steps {
    caller: CALLER_ADMIN
    publish_tariff_version {
      command_id: "x3"
      version { tariff_id: "u" version: 1 }
    }
  }
)pb";

constexpr char kCustomerApplication[] = R"pb(
  steps {
    caller: CALLER_CUSTOMER_SERVICE
    submit_application {
      command_id: "s1"
      application {
        application_id: "A-2026-001"
        application_type: APPLICATION_TYPE_NEW_CONNECTION
        customer_name: "Huyi Cold Storage"
        category: CUSTOMER_CATEGORY_GENERAL_INDUSTRIAL_COMMERCIAL
        voltage_class: VOLTAGE_CLASS_10KV
        supply_mode: SUPPLY_MODE_HIGH_VOLTAGE_SINGLE
        requested_capacity_kva: 1250
        premise_address: "12 Ganting Road"
        org_unit: "sn/xa/huyi"
      }
    }
  }
  steps {
    caller: CALLER_CUSTOMER_SERVICE
    accept_application { command_id: "s2" application_id: "A-2026-001" }
  }
  steps {
    caller: CALLER_CUSTOMER_SERVICE
    complete_step {
      command_id: "s3"
      application_id: "A-2026-001"
      site_survey { surveyor: "surveyor-1" findings: "pole 17 has room" }
    }
  }
  steps {
    caller: CALLER_CUSTOMER_SERVICE
    complete_step {
      command_id: "s4"
      application_id: "A-2026-001"
      supply_plan { needs_bay_approval: true substation: "Huyi 110 kV" bay: "bay-7" }
    }
  }
  steps {
    caller: CALLER_MARKETING_MANAGER
    decide_bay_approval { command_id: "m1" application_id: "A-2026-001" grant: true }
  }
  steps {
    caller: CALLER_CUSTOMER_SERVICE
    complete_step {
      command_id: "s5"
      application_id: "A-2026-001"
      design_review { approved: true reviewer: "design office" }
    }
  }
  steps {
    caller: CALLER_CUSTOMER_SERVICE
    complete_step {
      command_id: "s6"
      application_id: "A-2026-001"
      construction { contractor: "county works" }
    }
  }
  steps {
    caller: CALLER_CUSTOMER_SERVICE
    complete_step {
      command_id: "s7"
      application_id: "A-2026-001"
      completion_inspection { passed: true }
    }
  }
  steps {
    caller: CALLER_CUSTOMER_SERVICE
    complete_step {
      command_id: "s8"
      application_id: "A-2026-001"
      meter_installed { meter_bar_code: "AM-0001" }
    }
  }
  steps {
    caller: CALLER_CUSTOMER_SERVICE
    complete_step {
      command_id: "s9"
      application_id: "A-2026-001"
      energised {}
    }
  }
  steps {
    caller: CALLER_CUSTOMER_SERVICE
    complete_step {
      command_id: "s10"
      application_id: "A-2026-001"
      closed {}
    }
  }
  steps {
    caller: CALLER_AUDITOR
    get_application { application_id: "A-2026-001" }
  }
)pb";

constexpr char kCustomerTicket[] = R"pb(
  steps {
    caller: CALLER_CUSTOMER_SERVICE
    open_ticket {
      command_id: "t1"
      ticket {
        ticket_id: "T-95598-1"
        category: TICKET_CATEGORY_FAULT_REPAIR
        area: SERVICE_AREA_URBAN
        account_id: "6101000123"
        description: "no power since 9:00"
        org_unit: "sn/xa/huyi"
      }
    }
  }
  steps {
    caller: CALLER_CUSTOMER_SERVICE
    advance_ticket {
      command_id: "t2"
      ticket_id: "T-95598-1"
      dispatched { crew: "crew-3" }
    }
  }
  steps {
    caller: CALLER_CUSTOMER_SERVICE
    advance_ticket {
      command_id: "t3"
      ticket_id: "T-95598-1"
      on_site {}
    }
  }
  steps {
    caller: CALLER_CUSTOMER_SERVICE
    advance_ticket {
      command_id: "t4"
      ticket_id: "T-95598-1"
      resolved { resolution: "fuse replaced" }
    }
  }
  steps {
    caller: CALLER_CUSTOMER_SERVICE
    advance_ticket {
      command_id: "t5"
      ticket_id: "T-95598-1"
      closed { satisfaction: 5 }
    }
  }
  steps {
    caller: CALLER_CUSTOMER_SERVICE
    submit_application {
      command_id: "a1"
      application {
        application_id: "A-2"
        application_type: APPLICATION_TYPE_CAPACITY_INCREASE
        account_id: "6101000123"
        customer_name: "Li Si"
        category: CUSTOMER_CATEGORY_RESIDENTIAL
        voltage_class: VOLTAGE_CLASS_LV_220V
        supply_mode: SUPPLY_MODE_LOW_VOLTAGE
        requested_capacity_kva: 8
        org_unit: "sn/xa/huyi"
      }
    }
  }
  steps {
    caller: CALLER_CUSTOMER_SERVICE
    withdraw_application { command_id: "a2" application_id: "A-2" reason: "customer changed plans" }
  }
  steps {
    caller: CALLER_CUSTOMER_SERVICE
    reject_application { command_id: "a3" application_id: "A-2" reason: "already ended" }
  }
)pb";

constexpr char kMeteringLife[] = R"pb(
  steps {
    caller: CALLER_METERING_TECHNICIAN
    receive_meter {
      command_id: "m1"
      meter {
        bar_code: "3300001234567"
        asset_kind: ASSET_KIND_METER
        meter_type: METER_TYPE_SINGLE_PHASE
        accuracy_class { class_tenths: 20 }
        manufacturer: "Weisheng"
        batch: "2026-B11"
        store_tier: STORE_TIER_PROVINCE
        store_id: "sn-central"
      }
    }
  }
  steps {
    caller: CALLER_METERING_TECHNICIAN
    record_calibration {
      command_id: "m2"
      calibration {
        bar_code: "3300001234567"
        passed: true
        certificate_no: "JD-3300001234567"
        verifier: "verifier-1"
        verified_on { year: 2026 month: 11 day: 3 }
        first_verification: true
        load_points { load_permille_of_ib: 1000 power_factor_hundredths: 100 error_ppm: 3000 }
        load_points { load_permille_of_ib: 50 power_factor_hundredths: 100 error_ppm: -12000 }
      }
    }
  }
  steps {
    caller: CALLER_METERING_TECHNICIAN
    move_meter {
      command_id: "m3"
      bar_code: "3300001234567"
      to_tier: STORE_TIER_COUNTY
      to_store_id: "huyi-store"
      voucher_no: "V-1"
    }
  }
  steps {
    caller: CALLER_METERING_TECHNICIAN
    dispatch_meter {
      command_id: "m4"
      dispatch { bar_code: "3300001234567" work_order: "WO-1" to_org_unit: "sn/xa/huyi" }
    }
  }
  steps {
    caller: CALLER_METERING_TECHNICIAN
    install_meter {
      command_id: "m5"
      installation {
        bar_code: "3300001234567"
        account_id: "6101000123"
        initial_registers { total_wh: 0 }
        metering_class: 3
        installer: "crew-3"
      }
    }
  }
  steps {
    caller: CALLER_METERING_TECHNICIAN
    remove_meter {
      command_id: "m6"
      removal {
        bar_code: "3300001234567"
        account_id: "6101000123"
        final_registers { total_wh: 5180000000 }
        reason: REMOVAL_REASON_FAULT
      }
    }
  }
  steps {
    caller: CALLER_METERING_TECHNICIAN
    request_reverification { command_id: "m7" bar_code: "3300001234567" reason: "customer dispute" }
  }
  steps {
    caller: CALLER_METERING_TECHNICIAN
    scrap_meter { command_id: "m8" bar_code: "3300001234567" reason: "display broken" }
  }
  steps {
    caller: CALLER_AUDITOR
    get_meter { bar_code: "3300001234567" }
  }
)pb";

constexpr char kMeteringRefusals[] = R"pb(
  steps {
    caller: CALLER_METERING_TECHNICIAN
    receive_meter {
      command_id: "f1"
      meter {
        bar_code: "CT-1"
        asset_kind: ASSET_KIND_CURRENT_TRANSFORMER
        accuracy_class { class_tenths: 5 s_class: true }
        manufacturer: "Linyang"
        store_tier: STORE_TIER_CITY
        store_id: "xa-store"
      }
    }
  }
  steps {
    caller: CALLER_METERING_TECHNICIAN
    record_calibration {
      command_id: "f2"
      calibration {
        bar_code: "CT-1"
        passed: false
        verifier: "verifier-2"
        verified_on { year: 2026 month: 2 day: 30 }
        load_points { load_permille_of_ib: 10 error_ppm: -2147483648 limit_ppm: 900000 }
      }
    }
  }
  steps {
    caller: CALLER_METERING_TECHNICIAN
    dispatch_meter {
      command_id: "f3"
      dispatch { bar_code: "CT-1" work_order: "WO-2" }
    }
  }
  steps {
    caller: CALLER_COLLECTOR
    scrap_meter { command_id: "f4" bar_code: "CT-1" reason: "x" }
  }
  steps {
    caller: CALLER_METERING_TECHNICIAN
    scrap_meter { command_id: "f5" bar_code: "CT-1" reason: "failed" }
  }
)pb";

constexpr char kMarketingBay[] = R"pb(
  steps {
    caller: CALLER_CUSTOMER_SERVICE
    submit_application {
      command_id: "s1"
      application {
        application_id: "A-9"
        application_type: APPLICATION_TYPE_NEW_CONNECTION
        customer_name: "Huyi Foundry"
        category: CUSTOMER_CATEGORY_LARGE_INDUSTRIAL
        voltage_class: VOLTAGE_CLASS_10KV
        supply_mode: SUPPLY_MODE_HIGH_VOLTAGE_DUAL
        requested_capacity_kva: 4000
        org_unit: "sn/xa/huyi"
      }
    }
  }
  steps {
    caller: CALLER_CUSTOMER_SERVICE
    accept_application { command_id: "s2" application_id: "A-9" }
  }
  steps {
    caller: CALLER_CUSTOMER_SERVICE
    complete_step {
      command_id: "s3"
      application_id: "A-9"
      site_survey { surveyor: "s" }
    }
  }
  steps {
    caller: CALLER_CUSTOMER_SERVICE
    complete_step {
      command_id: "s4"
      application_id: "A-9"
      supply_plan { needs_bay_approval: true substation: "Huyi 110 kV" bay: "bay-2" }
    }
  }
  steps {
    caller: CALLER_MARKETING_MANAGER
    decide_bay_approval {
      command_id: "m1"
      application_id: "A-9"
      grant: false
      reason: "bay reserved"
    }
  }
  steps {
    caller: CALLER_MARKETING_MANAGER
    decide_bay_approval { command_id: "m2" application_id: "A-9" grant: true }
  }
  steps {
    caller: CALLER_MARKETING_MANAGER
    decide_bay_approval { command_id: "m3" application_id: "A-9" grant: true }
  }
)pb";

constexpr char kMarketingTargets[] = R"pb(
  steps {
    caller: CALLER_MARKETING_MANAGER
    set_kpi_target {
      command_id: "k1"
      target {
        org_unit: "sn/xa/huyi"
        period { year: 2026 month: 11 }
        kpi: KPI_READ_COMPLETION_RATE
        target_value: 9800
        target_unit: "bp"
      }
    }
  }
  steps {
    caller: CALLER_MARKETING_MANAGER
    set_kpi_target {
      command_id: "k2"
      target {
        org_unit: "sn/xa/huyi"
        period { year: 2026 month: 11 }
        kpi: KPI_FEE_RECOVERY_RATE
        target_value: 10001
        target_unit: "bp"
      }
    }
  }
  steps {
    caller: CALLER_MARKETING_MANAGER
    raise_alert {
      command_id: "r1"
      alert {
        alert_id: "AL-1"
        kind: ALERT_KIND_TICKET_ON_SITE_LATE
        subject_stream_id: "ticket-T-95598-1"
        org_unit: "sn/xa/huyi"
        detail: "crew arrived after 52 minutes"
      }
    }
  }
  steps {
    caller: CALLER_MARKETING_MANAGER
    resolve_alert { command_id: "r2" alert_id: "AL-1" resolution: "crew re-briefed" }
  }
  steps {
    caller: CALLER_MARKETING_MANAGER
    resolve_alert { command_id: "r3" alert_id: "AL-1" resolution: "again" }
  }
  steps {
    caller: CALLER_AUDITOR
    resolve_alert { command_id: "r4" alert_id: "AL-1" resolution: "x" }
  }
)pb";

void WriteScripts(const fs::path& corpus) {
  Write(corpus, "billing_service", "month", ScriptBytes<fuzz::BillingScript>(kBillingMonth));
  Write(corpus, "billing_service", "inspection",
        ScriptBytes<fuzz::BillingScript>(kBillingInspection));
  Write(corpus, "billing_service", "refusals", ScriptBytes<fuzz::BillingScript>(kBillingRefusals));
  Write(corpus, "customer_service", "application",
        ScriptBytes<fuzz::CustomerScript>(kCustomerApplication));
  Write(corpus, "customer_service", "ticket", ScriptBytes<fuzz::CustomerScript>(kCustomerTicket));
  Write(corpus, "metering_service", "life", ScriptBytes<fuzz::MeteringScript>(kMeteringLife));
  Write(corpus, "metering_service", "refusals",
        ScriptBytes<fuzz::MeteringScript>(kMeteringRefusals));
  Write(corpus, "marketing_service", "bay", ScriptBytes<fuzz::MarketingScript>(kMarketingBay));
  Write(corpus, "marketing_service", "targets",
        ScriptBytes<fuzz::MarketingScript>(kMarketingTargets));
}

}  // namespace
}  // namespace gridledger::fuzzing

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR   (fuzz/corpus)\n", argv[0]);
    return 2;
  }
  const std::filesystem::path corpus = argv[1];
  gridledger::fuzzing::WriteRecords(corpus);
  gridledger::fuzzing::WriteTokenFiles(corpus);
  gridledger::fuzzing::WriteStoreUris(corpus);
  gridledger::fuzzing::WriteScripts(corpus);
  std::printf("seed corpus written to %s\n", corpus.c_str());
  return 0;
}
