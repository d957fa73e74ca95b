#include "cli/audit_report_command.h"

#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cli/bill_html.h"
#include "cli/command_line.h"
#include "cli/event_json.h"
#include "common/status_macros.h"
#include "domain/billing_center/bill_provenance.h"
#include "domain/common/calendar.h"
#include "domain/common/streams.h"
#include "eventstore/acknowledged_damage.h"
#include "eventstore/chain_verifier.h"
#include "eventstore/event_store_factory.h"
#include "projections/views/view_keys.h"
#include "server/audit_files.h"

namespace gridledger::cli {
namespace {

struct AuditFlags {
  std::string store, as_of, time = "recorded", out, checkpoint, public_key;
  int64_t sample = 10;
};

// One line of the chain section: what was checked and what it found.
struct Finding {
  std::string check;
  std::string result;
  bool broken = false;
};

// Money per unit, straight from the events. Payments are what was received
// (credit included), so net_owed nets credit against what is owed, as an
// account's balance does; the ledger view's "collected" counts allocations.
struct UnitTotals {
  int64_t billed_fen = 0, back_billed_fen = 0, reversed_fen = 0, penalty_fen = 0, payments_fen = 0,
          payments_reversed_fen = 0;
  int64_t net_owed_fen() const {
    return billed_fen + back_billed_fen - reversed_fen + penalty_fen - payments_fen +
           payments_reversed_fen;
  }
};

struct BillRef {
  std::string account_id, bill_id;
};

struct Audit {
  std::vector<Finding> chain;
  std::map<std::string, std::map<std::string, int64_t>> events;  // unit → type → count
  std::map<std::string, UnitTotals> totals;                      // unit (and ancestors) → sums
  std::vector<BillRef> bills;                                    // every bill as of the time
  int64_t counted = 0, skipped_later = 0;
};

// The chain walk, the checkpoint, acknowledged damage and the indexes.
void CheckChains(eventstore::EventStore& store, const AuditFlags& flags,
                 std::vector<Finding>* chain) {
  eventstore::ChainWalker walker;
  std::string public_pem;
  bool against_checkpoint = false;
  if (!flags.checkpoint.empty()) {
    absl::StatusOr<std::string> pem = server::ReadWholeFile("public_key", flags.public_key);
    absl::StatusOr<v1::ChainCheckpoint> checkpoint =
        pem.ok() ? server::ReadVerifiedCheckpoint(flags.checkpoint, *pem)
                 : absl::StatusOr<v1::ChainCheckpoint>(pem.status());
    if (checkpoint.ok()) {
      public_pem = *pem;
      walker.Expect(*checkpoint);
      against_checkpoint = true;
      chain->push_back({"signed checkpoint",
                        absl::StrCat(flags.checkpoint, ": signature verifies (",
                                     checkpoint->heads_size(), " heads)"),
                        false});
    } else {
      chain->push_back({"signed checkpoint",
                        absl::StrCat(flags.checkpoint, ": ", checkpoint.status().message()), true});
    }
  } else {
    chain->push_back({"signed checkpoint", "none given (--checkpoint, --public_key)", false});
  }
  absl::Status walked = walker.Advance(store);
  if (walked.ok()) walked = walker.ExpectedHeadsReached();
  if (!walked.ok()) {
    chain->push_back({"hash chains", std::string(walked.message()), true});
  } else {
    chain->push_back(
        {"hash chains",
         absl::StrCat("intact: ", walker.events(), " events in ", walker.streams(), " streams",
                      against_checkpoint ? "; extends the checkpoint" : ""),
         false});
    const v1::ChainCheckpoint heads = walker.Heads();  // by value: outlives the loop
    for (const v1::PartitionHead& head : heads.heads()) {
      chain->push_back({absl::StrCat("head ", head.partition()),
                        absl::StrCat("offset ", head.last_offset(), ", partition hash ",
                                     absl::BytesToHexString(head.partition_hash())),
                        false});
    }
  }
  for (const eventstore::Acknowledgement& ack : store.DamageAcknowledgements()) {
    for (const v1::DamagedRecord& record : ack.statement.records()) {
      chain->push_back({"acknowledged damage",
                        absl::StrCat(record.partition(), "@", record.offset(), " skipped: \"",
                                     ack.statement.reason(), "\" by ",
                                     ack.statement.operator_name(), ", key ", ack.signer),
                        false});
    }
  }
  absl::StatusOr<std::vector<eventstore::IndexDiscrepancy>> indexes = store.CheckIndexes(100);
  if (absl::IsUnimplemented(indexes.status())) {
    chain->push_back({"indexes",
                      "not checked: kept in memory, rebuilt and verified from the log at every "
                      "open (a cluster instance's --state_dir is not checked)",
                      false});
  } else if (!indexes.ok()) {
    chain->push_back({"indexes", std::string(indexes.status().message()), true});
  } else if (indexes->empty()) {
    chain->push_back(
        {"indexes", "the command index, stream index and heads agree with the log", false});
  } else {
    for (const eventstore::IndexDiscrepancy& d : *indexes) {
      chain->push_back(
          {absl::StrCat("index ", d.index), absl::StrCat(d.key, ": ", d.problem), true});
    }
  }
}

void Count(const v1::EventEnvelope& event, Audit* audit) {
  const std::string& unit = event.org_unit().empty() ? event.actor().org_unit() : event.org_unit();
  ++audit->events[unit.empty() ? "(none)" : unit][event.type()];
  const v1::DomainEvent& p = event.payload();
  UnitTotals delta;
  switch (p.event_case()) {
    case v1::DomainEvent::kBillIssued:
      delta.billed_fen = p.bill_issued().total_fen();
      audit->bills.push_back({p.bill_issued().account_id(), p.bill_issued().bill_id()});
      break;
    case v1::DomainEvent::kBackBillingIssued:
      delta.back_billed_fen =
          p.back_billing_issued().amount_fen() + p.back_billing_issued().penalty_fen();
      break;
    case v1::DomainEvent::kBillReversed:
      delta.reversed_fen = p.bill_reversed().reversed_amount_fen();
      break;
    case v1::DomainEvent::kPenaltyAccrued:
      delta.penalty_fen = p.penalty_accrued().amount_fen();
      break;
    case v1::DomainEvent::kPaymentPosted:
      delta.payments_fen = p.payment_posted().amount_fen();
      break;
    case v1::DomainEvent::kPaymentReversed:
      delta.payments_reversed_fen = p.payment_reversed().amount_fen();
      break;
    default:
      return;
  }
  std::vector<std::string> units = projections::UnitAndAncestors(unit);
  if (units.empty()) units.push_back("(none)");
  for (const std::string& u : units) {
    UnitTotals& t = audit->totals[u];
    t.billed_fen += delta.billed_fen;
    t.back_billed_fen += delta.back_billed_fen;
    t.reversed_fen += delta.reversed_fen;
    t.penalty_fen += delta.penalty_fen;
    t.payments_fen += delta.payments_fen;
    t.payments_reversed_fen += delta.payments_reversed_fen;
  }
}

absl::Status CountEvents(eventstore::EventStore& store, v1::TimeAxis axis,
                         const google::protobuf::Timestamp& as_of, Audit* audit) {
  GL_ASSIGN_OR_RETURN(const v1::Checkpoint end, store.EndCheckpoint());
  v1::Checkpoint next;
  while (!eventstore::ReachedAll(next, end)) {
    GL_ASSIGN_OR_RETURN(eventstore::ReadAllResult chunk, store.ReadAll(next, 4096));
    if (chunk.events.empty()) break;
    for (const v1::EventEnvelope& event : chunk.events) {
      if (!eventstore::CountsAsOf(event, axis, as_of)) {
        ++audit->skipped_later;
        continue;
      }
      ++audit->counted;
      Count(event, audit);
    }
    next = std::move(chunk.next);
  }
  return absl::OkStatus();
}

// A bill's provenance as of the time, and the account's terms then.
absl::StatusOr<std::pair<v1::BillExplanation, v1::AccountOpened>> ExplainAsOf(
    eventstore::EventStore& store, const BillRef& ref, v1::TimeAxis axis,
    const google::protobuf::Timestamp& as_of) {
  GL_ASSIGN_OR_RETURN(std::vector<v1::EventEnvelope> history,
                      store.ReadStream(domain::kAccount.StreamOf(ref.account_id)));
  std::vector<v1::EventEnvelope> then;
  v1::AccountOpened opened;
  for (v1::EventEnvelope& event : history) {
    if (!eventstore::CountsAsOf(event, axis, as_of)) continue;
    if (event.payload().has_account_opened()) opened = event.payload().account_opened();
    then.push_back(std::move(event));
  }
  GL_ASSIGN_OR_RETURN(billing::BillRef bill, billing::FindBillRef(then, ref.bill_id));
  std::vector<v1::EventEnvelope> tariff;
  if (!bill.tariff_id.empty()) {
    GL_ASSIGN_OR_RETURN(tariff, store.ReadStream(domain::kTariff.StreamOf(bill.tariff_id)));
  }
  GL_ASSIGN_OR_RETURN(v1::BillExplanation explained,
                      billing::ExplainBill(then, tariff, ref.bill_id));
  return std::make_pair(std::move(explained), std::move(opened));
}

std::string Csv(const std::vector<std::vector<std::string>>& rows) {
  std::string csv;
  for (const std::vector<std::string>& row : rows) {
    std::vector<std::string> cells;
    cells.reserve(row.size());
    for (const std::string& cell : row) cells.push_back(CsvCell(cell));
    absl::StrAppend(&csv, absl::StrJoin(cells, ","), "\n");
  }
  return csv;
}

std::string HtmlTable(const std::vector<std::vector<std::string>>& rows) {
  std::string html = "<table>\n";
  for (size_t r = 0; r < rows.size(); ++r) {
    html += "<tr>";
    for (const std::string& cell : rows[r]) {
      absl::StrAppend(&html, r == 0 ? "<th>" : "<td>", HtmlEscape(cell),
                      r == 0 ? "</th>" : "</td>");
    }
    html += "</tr>\n";
  }
  return html + "</table>\n";
}

using Rows = std::vector<std::vector<std::string>>;
constexpr char kMarker[] = ".gridledger-audit-report";

// Never into a directory holding something else (a store, say): an earlier
// report (its marker) is replaced, an empty or new one is used.
absl::Status PrepareOut(const std::string& out) {
  std::error_code listed;
  if (std::filesystem::is_directory(out, listed) && !std::filesystem::is_empty(out, listed) &&
      !std::filesystem::exists(std::filesystem::path(out) / kMarker, listed)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--out: ", out,
                     " holds files no earlier audit-report wrote; give an empty or new directory"));
  }
  std::error_code made;
  std::filesystem::create_directories(out, made);
  if (made) {
    return absl::InvalidArgumentError(
        absl::StrCat("--out: cannot create ", out, ": ", made.message()));
  }
  return absl::OkStatus();
}

