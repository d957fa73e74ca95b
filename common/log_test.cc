#include "common/log.h"

#include "gtest/gtest.h"

namespace gridledger::log {
namespace {

TEST(LogTest, TextIsTheMessageAlone) {
  EXPECT_EQ(FormatLine(Format::kText, Level::kInfo, "server.start", "gridledger: serving",
                       {{"port", 5}}, "2026-12-03T00:00:00.000Z"),
            "gridledger: serving");
}

TEST(LogTest, JsonCarriesEventLevelMessageAndTypedFields) {
  EXPECT_EQ(
      FormatLine(Format::kJson, Level::kWarning, "command.failed", "it \"failed\"\n",
                 {{"principal", "clerk"}, {"code", 3}, {"retried", false}},
                 "2026-12-03T00:00:00.000Z"),
      "{\"ts\":\"2026-12-03T00:00:00.000Z\",\"level\":\"warning\",\"event\":\"command.failed\","
      "\"msg\":\"it \\\"failed\\\"\\n\",\"principal\":\"clerk\",\"code\":3,\"retried\":false}");
}

TEST(LogTest, JsonEscapesControlCharactersAndKeepsUtf8) {
  EXPECT_EQ(JsonQuote(std::string("a\x01"
                                  "b\\c\t电")),
            "\"a\\u0001b\\\\c\\t电\"");
}

TEST(LogTest, ParseFormatNamesTheFlag) {
  EXPECT_EQ(*ParseFormat("--log_format", "json"), Format::kJson);
  EXPECT_EQ(*ParseFormat("--log_format", "text"), Format::kText);
  absl::StatusOr<Format> bad = ParseFormat("--log_format", "xml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("--log_format"), std::string::npos);
}

}  // namespace
}  // namespace gridledger::log
