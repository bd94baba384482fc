// The listener's SSL_CTX, built once from the tls: settings: server
// certificate chain and key, TLS 1.2/1.3 bounds, cipher policy, renegotiation
// off. Client verification and session resumption are installed by
// ClientVerifier.
#pragma once

#include <openssl/ssl.h>

#include "trustplane/base/openssl_ptr.h"
#include "trustplane/base/status.h"
#include "trustplane/gateway/gateway_config.h"

namespace trustplane::gateway {

using SslCtxPtr = OpenSslPtr<SSL_CTX, SSL_CTX_free>;

// kInvalidArgument naming the file or setting that is wrong (unreadable
// certificate, key not matching it, unknown cipher, bad min_version).
Result<SslCtxPtr> MakeServerTlsContext(const TlsSettings& tls);

}  // namespace trustplane::gateway