Rows ChainRows(const Audit& audit, bool* broken) {
  Rows rows = {{"check", "result", "status"}};
  for (const Finding& f : audit.chain) {
    rows.push_back({f.check, f.result, f.broken ? "BROKEN" : "ok"});
    *broken = *broken || f.broken;
  }
  return rows;
}

Rows EventRows(const Audit& audit) {
  Rows rows = {{"org_unit", "type", "events"}};
  for (const auto& [unit, types] : audit.events) {
    for (const auto& [type, count] : types) rows.push_back({unit, type, absl::StrCat(count)});
  }
  return rows;
}

Rows TotalRows(const Audit& audit) {
  Rows rows = {{"org_unit", "billed_fen", "back_billed_fen", "reversed_fen", "penalty_fen",
                "payments_fen", "payments_reversed_fen", "net_owed_fen", "net_owed_cny"}};
  for (const auto& [unit, t] : audit.totals) {
    rows.push_back({unit, absl::StrCat(t.billed_fen), absl::StrCat(t.back_billed_fen),
                    absl::StrCat(t.reversed_fen), absl::StrCat(t.penalty_fen),
                    absl::StrCat(t.payments_fen), absl::StrCat(t.payments_reversed_fen),
                    absl::StrCat(t.net_owed_fen()), YuanText(t.net_owed_fen())});
  }
  return rows;
}

