#include "common/big_endian.h"

#include "gtest/gtest.h"

namespace gridledger {
namespace {

TEST(BigEndianTest, RoundTripsAndSortsNumerically) {
  for (uint64_t v : {0ull, 1ull, 255ull, 256ull, 1ull << 40, ~0ull}) {
    EXPECT_EQ(ReadBigEndian64(BigEndian64(v)), v);
  }
  EXPECT_LT(BigEndian64(255), BigEndian64(256));
  EXPECT_LT(BigEndian64(1), BigEndian64(1ull << 40));
}

TEST(BigEndianTest, ShortInputIsNullopt) { EXPECT_EQ(ReadBigEndian64("1234567"), std::nullopt); }

}  // namespace
}  // namespace gridledger
