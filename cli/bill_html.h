// A bill as a printable HTML page, from its provenance
// (billing::ExplainBill): the customer and account, the period and due
// date, the meter reads priced, every line with its quantity, price, amount
// and the rule it applies (docs/TARIFF.md), the total, late-payment
// penalties, what followed (checks, payments, reversals), and where the bill
// sits in the log (position and hash) so a reader can verify it. Amounts are
// formatted from integer fen; nothing is computed here that the bill does
// not state.
#ifndef GRIDLEDGER_CLI_BILL_HTML_H_
#define GRIDLEDGER_CLI_BILL_HTML_H_

#include <string>

#include "gridledger/v1/billing_events.pb.h"
#include "gridledger/v1/event_gateway.pb.h"

namespace gridledger::cli {

// "1,234.05" from 123405 fen ("-0.07" from -7).
std::string YuanText(int64_t fen);

// HTML escaped for text and attribute values.
std::string HtmlEscape(const std::string& text);

// The bill's section (a <section> element), for embedding in a report.
std::string BillSectionHtml(const v1::BillExplanation& explanation,
                            const v1::AccountOpened& account);

// A whole page: the section with a print stylesheet.
std::string BillPageHtml(const v1::BillExplanation& explanation, const v1::AccountOpened& account);

}  // namespace gridledger::cli

#endif  // GRIDLEDGER_CLI_BILL_HTML_H_
