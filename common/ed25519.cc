#include "common/ed25519.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>

namespace gridledger {
namespace {

struct KeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct ContextDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyDeleter>;
using Bio = std::unique_ptr<BIO, BioDeleter>;

std::string DrainBio(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);  // NOLINT(google-runtime-int): OpenSSL's type
  return std::string(data, static_cast<size_t>(size));
}

absl::StatusOr<Key> ReadKey(absl::string_view pem, bool private_key) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  Key key(private_key ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)
                      : PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (key == nullptr || EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519) {
    return absl::InvalidArgumentError(private_key ? "key: not an Ed25519 private key (PEM)"
                                                  : "key: not an Ed25519 public key (PEM)");
  }
  return key;
}

absl::StatusOr<std::string> PublicPem(EVP_PKEY* key) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_PUBKEY(bio.get(), key) != 1) {
    return absl::InternalError("cannot write the public key");
  }
  return DrainBio(bio.get());
}

}  // namespace

absl::StatusOr<Ed25519KeyPair> GenerateEd25519KeyPair() {
  Key key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (key == nullptr) return absl::InternalError("cannot generate an Ed25519 key");
  Ed25519KeyPair pair;
  Bio bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return absl::InternalError("cannot write the private key");
  }
  pair.private_pem = DrainBio(bio.get());
  absl::StatusOr<std::string> public_pem = PublicPem(key.get());
  if (!public_pem.ok()) return public_pem.status();
  pair.public_pem = *std::move(public_pem);
  return pair;
}

absl::StatusOr<std::string> Ed25519PublicOf(absl::string_view private_pem) {
  absl::StatusOr<Key> key = ReadKey(private_pem, true);
  if (!key.ok()) return key.status();
  return PublicPem(key->get());
}

absl::StatusOr<std::string> Ed25519Sign(absl::string_view private_pem, absl::string_view message) {
  absl::StatusOr<Key> key = ReadKey(private_pem, true);
  if (!key.ok()) return key.status();
  std::unique_ptr<EVP_MD_CTX, ContextDeleter> ctx(EVP_MD_CTX_new());
  size_t size = 64;
  std::string signature(size, '\0');
  if (EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key->get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1) {
    return absl::InternalError("cannot sign with the Ed25519 key");
  }
  signature.resize(size);
  return signature;
}

absl::StatusOr<std::shared_ptr<const Ed25519Signer>> Ed25519Signer::FromPem(
    absl::string_view private_pem) {
  absl::StatusOr<Key> key = ReadKey(private_pem, true);
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> public_pem = PublicPem(key->get());
  if (!public_pem.ok()) return public_pem.status();
  return std::shared_ptr<const Ed25519Signer>(
      new Ed25519Signer(key->release(), *std::move(public_pem)));
}

Ed25519Signer::~Ed25519Signer() { EVP_PKEY_free(static_cast<EVP_PKEY*>(key_)); }

std::string Ed25519Signer::Sign(absl::string_view message) const {
  std::unique_ptr<EVP_MD_CTX, ContextDeleter> ctx(EVP_MD_CTX_new());
  size_t size = 64;
  std::string signature(size, '\0');
  if (EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, static_cast<EVP_PKEY*>(key_)) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1) {
    return std::string();  // cannot happen with a parsed Ed25519 key; verify then refuses it
  }
  signature.resize(size);
  return signature;
}

absl::Status Ed25519Verify(absl::string_view public_pem, absl::string_view message,
                           absl::string_view signature) {
  absl::StatusOr<Key> key = ReadKey(public_pem, false);
  if (!key.ok()) return key.status();
  std::unique_ptr<EVP_MD_CTX, ContextDeleter> ctx(EVP_MD_CTX_new());
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key->get()) != 1) {
    return absl::InternalError("cannot start verifying with the Ed25519 key");
  }
  if (EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                       message.size()) != 1) {
    return absl::PermissionDeniedError("signature: does not verify with this public key");
  }
  return absl::OkStatus();
}

}  // namespace gridledger
