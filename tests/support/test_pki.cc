#include "support/test_pki.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <array>
#include <map>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "trustplane/base/time.h"

namespace trustplane::testing {
namespace {

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using Pkcs7Ptr = std::unique_ptr<PKCS7, Deleter<PKCS7, PKCS7_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;

[[noreturn]] void Fail(const std::string& what) {
  std::string msg = "test_pki: " + what;
  unsigned long e = ERR_get_error();
  if (e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    msg += " (" + std::string(buf) + ")";
  }
  ERR_clear_error();
  throw std::runtime_error(msg);
}

void Check(bool ok, const std::string& what) {
  if (!ok) Fail(what);
}

std::shared_ptr<EVP_PKEY> Generate(KeyKind kind) {
  EVP_PKEY* k = nullptr;
  switch (kind) {
    case KeyKind::kEcP256:
      k = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
      break;
    case KeyKind::kEcP384:
      k = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
      break;
    case KeyKind::kEcP521:
      k = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-521");
      break;
    case KeyKind::kRsa1024:
      k = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{1024});
      break;
    case KeyKind::kRsa2048:
      k = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048});
      break;
    case KeyKind::kRsa3072:
      k = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{3072});
      break;
    case KeyKind::kRsa4096:
      k = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{4096});
      break;
    case KeyKind::kEd25519:
      k = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
  }
  Check(k != nullptr, "key generation failed");
  return std::shared_ptr<EVP_PKEY>(k, EVP_PKEY_free);
}

std::string BioContents(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

void AddExt(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str()));
  Check(ext != nullptr, "bad extension value for " + std::string(OBJ_nid2sn(nid)) + ": " + value);
  Check(X509_add_ext(cert, ext.get(), -1) == 1, "X509_add_ext");
}

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ",") + p;
  return out;
}

void SetSerial(X509* cert, const std::string& serial_hex) {
  BnPtr bn;
  if (serial_hex.empty()) {
    std::array<unsigned char, 16> bytes{};
    Check(RAND_bytes(bytes.data(), bytes.size()) == 1, "RAND_bytes");
    bytes[0] = (bytes[0] & 0x7f) | 0x40;  // positive and exactly 16 bytes long
    bn.reset(BN_bin2bn(bytes.data(), bytes.size(), nullptr));
  } else {
    BIGNUM* parsed = nullptr;
    Check(BN_hex2bn(&parsed, serial_hex.c_str()) > 0, "bad serial_hex " + serial_hex);
    bn.reset(parsed);
  }
  Check(bn && BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) != nullptr, "serial");
}

void SetName(X509_NAME* name, const CertSpec& spec) {
  auto add = [&](const char* field, const std::string& value) {
    Check(X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                     reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1,
                                     0) == 1,
          std::string("name entry ") + field);
  };
  if (!spec.org.empty()) add("O", spec.org);
  add("CN", spec.cn);
}

std::string KeyUsageValue(const CertSpec& spec) {
  bool cert_sign = spec.key_cert_sign.value_or(spec.is_ca);
  std::vector<std::string> bits;
  if (!spec.is_ca || !cert_sign) bits.push_back("digitalSignature");
  if (cert_sign) bits.push_back("keyCertSign");
  if (spec.is_ca) bits.push_back("cRLSign");
  return "critical," + Join(bits);
}

