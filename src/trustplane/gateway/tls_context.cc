#include "trustplane/gateway/tls_context.h"

#include <openssl/err.h>

#include <string>

namespace trustplane::gateway {
namespace {

std::string OpenSslError() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

}  // namespace

Result<SslCtxPtr> MakeServerTlsContext(const TlsSettings& tls) {
  ERR_clear_error();
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) return Status::Internal("SSL_CTX_new: " + OpenSslError());
  int min_version = 0;
  if (tls.min_version == "TLS1.2")
    min_version = TLS1_2_VERSION;
  else if (tls.min_version == "TLS1.3")
    min_version = TLS1_3_VERSION;
  else
    return Status::InvalidArgument("tls.min_version: '" + tls.min_version +
                                   "' is not TLS1.2 or TLS1.3");
  SSL_CTX_set_min_proto_version(ctx.get(), min_version);
  SSL_CTX_set_max_proto_version(ctx.get(), TLS1_3_VERSION);
  SSL_CTX_set_options(
      ctx.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
  if (!tls.ciphers.empty() && SSL_CTX_set_cipher_list(ctx.get(), tls.ciphers.c_str()) != 1) {
    return Status::InvalidArgument("tls.ciphers: " + OpenSslError());
  }
  if (!tls.ciphersuites.empty() &&
      SSL_CTX_set_ciphersuites(ctx.get(), tls.ciphersuites.c_str()) != 1) {
    return Status::InvalidArgument("tls.ciphersuites: " + OpenSslError());
  }
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), tls.cert.c_str()) != 1) {
    return Status::InvalidArgument("tls.cert " + tls.cert + ": " + OpenSslError());
  }
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), tls.key.c_str(), SSL_FILETYPE_PEM) != 1) {
    return Status::InvalidArgument("tls.key " + tls.key + ": " + OpenSslError());
  }
  if (SSL_CTX_check_private_key(ctx.get()) != 1) {
    return Status::InvalidArgument("tls.key " + tls.key + " does not match tls.cert " + tls.cert);
  }
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS);
  // The chain is what tls.cert holds. Without this OpenSSL would try, on
  // every handshake, to complete a chain of a lone leaf from the context's
  // certificate store, which the gateway never fills (client chains are
  // verified by ClientVerifier against the trust snapshot).
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_NO_AUTO_CHAIN);
  return ctx;
}

}  // namespace trustplane::gateway
