// Private to x509/: RAII owners for OpenSSL objects and access to the X509
// handle a Certificate keeps. Never include this from another module.
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "trustplane/base/openssl_ptr.h"
#include "trustplane/x509/certificate.h"

namespace trustplane::x509 {

using X509Ptr = OpenSslPtr<X509, X509_free>;
using BioPtr = OpenSslPtr<BIO, BIO_free_all>;
using Pkcs7Ptr = OpenSslPtr<PKCS7, PKCS7_free>;

class NativeAccess {
 public:
  // The parsed handle; callers only read it (its extension cache is filled at
  // parse time, so concurrent read-only use is safe).
  static X509* Handle(const Certificate& cert);
  // DER of the SubjectPublicKeyInfo, for "same subject and key" comparisons.
  static const std::string& SpkiDer(const Certificate& cert);
};

}  // namespace trustplane::x509
