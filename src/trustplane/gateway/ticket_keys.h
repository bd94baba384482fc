// TicketKeys: the keys that seal session tickets, rotated. New tickets are
// sealed with the current key; a ticket sealed with the previous key still
// resumes (and is replaced by a fresh one) until the next rotation, so a
// rotation costs no full handshakes, and a stolen key is useless after two
// periods. Keys live only in memory: a restart starts a new key set.
// Thread-safe: Handle runs on every worker, Rotate on the control thread.
#pragma once

#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <array>
#include <shared_mutex>

namespace trustplane::gateway {

class TicketKeys {
 public:
  TicketKeys();
  // Installs the ticket callback on ctx; `this` must outlive ctx.
  void Install(SSL_CTX* ctx);
  void Rotate();

  // OpenSSL's ticket key callback contract (SSL_CTX_set_tlsext_ticket_key_evp_cb):
  // enc=1 seals (returns 1); enc=0 opens: 1 current key, 2 previous key
  // (renew the ticket), 0 unknown key (full handshake), -1 error.
  int Handle(unsigned char key_name[16], unsigned char iv[EVP_MAX_IV_LENGTH],
             EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac, int enc);

 private:
  struct Key {
    std::array<unsigned char, 16> name{};
    std::array<unsigned char, 32> aes{};
    std::array<unsigned char, 32> hmac{};
  };
  static Key NewKey();
  static int Callback(SSL* ssl, unsigned char key_name[16], unsigned char iv[EVP_MAX_IV_LENGTH],
                      EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac, int enc);

  std::shared_mutex mu_;
  Key current_, previous_;
  bool has_previous_ = false;
};

}  // namespace trustplane::gateway