// `wanted` bills spread evenly over the log's order, as rows and as HTML
// sections with their provenance as of the time.
absl::Status SampleBills(eventstore::EventStore& store, const Audit& audit, int64_t wanted_count,
                         v1::TimeAxis axis, const google::protobuf::Timestamp& as_of, Rows* rows,
                         std::string* sections) {
  const size_t wanted = static_cast<size_t>(std::max<int64_t>(wanted_count, 0));
  *rows = {
      {"account_id", "bill_id", "period", "total_fen", "lines", "reads", "position", "sha256"}};
  for (size_t i = 0; i < wanted && i < audit.bills.size(); ++i) {
    const BillRef& ref = audit.bills[i * audit.bills.size() / std::min(wanted, audit.bills.size())];
    GL_ASSIGN_OR_RETURN(auto explained, ExplainAsOf(store, ref, axis, as_of));
    const v1::EventEnvelope& bill = explained.first.bill();
    const v1::BillIssued& issued = bill.payload().bill_issued();
    rows->push_back({ref.account_id, ref.bill_id,
                     absl::StrFormat("%04d-%02d", issued.period().year(), issued.period().month()),
                     absl::StrCat(issued.total_fen()), absl::StrCat(explained.first.lines_size()),
                     absl::StrCat(explained.first.reads_size()),
                     absl::StrCat(bill.position().partition(), "@", bill.position().offset()),
                     absl::BytesToHexString(bill.hash())});
    *sections += BillSectionHtml(explained.first, explained.second);
  }
  return absl::OkStatus();
}

