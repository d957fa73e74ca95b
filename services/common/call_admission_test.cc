#include "services/common/call_admission.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gridledger::service {
namespace {

TEST(CallAdmissionTest, CapsEachPrincipalAndFreesEndedCalls) {
  CallAdmission admission(2);
  const int call[4] = {};
  EXPECT_TRUE(admission.Admit("alice", &call[0]).ok());
  EXPECT_TRUE(admission.Admit("alice", &call[0]).ok()) << "a call asking twice counts once";
  EXPECT_TRUE(admission.Admit("alice", &call[1]).ok());
  EXPECT_EQ(admission.InFlight("alice"), 2);
  const absl::Status refused = admission.Admit("alice", &call[2]);
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(refused.message()), ::testing::HasSubstr("--max_calls_per_principal"));
  EXPECT_TRUE(admission.Admit("bob", &call[3]).ok()) << "another principal is not affected";
  admission.Ended(&call[2]);  // refused: nothing to free
  EXPECT_EQ(admission.InFlight("alice"), 2);
  admission.Ended(&call[0]);
  EXPECT_EQ(admission.InFlight("alice"), 1);
  EXPECT_TRUE(admission.Admit("alice", &call[2]).ok());
  admission.Ended(&call[1]);
  admission.Ended(&call[2]);
  admission.Ended(&call[3]);
  EXPECT_EQ(admission.InFlight("alice"), 0);
  EXPECT_EQ(admission.InFlight("bob"), 0);
}

}  // namespace
}  // namespace gridledger::service
