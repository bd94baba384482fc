#include "trustplane/crypto/aes_key_wrap.h"

#include <openssl/evp.h>

#include "trustplane/base/openssl_ptr.h"

namespace trustplane::crypto {
namespace {

using CipherCtx = OpenSslPtr<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>;

Result<CipherCtx> NewWrapContext(const SecretKey& kek, bool encrypt) {
  if (kek.size() != kKekSize) return Status::Internal("key-encryption key is not 256 bits");
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return Status::Internal("EVP_CIPHER_CTX_new failed");
  if (EVP_CipherInit_ex(ctx.get(), EVP_aes_256_wrap_pad(), nullptr, kek.data(), nullptr,
                        encrypt ? 1 : 0) != 1) {
    return Status::Internal("AES key wrap setup failed");
  }
  return ctx;
}

}  // namespace

Result<std::string> AesKeyWrapPad(const SecretKey& kek, const SecretKey& key) {
  if (key.empty()) return Status::InvalidArgument("cannot wrap an empty key");
  TP_ASSIGN_OR_RETURN(CipherCtx ctx, NewWrapContext(kek, true));
  // RFC 5649 output: the input padded to a multiple of 8, plus 8.
  std::string out((key.size() + 7) / 8 * 8 + 8, '\0');
  int len = 0;
  if (EVP_CipherUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, key.data(),
                       static_cast<int>(key.size())) != 1 ||
      len <= 0) {
    return Status::Internal("AES key wrap failed");
  }
  out.resize(static_cast<size_t>(len));
  return out;
}

Result<SecretKey> AesKeyUnwrapPad(const SecretKey& kek, std::string_view wrapped) {
  if (wrapped.size() < 16 || wrapped.size() % 8 != 0 || wrapped.size() > 4096) {
    return Status::InvalidArgument("wrapped data key has an invalid length");
  }
  TP_ASSIGN_OR_RETURN(CipherCtx ctx, NewWrapContext(kek, false));
  SecretKey out(wrapped.size());
  int len = 0;
  if (EVP_CipherUpdate(ctx.get(), out.data(), &len,
                       reinterpret_cast<const unsigned char*>(wrapped.data()),
                       static_cast<int>(wrapped.size())) != 1 ||
      len <= 0) {
    return Status::InvalidArgument(
        "wrapped data key failed its integrity check (wrong key-encryption key or altered "
        "envelope)");
  }
  out.Resize(static_cast<size_t>(len));
  return out;
}

}  // namespace trustplane::crypto