int RunAuditReport(const AuditFlags& flags) {
  absl::Time as_of_time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, flags.as_of, &as_of_time, &error)) {
    return Report("audit-report",
                  absl::InvalidArgumentError(absl::StrCat(
                      "--as-of: not an RFC 3339 time (like 2026-11-30T23:59:59+08:00): ", error)));
  }
  const google::protobuf::Timestamp as_of = domain::ToTimestamp(as_of_time);
  const v1::TimeAxis axis =
      flags.time == "business" ? v1::TIME_AXIS_BUSINESS : v1::TIME_AXIS_RECORDED;
  if (absl::Status out = PrepareOut(flags.out); !out.ok()) return Report("audit-report", out);
  eventstore::StoreOptions options = eventstore::ReadOnlyStoreOptions();
  options.accept_any_acknowledgement = true;  // reported in the chain section
  absl::StatusOr<std::unique_ptr<eventstore::EventStore>> store =
      eventstore::OpenEventStore(flags.store, options);
  if (!store.ok()) return Report("audit-report", store.status(), kExitFailed);

  Audit audit;
  CheckChains(**store, flags, &audit.chain);
  if (absl::Status counted = CountEvents(**store, axis, as_of, &audit); !counted.ok()) {
    return Report("audit-report", counted, kExitFailed);
  }
  bool broken = false;
  const Rows chain_rows = ChainRows(audit, &broken);
  const Rows event_rows = EventRows(audit);
  const Rows total_rows = TotalRows(audit);
  Rows bill_rows;
  std::string bill_sections;
  if (absl::Status sampled =
          SampleBills(**store, audit, flags.sample, axis, as_of, &bill_rows, &bill_sections);
      !sampled.ok()) {
    return Report("audit-report", sampled, kExitFailed);
  }
  const size_t sampled_bills = bill_rows.size() - 1;

  const std::string when = absl::StrCat(flags.as_of, " (", flags.time, " time)");
  const std::string html = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>GridLedger audit "
      "report as of ",
      HtmlEscape(when),
      "</title>\n<style>body{font-family:sans-serif;margin:2em}table{border-collapse:"
      "collapse;margin:.5em 0}td,th{border:1px solid #999;padding:.2em .5em;text-align:left}"
      ".broken{color:#b00;font-weight:bold}.bill{border-top:2px solid #333;margin-top:2em}"
      "</style></head><body>\n<h1>GridLedger audit report</h1>\n<p>Store <code>",
      HtmlEscape(flags.store), "</code>, as of ", HtmlEscape(when), ", made ",
      absl::FormatTime(absl::RFC3339_sec, absl::Now(), absl::UTCTimeZone()), " by gridledger ",
      GL_VERSION, ". ", audit.counted, " events counted, ", audit.skipped_later,
      " later ones left out.</p>\n<h2>Chain</h2>\n<p class=\"", broken ? "broken" : "ok", "\">",
      broken ? "BROKEN: see below" : "Intact", "</p>\n", HtmlTable(chain_rows),
      "<h2>Ledger totals per org unit</h2>\n<p>Summed straight from the events, each unit with "
      "every unit under it. billed: metered bills; back_billed: back-billing with its penalty; "
      "penalty: late-payment penalties accrued; payments: money received, credit included; "
      "net_owed = billed + back_billed − reversed + penalty − payments + payments reversed, so "
      "credit is netted against what is owed (the ledger view's collected counts only what was "
      "allocated to bills). CNY = fen / 100.</p>\n",
      HtmlTable(total_rows), "<h2>Events per org unit and type</h2>\n", HtmlTable(event_rows),
      "<h2>Sample of bills with their provenance</h2>\n", HtmlTable(bill_rows), bill_sections,
      "</body></html>\n");
  const std::vector<std::pair<std::string, std::string>> files = {
      {kMarker, "written by gridledger audit-report\n"},
      {"report.html", html},
      {"chain.csv", Csv(chain_rows)},
      {"events_by_unit_type.csv", Csv(event_rows)},
      {"ledger_totals_by_unit.csv", Csv(total_rows)},
      {"bills_sample.csv", Csv(bill_rows)}};
  for (const auto& [name, contents] : files) {
    if (absl::Status written = server::WriteWholeFile(absl::StrCat(flags.out, "/", name), contents);
        !written.ok()) {
      return Report("audit-report", written, kExitFailed);
    }
  }
  std::printf("%s: %s/report.html (%lld events, %zu units, %zu bills sampled)\n",
              broken ? "BROKEN" : "intact", flags.out.c_str(),
              static_cast<long long>(audit.counted), audit.totals.size(), sampled_bills);
  return broken ? kExitFailed : kExitOk;
}

