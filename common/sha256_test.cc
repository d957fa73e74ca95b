#include "common/sha256.h"

#include "gtest/gtest.h"

namespace gridledger {
namespace {

TEST(Sha256Test, MatchesKnownVectors) {
  // FIPS 180-2 examples.
  EXPECT_EQ(HexEncode(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HexEncode(Sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256Test, ConcatEqualsHashOfJoinedBytes) {
  EXPECT_EQ(Sha256Concat("ab", "c"), Sha256("abc"));
  EXPECT_NE(Sha256Concat("ab", "c"), Sha256Concat("a", "bd"));
}

TEST(Sha256Test, GenesisIsThirtyTwoZeroBytes) { EXPECT_EQ(GenesisHash(), std::string(32, '\0')); }

}  // namespace
}  // namespace gridledger
