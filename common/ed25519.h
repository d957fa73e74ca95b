// Ed25519 signatures (OpenSSL) for signed chain checkpoints. Keys travel as
// PEM: PKCS#8 for the private key, SubjectPublicKeyInfo for the public one.
#ifndef GRIDLEDGER_COMMON_ED25519_H_
#define GRIDLEDGER_COMMON_ED25519_H_

#include <memory>
#include <string>
#include <utility>

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

// A private key parsed once, for signing many messages (a writer signs
// every group commit). Thread-safe: each Sign uses its own context.
class Ed25519Signer {
 public:
  // INVALID_ARGUMENT when the PEM is not an Ed25519 private key.
  static absl::StatusOr<std::shared_ptr<const Ed25519Signer>> FromPem(
      absl::string_view private_pem);
  ~Ed25519Signer();
  Ed25519Signer(const Ed25519Signer&) = delete;
  Ed25519Signer& operator=(const Ed25519Signer&) = delete;

  // The 64-byte signature of `message`.
  std::string Sign(absl::string_view message) const;
  const std::string& public_pem() const { return public_pem_; }

 private:
  Ed25519Signer(void* key, std::string public_pem)
      : key_(key), public_pem_(std::move(public_pem)) {}
  void* const key_;  // EVP_PKEY, owned
  const std::string public_pem_;
};

}  // namespace gridledger

#endif  // GRIDLEDGER_COMMON_ED25519_H_
