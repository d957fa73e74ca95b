// Every rule id the code uses is defined in docs/TARIFF.md (a row of a table
// whose first cell is the id in backticks, with its source), and every rule
// the document defines is one the code knows.
#include "domain/billing_center/tariff/rules.h"

#include <fstream>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gridledger::billing::rules {
namespace {

// "T-ENERGY": capitals, digits and at least one '-'.
bool IsRuleId(const std::string& id) {
  if (id.empty() || !absl::ascii_isupper(static_cast<unsigned char>(id[0])) ||
      id.find('-') == std::string::npos || id.back() == '-') {
    return false;
  }
  for (char c : id) {
    if (!absl::ascii_isupper(static_cast<unsigned char>(c)) &&
        !absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != '-') {
      return false;
    }
  }
  return true;
}

// The ids in the first cell of the document's table rows: "| `ID` | … |".
std::set<std::string> DefinedInTheDocument() {
  std::ifstream in(GL_TARIFF_DOC);
  EXPECT_TRUE(in.good()) << GL_TARIFF_DOC;
  std::set<std::string> ids;
  for (std::string line; std::getline(in, line);) {
    if (!absl::StartsWith(line, "| `") || !absl::EndsWith(line, "|")) continue;
    const size_t end = line.find("` |", 3);
    if (end == std::string::npos) continue;
    const std::string id = line.substr(3, end - 3);
    if (IsRuleId(id)) ids.insert(id);
  }
  return ids;
}

TEST(RulesTest, TheDocumentDefinesEveryRuleAndNoOther) {
  const std::set<std::string> documented = DefinedInTheDocument();
  std::set<std::string> coded;
  for (const Rule& rule : AllRules()) {
    EXPECT_TRUE(coded.insert(rule.id).second) << rule.id << " twice";
    EXPECT_FALSE(std::string(rule.title).empty()) << rule.id;
  }
  EXPECT_EQ(coded, documented);
}

TEST(RulesTest, VersionOneLinesMapToRuleIds) {
  EXPECT_EQ(RuleIdOf("DOMAIN tariff rule 1", v1::BILL_LINE_KIND_ENERGY), kEnergy);
  EXPECT_EQ(RuleIdOf("DOMAIN tariff rule 4 (above 105 %: double price)",
                     v1::BILL_LINE_KIND_BASIC_DEMAND_EXCESS),
            kBasicDemandExcess);
  EXPECT_EQ(RuleIdOf("DOMAIN tariff rule 6 (REN)", v1::BILL_LINE_KIND_GOVERNMENT_FUND), kFund);
  EXPECT_EQ(RuleIdOf(kTierMonthly, v1::BILL_LINE_KIND_ENERGY_TIER), kTierMonthly);
  EXPECT_EQ(TitleOf("T-NO-SUCH-RULE"), "");
  EXPECT_FALSE(TitleOf(kPenaltyMinimum).empty());
}

}  // namespace
}  // namespace gridledger::billing::rules
