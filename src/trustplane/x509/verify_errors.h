// The load balancer's client-certificate error values (log statusDetails and
// the client_cert_error header), exactly as Google spells them. Reference:
// gcp-mtls-trust-config-and-headers.md, section 5.
#pragma once

#include <string_view>

namespace trustplane::x509::errors {

inline constexpr std::string_view kNotProvided = "client_cert_not_provided";
inline constexpr std::string_view kValidationFailed = "client_cert_validation_failed";
inline constexpr std::string_view kInvalidRsaKeySize = "client_cert_invalid_rsa_key_size";
inline constexpr std::string_view kUnsupportedEllipticCurve =
    "client_cert_unsupported_elliptic_curve_key";
inline constexpr std::string_view kUnsupportedKeyAlgorithm =
    "client_cert_unsupported_key_algorithm";
inline constexpr std::string_view kPkiTooLarge = "client_cert_pki_too_large";
inline constexpr std::string_view kMaxNameConstraintsExceeded =
    "client_cert_chain_max_name_constraints_exceeded";
inline constexpr std::string_view kInvalidEku = "client_cert_chain_invalid_eku";
inline constexpr std::string_view kSearchLimitExceeded =
    "client_cert_validation_search_limit_exceeded";
inline constexpr std::string_view kChainExceededLimit = "client_cert_chain_exceeded_limit";

}  // namespace trustplane::x509::errors
