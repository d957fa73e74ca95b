#include "common/ed25519.h"

#include "gtest/gtest.h"

namespace gridledger {
namespace {

TEST(Ed25519Test, SignsAndVerifiesAndRefusesAnythingElse) {
  absl::StatusOr<Ed25519KeyPair> pair = GenerateEd25519KeyPair();
  ASSERT_TRUE(pair.ok()) << pair.status();
  EXPECT_EQ(*Ed25519PublicOf(pair->private_pem), pair->public_pem);
  absl::StatusOr<std::string> signature = Ed25519Sign(pair->private_pem, "heads at 42");
  ASSERT_TRUE(signature.ok());
  EXPECT_EQ(signature->size(), 64u);
  EXPECT_TRUE(Ed25519Verify(pair->public_pem, "heads at 42", *signature).ok());
  EXPECT_TRUE(absl::IsPermissionDenied(Ed25519Verify(pair->public_pem, "heads at 43", *signature)));
  std::string flipped = *signature;
  flipped[10] ^= 1;
  EXPECT_TRUE(absl::IsPermissionDenied(Ed25519Verify(pair->public_pem, "heads at 42", flipped)));
  absl::StatusOr<Ed25519KeyPair> other = GenerateEd25519KeyPair();
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(
      absl::IsPermissionDenied(Ed25519Verify(other->public_pem, "heads at 42", *signature)));
  EXPECT_TRUE(absl::IsInvalidArgument(Ed25519Verify("not a key", "m", *signature)));
  EXPECT_TRUE(absl::IsInvalidArgument(Ed25519Sign(pair->public_pem, "m").status()));
}

}  // namespace
}  // namespace gridledger
