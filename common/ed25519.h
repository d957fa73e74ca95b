// Ed25519 signatures (OpenSSL) for signed chain checkpoints. Keys travel as
// PEM: PKCS#8 for the private key, SubjectPublicKeyInfo for the public one.
#ifndef GRIDLEDGER_COMMON_ED25519_H_
#define GRIDLEDGER_COMMON_ED25519_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gridledger {

struct Ed25519KeyPair {
  std::string private_pem;
  std::string public_pem;
};

absl::StatusOr<Ed25519KeyPair> GenerateEd25519KeyPair();

// INVALID_ARGUMENT when the PEM is not an Ed25519 private key.
absl::StatusOr<std::string> Ed25519Sign(absl::string_view private_pem, absl::string_view message);
// The public key (PEM) of a private key.
absl::StatusOr<std::string> Ed25519PublicOf(absl::string_view private_pem);

// OK when `signature` is `message` signed by the key; PERMISSION_DENIED when
// it is not; INVALID_ARGUMENT when the PEM is not an Ed25519 public key.
absl::Status Ed25519Verify(absl::string_view public_pem, absl::string_view message,
                           absl::string_view signature);

}  // namespace gridledger

#endif  // GRIDLEDGER_COMMON_ED25519_H_
