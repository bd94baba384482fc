// make_client_certs CA_CERT CA_KEY COUNT OUT: COUNT distinct P-256 client
// certificates (own key, CN bench-cold-N, clientAuth) issued by the given CA,
// written to OUT as certificate PEM then key PEM, one pair after another. The
// "cold clients" case of bench/gateway_vs_nginx.sh sends each one once, so
// the server sees a certificate it has never verified on every connection.
// In-process because thousands of `openssl` invocations take minutes.
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "make_client_certs: %s\n", what);
  std::exit(1);
}

void AddExt(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr || X509_add_ext(cert, ext, -1) != 1) Fail("extension");
  X509_EXTENSION_free(ext);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: make_client_certs CA_CERT CA_KEY COUNT OUT\n");
    return 2;
  }
  FILE* f = std::fopen(argv[1], "r");
  X509* ca = f ? PEM_read_X509(f, nullptr, nullptr, nullptr) : nullptr;
  if (f) std::fclose(f);
  f = std::fopen(argv[2], "r");
  EVP_PKEY* ca_key = f ? PEM_read_PrivateKey(f, nullptr, nullptr, nullptr) : nullptr;
  if (f) std::fclose(f);
  if (ca == nullptr || ca_key == nullptr) Fail("cannot read the CA certificate or key");
  const long count = std::atol(argv[3]);
  FILE* out = std::fopen(argv[4], "w");
  if (out == nullptr || count <= 0) Fail("bad COUNT or OUT");

  for (long i = 0; i < count; ++i) {
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* cert = X509_new();
    if (key == nullptr || cert == nullptr) Fail("key generation");
    X509_set_version(cert, X509_VERSION_3);
    ASN1_INTEGER_set_int64(X509_get_serialNumber(cert), 1000000 + i);
    X509_set_issuer_name(cert, X509_get_subject_name(ca));
    const std::string cn = "bench-cold-" + std::to_string(i);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 30L * 24 * 3600);
    X509_set_pubkey(cert, key);
    AddExt(cert, ca, NID_basic_constraints, "CA:FALSE");
    AddExt(cert, ca, NID_key_usage, "critical,digitalSignature");
    AddExt(cert, ca, NID_ext_key_usage, "clientAuth");
    AddExt(cert, ca, NID_authority_key_identifier, "keyid");
    if (X509_sign(cert, ca_key, EVP_sha256()) <= 0) Fail("signing");
    if (PEM_write_X509(out, cert) != 1 ||
        PEM_write_PrivateKey(out, key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
      Fail("writing");
    }
    X509_free(cert);
    EVP_PKEY_free(key);
  }
  if (std::fclose(out) != 0) Fail("writing");
  X509_free(ca);
  EVP_PKEY_free(ca_key);
  return 0;
}
