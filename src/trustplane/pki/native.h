// Private to pki/: owners for the OpenSSL objects the CSR and signer code
// build, and the few OpenSSL helpers both use. Never include this from
// another module; nothing here crosses the module boundary.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <string>
#include <string_view>

#include "trustplane/base/openssl_ptr.h"
#include "trustplane/base/status.h"
#include "trustplane/pki/csr.h"
#include "trustplane/pki/hosts.h"
#include "trustplane/pki/private_key.h"
#include "trustplane/pki/subject.h"
#include "trustplane/x509/certificate.h"

namespace trustplane::pki {

using X509Ptr = OpenSslPtr<X509, X509_free>;
using X509ReqPtr = OpenSslPtr<X509_REQ, X509_REQ_free>;
using NamePtr = OpenSslPtr<X509_NAME, X509_NAME_free>;
using ExtensionPtr = OpenSslPtr<X509_EXTENSION, X509_EXTENSION_free>;
using BasicConstraintsPtr = OpenSslPtr<BASIC_CONSTRAINTS, BASIC_CONSTRAINTS_free>;
using AuthorityKeyIdPtr = OpenSslPtr<AUTHORITY_KEYID, AUTHORITY_KEYID_free>;
using GeneralNamesPtr = OpenSslPtr<GENERAL_NAMES, GENERAL_NAMES_free>;
using EvpMdPtr = OpenSslPtr<EVP_MD, EVP_MD_free>;
using EvpPkeyPtr = OpenSslPtr<EVP_PKEY, EVP_PKEY_free>;
using BioPtr = OpenSslPtr<BIO, BIO_free_all>;
using X509PubkeyPtr = OpenSslPtr<X509_PUBKEY, X509_PUBKEY_free>;

// The OpenSSL key inside a PrivateKey, which keeps owning it.
class NativeKey {
 public:
  static EVP_PKEY* Of(const PrivateKey& key) { return key.key_.get(); }
};

// The request inside a Csr, which keeps owning it; the signer only reads it
// (OpenSSL's getters want non-const pointers).
class NativeCsr {
 public:
  static X509_REQ* Of(const Csr& csr);
  // Its subjectAltName extension as the request carries it; nullptr when none.
  static X509_EXTENSION* SanExtension(const Csr& csr);
};

// OpenSSL's own copy of cert, decoded from its DER; null when that fails.
X509Ptr NativeCopy(const x509::Certificate& cert);

// "what: OpenSSL's reason"; clears OpenSSL's error queue.
std::string OpenSslError(std::string_view what);

// DER of an OpenSSL object through its i2d function ("" on failure).
template <typename T, int (*I2d)(const T*, unsigned char**)>
std::string ToDer(const T* obj) {
  unsigned char* buf = nullptr;
  const int n = I2d(obj, &buf);
  std::string out = n > 0 ? std::string(reinterpret_cast<char*>(buf), static_cast<size_t>(n)) : "";
  OPENSSL_free(buf);
  return out;
}

// The digest cfssl pairs with a signing key: SHA-256 for P-256 and RSA below
// 3072 bits, SHA-384 for P-384 and RSA 3072, SHA-512 for P-521 and RSA 4096
// and up; nullptr for Ed25519, which hashes internally.
const char* SignatureDigestName(const EVP_PKEY* key);

// SignatureDigestName's digest fetched once; an empty pointer for Ed25519.
Result<EvpMdPtr> FetchSignatureDigest(const EVP_PKEY* key);

// A CA certificate and its key as OpenSSL wants them, for everything that
// signs as the CA: certificates, CRLs and OCSP responses.
struct NativeIssuer {
  X509Ptr cert;
  PrivateKey key;
  EvpMdPtr md;  // empty for Ed25519
  // Raw key identifier: the CA's subjectKeyIdentifier, or the SHA-1 of its
  // public key bits (RFC 5280 4.2.1.2 method 1) when it has none.
  std::string key_id;
  EVP_PKEY* pkey() const { return NativeKey::Of(key); }
  // kInvalidArgument when key does not belong to ca ("the CA key does not
  // belong to the CA certificate <subject>").
  static Result<NativeIssuer> Load(const x509::Certificate& ca, const PrivateKey& key);
};

// A key's type, size and curve in the x509 module's vocabulary.
x509::PublicKeyInfo DescribeKey(const EVP_PKEY* key);

// The SubjectPublicKeyInfo of `key`; empty on failure. EC keys on a named
// curve and Ed25519 keys are assembled from their public bytes: OpenSSL 3's
// encoders (X509_PUBKEY_set, i2d_PUBKEY) cost ~0.5 ms the first time in a
// process and ~0.1 ms after, a few percent of a whole `ca gencert`. Other
// keys (RSA) go through the encoders.
X509PubkeyPtr PublicKeyInfoOf(EVP_PKEY* key);
// Sets `to` to this algorithm (with its parameters) and these key bits, as
// they are (no re-encoding). `what` names the key in errors.
Status SetPublicKeyInfo(const X509_ALGOR* algorithm, const unsigned char* bits, int len, X509_PUBKEY* to,
                        std::string_view what);
// SetPublicKeyInfo with the algorithm and bits of `from` ("the CSR's public key").
Status CopyPublicKeyInfo(const X509_PUBKEY* from, X509_PUBKEY* to, std::string_view what);

// The subject name as cfssl (Go's pkix.Name) orders it: C, ST, L, O, OU,
// CN, serialNumber, then emailAddress and OID attributes. Several values of
// one attribute type share one RDN, as Go encodes them.
Result<NamePtr> BuildName(const Subject& subject);
// "CN=svc,O=Acme,C=US" (RFC 2253 order, UTF-8 kept readable).
std::string NameOneLine(const X509_NAME* name);
std::string CommonNameOf(const X509_NAME* name);  // the last CN, "" when absent

// A subjectAltName extension naming exactly `sans`.
Result<ExtensionPtr> BuildSanExtension(const SubjectAltNameSet& sans, bool critical);
// The DNS, IP, email and URI names of a GENERAL_NAMES; `other` is set when
// it holds any other kind (directoryName, otherName, ...).
SubjectAltNameSet ReadGeneralNames(const GENERAL_NAMES* names, bool* other);

}  // namespace trustplane::pki
