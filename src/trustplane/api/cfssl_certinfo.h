// How cfssl describes certificates in API results: certinfo's object and
// the "sums" (fingerprints) of newkey / newcert.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "trustplane/x509/certificate.h"

namespace trustplane::api {

// cfssl's certinfo.Certificate: subject and issuer names, serial_number
// (decimal), sans, not_before / not_after (RFC 3339), sigalg (Go's name,
// e.g. "ECDSAWithSHA256"), authority_key_id / subject_key_id (uppercase hex
// with colons, as cfssl prints them), pem; plus serial_number_hex.
nlohmann::json CertInfoJson(const x509::Certificate& cert);

// Go's name of a signature algorithm ("ECDSAWithSHA256") for OpenSSL's
// ("ecdsa-with-SHA256"); OpenSSL's when Go has none.
std::string GoSignatureAlgorithm(const std::string& openssl_name);

// A name (Certificate::subject()'s rendering) as cfssl's bundler prints it,
// in encoding order: "/Country=US/Organization=Acme/CommonName=x".
std::string CfsslNamePath(const std::string& dn);

// {"md5", "sha-1", "sha-256"}: uppercase hex digests of the DER.
nlohmann::json DerSums(std::string_view der);

}  // namespace trustplane::api