struct BillFlags {
  std::string store, account, bill, out;
};

int RunBill(const BillFlags& flags) {
  absl::StatusOr<std::unique_ptr<eventstore::EventStore>> store =
      eventstore::OpenEventStore(flags.store, eventstore::ReadOnlyStoreOptions());
  if (!store.ok()) return Report("bill", store.status(), kExitFailed);
  google::protobuf::Timestamp everything;  // as the log stands: every event recorded
  everything.set_seconds(253402300799);    // 9999-12-31T23:59:59Z
  absl::StatusOr<std::pair<v1::BillExplanation, v1::AccountOpened>> explained =
      ExplainAsOf(**store, {flags.account, flags.bill}, v1::TIME_AXIS_RECORDED, everything);
  if (!explained.ok()) return Report("bill", explained.status(), kExitFailed);
  const std::string page = BillPageHtml(explained->first, explained->second);
  if (flags.out.empty()) {
    std::fwrite(page.data(), 1, page.size(), stdout);
    return kExitOk;
  }
  if (absl::Status written = server::WriteWholeFile(flags.out, page); !written.ok()) {
    return Report("bill", written, kExitFailed);
  }
  std::printf("%s\n", flags.out.c_str());
  return kExitOk;
}

}  // namespace

void AddAuditReportCommand(CLI::App& app, int* exit_code) {
  auto bill = std::make_shared<BillFlags>();
  CLI::App* printable = app.add_subcommand(
      "bill", "a bill as a printable HTML page, with its reads, lines, rules and what followed");
  printable->add_option("--store", bill->store, "the event store (opened read-only)")->required();
  printable->add_option("--account", bill->account, "the account id")->required();
  printable->add_option("--bill", bill->bill, "the bill id")->required();
  printable->add_option("--out", bill->out, "write the page here (default: standard output)");
  printable->callback([bill, exit_code] { *exit_code = RunBill(*bill); });

  auto flags = std::make_shared<AuditFlags>();
  CLI::App* command = app.add_subcommand(
      "audit-report",
      "an HTML report and CSV tables an auditor can hand over: chain status, checkpoint, events "
      "and ledger totals per unit as of a time, a sample of bills with their provenance");
  command->add_option("--store", flags->store, "the event store (opened read-only)")->required();
  command->add_option("--as-of", flags->as_of, "the time, RFC 3339 (2026-11-30T23:59:59+08:00)")
      ->required();
  command
      ->add_option("--time", flags->time,
                   "recorded (what the system knew) or business (what had happened)")
      ->check(CLI::IsMember({"recorded", "business"}))
      ->capture_default_str();
  command->add_option("--out", flags->out, "the directory to write the report into")->required();
  CLI::Option* checkpoint = command->add_option("--checkpoint", flags->checkpoint,
                                                "a signed checkpoint the log must extend");
  CLI::Option* public_key =
      command->add_option("--public_key", flags->public_key, "the key (PEM) it is signed by");
  checkpoint->needs(public_key);
  command->add_option("--sample", flags->sample, "bills to include with their provenance")
      ->check(CLI::Range(int64_t{0}, int64_t{1000}))
      ->capture_default_str();
  command->callback([flags, exit_code] { *exit_code = RunAuditReport(*flags); });
}

}  // namespace gridledger::cli
