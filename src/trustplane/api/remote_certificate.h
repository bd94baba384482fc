// The certificate a TLS server presents, for cfssl's certinfo by domain.
#pragma once

#include <chrono>
#include <string>

#include "trustplane/base/status.h"
#include "trustplane/x509/certificate.h"

namespace trustplane::api {

struct HostPort {
  std::string host, port;
};
// "host[:port]" as Go's net.SplitHostPort reads it, with cfssl's port 443 when
// there is none; "[v6]:port" for IPv6. kInvalidArgument for anything else.
Result<HostPort> SplitDomain(const std::string& domain);

// Connects to "host[:port]" (port 443 when absent; "[v6]:port" for IPv6
// addresses), handshakes TLS without verifying the chain (as cfssl does: the
// point is to look at the certificate) and returns the server's leaf.
// Connect and handshake share one deadline, `timeout`; name resolution is
// bounded only by the system resolver's own timeouts.
// kInvalidArgument for a malformed host or port; kNotFound when the host
// does not resolve, cannot be reached, does not complete a TLS handshake in
// time (or at all), or presents no certificate.
Result<x509::Certificate> FetchServerCertificate(const std::string& domain,
                                                 std::chrono::milliseconds timeout);

}  // namespace trustplane::api
