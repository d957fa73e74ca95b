#include "domain/common/streams.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gridledger::domain {
namespace {

using ::testing::HasSubstr;

TEST(StreamsTest, CategoriesBuildAndRecogniseTheirStreams) {
  EXPECT_EQ(kAccount.StreamOf("42"), "account-42");
  EXPECT_TRUE(kAccount.Holds("account-42"));
  EXPECT_FALSE(kAccount.Holds("accounts-42"));
  EXPECT_FALSE(kMeter.Holds("account-42"));
  EXPECT_EQ(kMeter.IdOf("meter-ZZ01"), "ZZ01");
  EXPECT_EQ(KpiStreamOf("sn/xa/huyi"), "kpi-sn.xa.huyi");
}

TEST(StreamsTest, EveryCategoryPrefixIsItsNameAndADash) {
  for (const StreamCategory& category : kStreamCategories) {
    EXPECT_EQ(category.prefix, std::string(category.name) + "-");
    EXPECT_THAT(kUnits, ::testing::Contains(category.unit)) << category.name;
  }
}

TEST(StreamsTest, UnitOfStreamMapsCategoriesToUnits) {
  EXPECT_EQ(*UnitOfStream("account-1"), "billing");
  EXPECT_EQ(*UnitOfStream("meter-ZZ01"), "metering");
  EXPECT_EQ(*UnitOfStream("application-9"), "customer");
  EXPECT_EQ(*UnitOfStream("kpi-sn-2026-11"), "marketing");
  EXPECT_THAT(UnitOfStream("widget-1").status().message(), HasSubstr("unknown category"));
  EXPECT_THAT(UnitOfStream("widget-1").status().message(), HasSubstr("account"));
  EXPECT_THAT(UnitOfStream("account").status().message(), HasSubstr("<category>-<id>"));
  EXPECT_THAT(UnitOfStream("account-").status().message(), HasSubstr("<category>-<id>"));
}

}  // namespace
}  // namespace gridledger::domain
