#include "common/sha256.h"

#include <openssl/evp.h>

#include "absl/strings/escaping.h"

namespace gridledger {

namespace {

// OpenSSL 3 looks the algorithm up on every EVP_DigestInit_ex(EVP_sha256())
// ("implicit fetch"); fetching it once and reusing a context per thread makes
// a hash of a few hundred bytes several times cheaper. Both live for the
// process (the context per thread).
const EVP_MD* Sha256Algorithm() {
  static const EVP_MD* const kAlgorithm = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return kAlgorithm;
}

EVP_MD_CTX* ThreadContext() {
  struct Context {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~Context() { EVP_MD_CTX_free(ctx); }
  };
  thread_local Context context;
  return context.ctx;
}

}  // namespace

std::string Sha256Concat(absl::string_view first, absl::string_view second) {
  std::string digest(kSha256Bytes, '\0');
  EVP_MD_CTX* ctx = ThreadContext();
  // With a valid context and the built-in SHA-256 these calls cannot fail.
  EVP_DigestInit_ex2(ctx, Sha256Algorithm(), nullptr);
  EVP_DigestUpdate(ctx, first.data(), first.size());
  EVP_DigestUpdate(ctx, second.data(), second.size());
  unsigned int size = 0;
  EVP_DigestFinal_ex(ctx, reinterpret_cast<unsigned char*>(digest.data()), &size);
  return digest;
}

const std::string& GenesisHash() {
  static const std::string* const kGenesis = new std::string(kSha256Bytes, '\0');
  return *kGenesis;
}

std::string HexEncode(absl::string_view bytes) { return absl::BytesToHexString(bytes); }

}  // namespace gridledger