void AddExtensions(X509* cert, X509* issuer, const CertSpec& spec) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  if (spec.basic_constraints) {
    std::string bc = spec.is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE";
    if (spec.path_len) bc += ",pathlen:" + std::to_string(*spec.path_len);
    AddExt(cert, &ctx, NID_basic_constraints, bc);
  }
  if (spec.is_ca || spec.key_usage_leaf || spec.key_cert_sign.value_or(false)) {
    AddExt(cert, &ctx, NID_key_usage, KeyUsageValue(spec));
  }
  if (!spec.eku.empty()) AddExt(cert, &ctx, NID_ext_key_usage, Join(spec.eku));
  std::vector<std::string> sans;
  for (const auto& v : spec.dns) sans.push_back("DNS:" + v);
  for (const auto& v : spec.ip) sans.push_back("IP:" + v);
  for (const auto& v : spec.email) sans.push_back("email:" + v);
  for (const auto& v : spec.uri) sans.push_back("URI:" + v);
  if (!sans.empty()) AddExt(cert, &ctx, NID_subject_alt_name, Join(sans));
  if (spec.name_constraints > 0) {
    std::vector<std::string> trees;
    for (int i = 0; i < spec.name_constraints; ++i) {
      trees.push_back("permitted;DNS:n" + std::to_string(i) + ".example.com");
    }
    AddExt(cert, &ctx, NID_name_constraints, "critical," + Join(trees));
  }
  if (spec.skid_akid) {
    AddExt(cert, &ctx, NID_subject_key_identifier, "hash");
    if (issuer != cert && X509_get0_subject_key_id(issuer) != nullptr) {
      AddExt(cert, &ctx, NID_authority_key_identifier, "keyid:always");
    }
  }
}

// Keys per kind in the pool: enough that a certificate and its issuer (and a
// sibling CA) differ, few enough that slow RSA generation stays rare.
constexpr size_t kKeysPerKind = 3;

struct KeyPool {
  std::mutex mu;
  std::map<KeyKind, std::vector<std::shared_ptr<EVP_PKEY>>> keys;
  std::map<KeyKind, size_t> next;
};

KeyPool& Pool() {
  static KeyPool pool;
  return pool;
}

// The next pooled key of `kind` that is not `avoid`.
std::shared_ptr<EVP_PKEY> PooledKey(KeyKind kind, const EVP_PKEY* avoid) {
  KeyPool& pool = Pool();
  std::lock_guard<std::mutex> lock(pool.mu);
  auto& keys = pool.keys[kind];
  for (;;) {
    size_t idx = pool.next[kind]++ % kKeysPerKind;
    if (idx >= keys.size()) keys.push_back(Generate(kind));
    if (avoid == nullptr || EVP_PKEY_eq(keys[idx].get(), avoid) != 1) return keys[idx];
  }
}

Issued Build(const CertSpec& spec, X509* issuer_cert, EVP_PKEY* issuer_key) {
  std::shared_ptr<EVP_PKEY> key = spec.use_key     ? spec.use_key
                                  : spec.fresh_key ? Generate(spec.key)
                                                   : PooledKey(spec.key, issuer_key);
  X509Ptr cert(X509_new());
  Check(cert && X509_set_version(cert.get(), 2) == 1, "X509_new");
  SetSerial(cert.get(), spec.serial_hex);
  SetName(X509_get_subject_name(cert.get()), spec);
  X509* issuer = issuer_cert ? issuer_cert : cert.get();
  Check(X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer)) == 1, "issuer name");
  const int64_t now = NowUnix();
  int64_t nb = spec.not_before ? spec.not_before : now - 3600;
  int64_t na = spec.not_after ? spec.not_after : now + int64_t{365} * 86400;
  Check(ASN1_TIME_set(X509_getm_notBefore(cert.get()), static_cast<time_t>(nb)) != nullptr &&
            ASN1_TIME_set(X509_getm_notAfter(cert.get()), static_cast<time_t>(na)) != nullptr,
        "validity");
  Check(X509_set_pubkey(cert.get(), key.get()) == 1, "X509_set_pubkey");
  AddExtensions(cert.get(), issuer, spec);

  const EVP_MD* md = nullptr;  // EdDSA signs without a separate digest
  int signer_type = EVP_PKEY_get_base_id(issuer_key ? issuer_key : key.get());
  if (signer_type != EVP_PKEY_ED25519) {
    md = EVP_get_digestbyname(spec.digest.c_str());
    Check(md != nullptr, "unknown digest " + spec.digest);
  }
  Check(X509_sign(cert.get(), issuer_key ? issuer_key : key.get(), md) > 0,
        "X509_sign with " + spec.digest);

  unsigned char* der = nullptr;
  int der_len = i2d_X509(cert.get(), &der);
  Check(der_len > 0, "i2d_X509");
  std::string der_str(reinterpret_cast<char*>(der), static_cast<size_t>(der_len));
  OPENSSL_free(der);
  auto parsed = x509::Certificate::FromDer(der_str);
  if (!parsed.ok()) Fail("Certificate::FromDer: " + parsed.status().message());

  BioPtr cert_bio(BIO_new(BIO_s_mem()));
  BioPtr key_bio(BIO_new(BIO_s_mem()));
  Check(PEM_write_bio_X509(cert_bio.get(), cert.get()) == 1, "PEM_write_bio_X509");
  Check(PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) ==
            1,
        "PEM_write_bio_PrivateKey");
  return Issued{std::move(parsed).value(), BioContents(cert_bio.get()), BioContents(key_bio.get()),
                std::move(key)};
}

