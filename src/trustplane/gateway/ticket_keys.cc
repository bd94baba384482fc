#include "trustplane/gateway/ticket_keys.h"

#include <openssl/core_names.h>
#include <openssl/rand.h>

#include <cstring>
#include <mutex>

namespace trustplane::gateway {
namespace {

int ContextIndex() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

bool SetMacKey(EVP_MAC_CTX* mac, const std::array<unsigned char, 32>& key) {
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, const_cast<unsigned char*>(key.data()),
                                        key.size()),
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_end(),
  };
  return EVP_MAC_CTX_set_params(mac, params) == 1;
}

// Fetched once: EVP_aes_256_cbc() would make every EVP_*Init_ex look the
// provider implementation up again (OpenSSL 3), once per sealed or opened ticket.
const EVP_CIPHER* TicketCipher() {
  static EVP_CIPHER* const cipher = EVP_CIPHER_fetch(nullptr, "AES-256-CBC", nullptr);
  return cipher != nullptr ? cipher : EVP_aes_256_cbc();
}

}  // namespace

TicketKeys::TicketKeys() : current_(NewKey()) {}

TicketKeys::Key TicketKeys::NewKey() {
  Key k;
  if (RAND_bytes(k.name.data(), k.name.size()) != 1 ||
      RAND_bytes(k.aes.data(), k.aes.size()) != 1 ||
      RAND_bytes(k.hmac.data(), k.hmac.size()) != 1) {
    // Without randomness there is no safe key; a zero name never matches a
    // ticket we sealed, so every resumption falls back to a full handshake.
    k.name.fill(0);
  }
  return k;
}

void TicketKeys::Install(SSL_CTX* ctx) {
  SSL_CTX_set_ex_data(ctx, ContextIndex(), this);
  SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, &TicketKeys::Callback);
}

void TicketKeys::Rotate() {
  Key fresh = NewKey();
  std::unique_lock lock(mu_);
  previous_ = current_;
  has_previous_ = true;
  current_ = fresh;
}

int TicketKeys::Callback(SSL* ssl, unsigned char key_name[16], unsigned char iv[EVP_MAX_IV_LENGTH],
                         EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac, int enc) {
  auto* self = static_cast<TicketKeys*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ContextIndex()));
  return self ? self->Handle(key_name, iv, cipher, mac, enc) : -1;
}

int TicketKeys::Handle(unsigned char key_name[16], unsigned char iv[EVP_MAX_IV_LENGTH],
                       EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac, int enc) {
  std::shared_lock lock(mu_);
  if (enc == 1) {
    if (RAND_bytes(iv, 16) != 1) return -1;
    std::memcpy(key_name, current_.name.data(), 16);
    if (EVP_EncryptInit_ex(cipher, TicketCipher(), nullptr, current_.aes.data(), iv) != 1) {
      return -1;
    }
    return SetMacKey(mac, current_.hmac) ? 1 : -1;
  }
  const Key* key = nullptr;
  int found = 0;
  if (std::memcmp(key_name, current_.name.data(), 16) == 0) {
    key = &current_;
    found = 1;
  } else if (has_previous_ && std::memcmp(key_name, previous_.name.data(), 16) == 0) {
    key = &previous_;
    found = 2;  // still good, but hand out a ticket under the current key
  }
  if (key == nullptr) return 0;
  if (!SetMacKey(mac, key->hmac)) return -1;
  if (EVP_DecryptInit_ex(cipher, TicketCipher(), nullptr, key->aes.data(), iv) != 1) return -1;
  return found;
}

}  // namespace trustplane::gateway
