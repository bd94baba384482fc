#include "trustplane/pki/lint.h"

#include <arpa/inet.h>

#include "trustplane/pki/serial_number.h"

namespace trustplane::pki {
namespace {

Status Refuse(const char* rule, const std::string& why) {
  return Status::Policy(std::string("lint ") + rule + ": " + why);
}

Status LintSubjectKey(const x509::PublicKeyInfo& key) {
  switch (key.type) {
    case x509::KeyType::kRsa:
      if (key.bits < 2048) {
        return Refuse("weak-subject-key", "the CSR's RSA key has " + std::to_string(key.bits) +
                                              " bits; at least 2048 are required");
      }
      return Status::Ok();
    case x509::KeyType::kEc:
      if (key.curve == "P-256" || key.curve == "P-384" || key.curve == "P-521") return Status::Ok();
      return Refuse("weak-subject-key", "the CSR's EC key is on curve " + key.curve +
                                            " (allowed: P-256, P-384, P-521)");
    case x509::KeyType::kEd25519:
      return Status::Ok();
    default:
      return Refuse("weak-subject-key", "the CSR's key is " + key.description +
                                            " (allowed: RSA, ECDSA, Ed25519)");
  }
}

Status LintSans(const SubjectAltNameSet& sans) {
  for (const auto& name : sans.dns) {
    if (std::string why = DnsNameError(name); !why.empty()) {
      return Refuse("san-dns-syntax", "DNS name '" + name + "' is invalid: " + why);
    }
  }
  for (const auto& email : sans.email) {
    if (std::string why = EmailError(email); !why.empty()) {
      return Refuse("san-email-syntax", "email '" + email + "' is invalid: " + why);
    }
  }
  for (const auto& uri : sans.uri) {
    if (std::string why = UriError(uri); !why.empty()) {
      return Refuse("san-uri-syntax", "URI '" + uri + "' is invalid: " + why);
    }
  }
  return Status::Ok();
}

// A subject CN that verifiers may take for a host name (OpenSSL does when a
// leaf has no DNS SAN): a valid DNS name with a dot that is not an IPv4
// address. "" otherwise.
std::string CommonNameAsDns(const std::string& cn) {
  unsigned char ip[4];
  if (cn.find('.') == std::string::npos || !DnsNameError(cn).empty() ||
      inet_pton(AF_INET, cn.c_str(), ip) == 1) {
    return "";
  }
  return cn;
}

}  // namespace

Status LintIssuance(const IssuancePlan& p) {
  if (p.subject_empty && p.sans.empty()) {
    return Refuse("empty-subject-no-san", "the certificate would have neither a subject nor a SAN");
  }
  if (p.usages.empty()) return Refuse("no-key-usage", "the signing profile grants no usage");
  if (p.is_ca && !p.usages.cert_sign()) {
    return Refuse("ca-without-keycertsign", "a CA certificate needs the \"cert sign\" usage");
  }
  if (!p.is_ca && p.usages.cert_sign()) {
    return Refuse("leaf-with-keycertsign",
                  "only CA profiles (ca_constraint.is_ca) may have the \"cert sign\" usage");
  }
  if (p.has_name_constraints && !p.is_ca) {
    return Refuse("name-constraints-on-leaf",
                  "name_constraints belong on CA certificates only; the signing profile is not a CA profile "
                  "(ca_constraint.is_ca)");
  }
  if (std::string why = SerialNumberError(p.serial); !why.empty()) {
    return Refuse("serial-number", "serial " + SerialHex(p.serial) + " cannot be used: " + why);
  }
  TP_RETURN_IF_ERROR(LintSubjectKey(p.subject_key));
  if (p.issuer) {
    if (p.issuer->not_after < p.now) {
      return Refuse("issuer-expired", "the CA certificate " + p.issuer->subject + " expired at " +
                                          FormatRfc3339(p.issuer->not_after));
    }
    if (p.not_after > p.issuer->not_after) {
      return Refuse("validity-past-issuer", "NotAfter " + FormatRfc3339(p.not_after) +
                                                " is later than the issuer's " +
                                                FormatRfc3339(p.issuer->not_after));
    }
    if (p.is_ca && p.issuer->path_len) {
      if (*p.issuer->path_len == 0) {
        return Refuse("issuer-pathlen", "the CA certificate " + p.issuer->subject +
                                            " has pathlen 0 and cannot issue CA certificates");
      }
      if (p.path_len && *p.path_len >= *p.issuer->path_len) {
        return Refuse("issuer-pathlen", "pathlen " + std::to_string(*p.path_len) +
                                            " must be below the issuer's " +
                                            std::to_string(*p.issuer->path_len));
      }
    }
  }
  if (p.issuer) {
    const std::string cn = p.is_ca ? "" : CommonNameAsDns(p.common_name);
    if (p.issuer->name_constraints) {
      if (std::string v = NameConstraintViolation(*p.issuer->name_constraints, p.sans, cn); !v.empty()) {
        return Refuse("name-constraints-violated", v + " of the CA certificate " + p.issuer->subject);
      }
    }
    for (const auto& [subject, constraints] : p.issuer->ancestor_name_constraints) {
      if (std::string v = NameConstraintViolation(constraints, p.sans, cn); !v.empty()) {
        return Refuse("name-constraints-violated", v + " of the CA certificate " + subject + " above the issuer");
      }
    }
  }
  if (p.not_after <= p.not_before) {
    return Refuse("validity-empty", "NotAfter " + FormatRfc3339(p.not_after) +
                                        " is not after NotBefore " + FormatRfc3339(p.not_before));
  }
  return LintSans(p.sans);
}

Status LintIssuer(const x509::Certificate& issuer) {
  if (!issuer.basic_constraints().is_ca) {
    return Refuse("issuer-not-ca", issuer.subject() + " is not a CA certificate (no CA:TRUE)");
  }
  if (issuer.key_usage().present && !issuer.key_usage().key_cert_sign) {
    return Refuse("issuer-without-keycertsign",
                  issuer.subject() + " has a keyUsage without keyCertSign");
  }
  return Status::Ok();
}

}  // namespace trustplane::pki