X509Ptr ToX509(const Issued& issued) {
  const std::string& der = issued.cert.der();
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  Check(x != nullptr, "d2i_X509 of issuer");
  return x;
}

}  // namespace

std::shared_ptr<EVP_PKEY> TestKey(KeyKind kind, bool fresh) {
  return fresh ? Generate(kind) : PooledKey(kind, nullptr);
}

Issued MakeSelfSigned(const CertSpec& spec) {
  return Build(spec, nullptr, nullptr);
}

Issued MakeIssued(const CertSpec& spec, const Issued& issuer) {
  X509Ptr issuer_cert = ToX509(issuer);
  return Build(spec, issuer_cert.get(), issuer.key.get());
}

Issued MakeRootCa(const std::string& cn, KeyKind key) {
  CertSpec spec;
  spec.cn = cn;
  spec.is_ca = true;
  spec.key = key;
  return MakeSelfSigned(spec);
}

Issued MakeIntermediateCa(const std::string& cn, const Issued& root, KeyKind key) {
  CertSpec spec;
  spec.cn = cn;
  spec.is_ca = true;
  spec.key = key;
  return MakeIssued(spec, root);
}

Issued MakeClientLeaf(const std::string& cn, const Issued& issuer, KeyKind key) {
  CertSpec spec;
  spec.cn = cn;
  spec.eku = {"clientAuth"};
  spec.key = key;
  return MakeIssued(spec, issuer);
}

Issued MakeLocalServerLeaf(const std::string& cn, const Issued& issuer) {
  CertSpec spec;
  spec.cn = cn;
  spec.eku = {"serverAuth"};
  spec.ip = {"127.0.0.1"};
  spec.dns = {"localhost"};
  return MakeIssued(spec, issuer);
}

std::string DerOf(const Issued& issued) {
  return issued.cert.der();
}

std::string PemOf(const std::vector<Issued>& certs) {
  std::string out;
  for (const auto& c : certs) out += c.cert_pem;
  return out;
}

std::string Pkcs7Of(const std::vector<Issued>& certs, bool pem) {
  Pkcs7Ptr p7(PKCS7_new());
  Check(p7 && PKCS7_set_type(p7.get(), NID_pkcs7_signed) == 1 &&
            PKCS7_content_new(p7.get(), NID_pkcs7_data) == 1,
        "PKCS7 setup");
  PKCS7_set_detached(p7.get(), 1);
  for (const auto& c : certs) {
    X509Ptr x = ToX509(c);
    Check(PKCS7_add_certificate(p7.get(), x.get()) == 1, "PKCS7_add_certificate");
  }
  BioPtr bio(BIO_new(BIO_s_mem()));
  int ok = pem ? PEM_write_bio_PKCS7(bio.get(), p7.get()) : i2d_PKCS7_bio(bio.get(), p7.get());
  Check(ok == 1, "writing PKCS#7");
  return BioContents(bio.get());
}

}  // namespace trustplane::testing
