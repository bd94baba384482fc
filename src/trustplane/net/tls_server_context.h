// TLS settings of a server: certificate chain, key and, for mutual TLS, the
// CAs client certificates must chain to. TLS 1.2 is the minimum.
#pragma once

#include <memory>
#include <string>

#include "trustplane/base/status.h"

namespace boost::asio::ssl {
class context;
}

namespace trustplane::net {

struct TlsServerFiles {
  std::string cert_file;       // PEM: server certificate, then its intermediates
  std::string key_file;        // PEM private key
  std::string client_ca_file;  // PEM CAs; non-empty turns on mTLS (client certificate required)
};

// A server context built once from the files. kInvalidArgument naming the
// file that cannot be read, or a key that does not match the certificate.
Result<std::shared_ptr<boost::asio::ssl::context>> MakeTlsServerContext(const TlsServerFiles& files);

}  // namespace trustplane::net
