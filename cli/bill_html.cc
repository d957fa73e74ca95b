#include "cli/bill_html.h"

#include <cstdlib>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "domain/common/calendar.h"

namespace gridledger::cli {
namespace {

std::string DateText(const v1::Date& date) {
  if (date.year() == 0) return "";
  return absl::StrFormat("%04d-%02d-%02d", date.year(), date.month(), date.day());
}

std::string PeriodText(const v1::Period& period) {
  return absl::StrFormat("%04d-%02d", period.year(), period.month());
}

std::string TimeText(const google::protobuf::Timestamp& time) {
  if (time.seconds() == 0 && time.nanos() == 0) return "";
  return absl::FormatTime("%Y-%m-%d %H:%M", domain::FromTimestamp(time), domain::UtilityZone());
}

// A quantity with `scale` implied decimals (3: Wh shown as kWh).
std::string QuantityText(int64_t quantity, int32_t scale) {
  if (scale <= 0) return absl::StrCat(quantity);
  int64_t divisor = 1;
  for (int i = 0; i < scale; ++i) divisor *= 10;
  const int64_t whole = std::llabs(quantity) / divisor;
  const int64_t part = std::llabs(quantity) % divisor;
  return absl::StrCat(quantity < 0 ? "-" : "", whole, ".",
                      absl::StrFormat("%0*d", scale, static_cast<int>(part)));
}

std::string Row(const std::vector<std::string>& cells, const char* tag = "td") {
  std::string row = "<tr>";
  for (const std::string& cell : cells) absl::StrAppend(&row, "<", tag, ">", cell, "</", tag, ">");
  return row + "</tr>\n";
}

std::string PositionText(const v1::EventEnvelope& event) {
  return absl::StrCat(event.position().partition(), "@", event.position().offset());
}

std::string LaterText(const v1::EventEnvelope& event) {
  const v1::DomainEvent& p = event.payload();
  if (p.has_payment_posted()) {
    return absl::StrCat("payment ", p.payment_posted().payment_id(), ": ",
                        YuanText(p.payment_posted().amount_fen()), " CNY paid ",
                        DateText(p.payment_posted().paid_on()));
  }
  if (p.has_bill_checked()) return "checked by " + p.bill_checked().checker();
  if (p.has_bill_reversed()) return "reversed: " + p.bill_reversed().reason();
  if (p.has_penalty_accrued()) {
    return absl::StrCat("penalty ", YuanText(p.penalty_accrued().amount_fen()), " CNY");
  }
  if (p.has_payment_reversed()) return "payment reversed: " + p.payment_reversed().payment_id();
  return event.type();
}

}  // namespace

std::string YuanText(int64_t fen) {
  const int64_t magnitude = std::llabs(fen);
  std::string whole = absl::StrCat(magnitude / 100);
  for (int at = static_cast<int>(whole.size()) - 3; at > 0; at -= 3) whole.insert(at, ",");
  return absl::StrCat(fen < 0 ? "-" : "", whole, ".", absl::StrFormat("%02d", magnitude % 100));
}

std::string HtmlEscape(const std::string& text) {
  std::string escaped;
  for (char c : text) {
    switch (c) {
      case '&':
        escaped += "&amp;";
        break;
      case '<':
        escaped += "&lt;";
        break;
      case '>':
        escaped += "&gt;";
        break;
      case '"':
        escaped += "&quot;";
        break;
      case '\'':
        escaped += "&#39;";
        break;
      default:
        escaped.push_back(c);
    }
  }
  return escaped;
}

std::string BillSectionHtml(const v1::BillExplanation& explanation,
                            const v1::AccountOpened& account) {
  const v1::EventEnvelope& event = explanation.bill();
  const bool back_billing = event.payload().has_back_billing_issued();
  const v1::BillIssued& bill = event.payload().bill_issued();
  const std::string bill_id =
      back_billing ? event.payload().back_billing_issued().bill_id() : bill.bill_id();
  std::string html =
      absl::StrCat("<section class=\"bill\" id=\"bill-", HtmlEscape(bill_id), "\">\n");
  absl::StrAppend(&html, "<h2>Electricity bill ", HtmlEscape(bill_id),
                  "</h2>\n<table class=\"head\">\n");
  absl::StrAppend(&html, Row({"Account", HtmlEscape(account.account_id())}),
                  Row({"Customer", HtmlEscape(account.customer_name())}),
                  Row({"Premises", HtmlEscape(account.premise_address())}),
                  Row({"Org unit", HtmlEscape(event.org_unit())}));
  if (back_billing) {
    const v1::BackBillingIssued& back = event.payload().back_billing_issued();
    absl::StrAppend(
        &html,
        Row({"Back-billing",
             absl::StrCat(PeriodText(back.from_period()), " to ", PeriodText(back.to_period()))}),
        Row({"Total",
             absl::StrCat("<b>", YuanText(back.amount_fen() + back.penalty_fen()), " CNY</b>")}));
  } else {
    absl::StrAppend(
        &html, Row({"Period", PeriodText(bill.period())}),
        Row({"Due date", DateText(bill.due_date())}),
        Row({"Tariff", HtmlEscape(absl::StrCat(bill.tariff_id(), " v", bill.tariff_version()))}),
        Row({"Energy", absl::StrCat(QuantityText(bill.energy_wh(), 3), " kWh")}),
        Row({"Total", absl::StrCat("<b>", YuanText(bill.total_fen()), " CNY</b>")}));
  }
  absl::StrAppend(&html, Row({"Issued", TimeText(event.occurred_at())}), "</table>\n");

  if (!explanation.reads().empty()) {
    absl::StrAppend(&html, "<h3>Meter reads</h3>\n<table>\n",
                    Row({"Read", "Meter", "Period", "Read at", "Total register (kWh)"}, "th"));
    for (const v1::EventEnvelope& read_event : explanation.reads()) {
      const v1::MeterReadRecorded& read = read_event.payload().meter_read_recorded();
      absl::StrAppend(&html, Row({HtmlEscape(read.read_id()), HtmlEscape(read.meter_bar_code()),
                                  PeriodText(read.period()), TimeText(read.read_at()),
                                  QuantityText(read.registers().total_wh(), 3)}));
    }
    absl::StrAppend(&html, "</table>\n");
  }
  absl::StrAppend(&html, "<h3>Charges</h3>\n<table>\n",
                  Row({"Item", "Quantity", "Unit price (CNY)", "Amount (CNY)", "Rule"}, "th"));
  if (back_billing) {
    const v1::BackBillingIssued& back = event.payload().back_billing_issued();
    absl::StrAppend(
        &html,
        Row({HtmlEscape(absl::StrCat("unbilled energy found by inspection ", back.inspection_id())),
             absl::StrCat(QuantityText(back.energy_wh(), 3), " kWh"), "",
             YuanText(back.amount_fen()), "T-BACK-BILLING"}));
    if (back.penalty_fen() != 0) {
      absl::StrAppend(&html,
                      Row({"penalty", "", "", YuanText(back.penalty_fen()), "T-BACK-BILLING"}));
    }
  }
  for (const v1::ExplainedLine& explained : explanation.lines()) {
    const v1::BillLine& line = explained.line();
    absl::StrAppend(&html,
                    Row({HtmlEscape(line.description()),
                         absl::StrCat(QuantityText(line.quantity(), line.quantity_scale()), " ",
                                      HtmlEscape(line.quantity_unit())),
                         QuantityText(line.unit_price_micro_cny(), 6), YuanText(line.amount_fen()),
                         absl::StrCat("<abbr title=\"", HtmlEscape(explained.rule_title()), "\">",
                                      HtmlEscape(explained.rule()), "</abbr>")}));
  }
  absl::StrAppend(&html, "</table>\n");
  if (!explanation.penalties().empty()) {
    absl::StrAppend(&html, "<h3>Late-payment penalties</h3>\n<table>\n",
                    Row({"Accrued", "On unpaid (CNY)", "Amount (CNY)", "Rule"}, "th"));
    for (const v1::ExplainedPenalty& penalty : explanation.penalties()) {
      absl::StrAppend(&html,
                      Row({TimeText(penalty.event().occurred_at()), YuanText(penalty.unpaid_fen()),
                           YuanText(penalty.amount_fen()), HtmlEscape(penalty.rule())}));
    }
    absl::StrAppend(&html, "</table>\n");
  }
  if (!explanation.later().empty()) {
    absl::StrAppend(&html, "<h3>Since issued</h3>\n<ul>\n");
    for (const v1::EventEnvelope& later : explanation.later()) {
      absl::StrAppend(&html, "<li>", TimeText(later.occurred_at()), " ",
                      HtmlEscape(LaterText(later)), "</li>\n");
    }
    absl::StrAppend(&html, "</ul>\n");
  }
  absl::StrAppend(&html, "<p class=\"proof\">Recorded at ", HtmlEscape(PositionText(event)),
                  ", event ", HtmlEscape(event.event_id()), ", SHA-256 ",
                  absl::BytesToHexString(event.hash()),
                  " (gridledger verify checks it).</p>\n</section>\n");
  return html;
}

std::string BillPageHtml(const v1::BillExplanation& explanation, const v1::AccountOpened& account) {
  return absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Bill ",
      HtmlEscape(explanation.bill().payload().has_back_billing_issued()
                     ? explanation.bill().payload().back_billing_issued().bill_id()
                     : explanation.bill().payload().bill_issued().bill_id()),
      "</title>\n",
      "<style>body{font-family:sans-serif;max-width:48em;margin:2em auto}"
      "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #999;padding:.2em .5em;"
      "text-align:left}.proof{font-size:.8em;color:#555;word-break:break-all}"
      "@media print{body{margin:0}}</style></head><body>\n",
      BillSectionHtml(explanation, account), "</body></html>\n");
}

}  // namespace gridledger::cli
