// Reading certificates from what users actually hand us: PEM bundles (any
// order, CRLF line ends, text before/between blocks, several certificates),
// a single DER certificate, and PKCS#7 (.p7b) in PEM or DER form.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "trustplane/base/status.h"
#include "trustplane/x509/certificate.h"

namespace trustplane::x509 {

enum class BundleFormat { kPem, kDer, kPkcs7Pem, kPkcs7Der };
std::string_view BundleFormatName(BundleFormat f);

struct ParsedBundle {
  BundleFormat format = BundleFormat::kPem;
  std::vector<Certificate> certificates;  // in input order, at least one
};

// Detects the format and parses every certificate. Each failure gets its own
// specific kInvalidArgument message, e.g. "input is empty", "input is a
// private key, not a certificate", "truncated DER: ...", "PEM block 2 is
// not valid base64", "no certificate found in input". Never partially succeeds.
Result<ParsedBundle> ParseBundle(std::string_view data);

// Reads a file (refusing more than max_bytes, default 1 MiB) and parses it;
// errors are prefixed with the path.
Result<ParsedBundle> ReadBundleFile(const std::string& path, size_t max_bytes = 1 << 20);

// ReadBundleFile for many files, parsed on all cores; on failure, the error
// of the first bad file in path order.
Result<std::vector<ParsedBundle>> ReadBundleFiles(const std::vector<std::string>& paths,
                                                  size_t max_bytes = 1 << 20);

}  // namespace trustplane::x509
