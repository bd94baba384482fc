#include "trustplane/pki/private_key.h"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "trustplane/pki/native.h"
#include "trustplane/pki/secret_file.h"

namespace trustplane::pki {
namespace {

constexpr size_t kMaxKeyFile = size_t{1} << 20;

std::string BioContents(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

// OpenSSL's default would prompt on the terminal; a CA must never block on that.
struct Passphrase {
  std::string_view text;
  bool asked = false;
};

int PassphraseCallback(char* buf, int size, int /*rwflag*/, void* user) {
  auto* p = static_cast<Passphrase*>(user);
  p->asked = true;
  if (p->text.empty() || p->text.size() > static_cast<size_t>(size)) return -1;
  std::memcpy(buf, p->text.data(), p->text.size());
  return static_cast<int>(p->text.size());
}

// cfssl writes Ed25519 keys as PKCS#8 under its own label, which OpenSSL does not know.
std::string NormalizeLabels(std::string_view pem) {
  std::string out(pem);
  constexpr std::string_view kCfsslLabel = "Ed25519 PRIVATE KEY-----";
  for (size_t at = out.find(kCfsslLabel); at != std::string::npos; at = out.find(kCfsslLabel, at)) {
    out.replace(at, kCfsslLabel.size(), "PRIVATE KEY-----");
  }
  return out;
}

}  // namespace

Status KeySpec::Validate() const {
  if (algo == "ecdsa") {
    if (size == 256 || size == 384 || size == 521) return Status::Ok();
    return Status::InvalidArgument("ECDSA key size " + std::to_string(size) +
                                   " is not supported (use 256, 384 or 521)");
  }
  if (algo == "rsa") {
    if (size >= 2048 && size <= 8192) return Status::Ok();
    return Status::InvalidArgument("RSA key size " + std::to_string(size) + " is outside 2048..8192");
  }
  if (algo == "ed25519") return Status::Ok();
  return Status::InvalidArgument("key algorithm '" + algo +
                                 "' is not supported (use ecdsa, rsa or ed25519)");
}

PrivateKey::PrivateKey(EVP_PKEY* owned)
    : key_(owned, EVP_PKEY_free),
      info_(std::make_shared<const x509::PublicKeyInfo>(DescribeKey(owned))),
      spki_der_(std::make_shared<const std::string>(ToDer<X509_PUBKEY, i2d_X509_PUBKEY>(PublicKeyInfoOf(owned).get()))) {}

Result<PrivateKey> PrivateKey::Generate(const KeySpec& spec) {
  TP_RETURN_IF_ERROR(spec.Validate());
  EVP_PKEY* key = nullptr;
  if (spec.algo == "ecdsa") {
    const char* curve = spec.size == 256 ? "P-256" : spec.size == 384 ? "P-384" : "P-521";
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve);
  } else if (spec.algo == "rsa") {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(spec.size));
  } else {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  }
  if (key == nullptr) return Status::Internal(OpenSslError("key generation failed"));
  return PrivateKey(key);
}

Result<PrivateKey> PrivateKey::FromPem(std::string_view pem, std::string_view passphrase) {
  const std::string text = NormalizeLabels(pem);
  BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  Passphrase pass{passphrase};
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, PassphraseCallback, &pass);
  if (key != nullptr) return PrivateKey(key);
  ERR_clear_error();
  if (pass.asked) {
    return Status::InvalidArgument(passphrase.empty()
                                       ? "the private key is encrypted and no passphrase was given"
                                       : "the passphrase does not decrypt the private key");
  }
  if (text.find("PRIVATE KEY-----") == std::string::npos && text.find("-----BEGIN ") != std::string::npos) {
    return Status::InvalidArgument("PEM input holds no private key (expected a PRIVATE KEY block)");
  }
  return Status::InvalidArgument("not a PEM private key");
}

Result<PrivateKey> PrivateKey::FromPemFile(const std::string& path, std::string_view passphrase) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > kMaxKeyFile) return Status::InvalidArgument(path + ": larger than 1 MiB");
  auto key = FromPem(text.str(), passphrase);
  if (!key.ok()) return key.status().WithContext(path);
  return key;
}

Result<PrivateKey> PrivateKey::Load(const std::string& path_or_uri, std::string_view passphrase) {
  if (path_or_uri.rfind("pkcs11:", 0) == 0) return FromPkcs11Uri(path_or_uri);
  return FromPemFile(path_or_uri, passphrase);
}

std::string PrivateKey::ToPem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  const int id = EVP_PKEY_get_base_id(key_.get());
  if (id == EVP_PKEY_EC || id == EVP_PKEY_RSA) {
    PEM_write_bio_PrivateKey_traditional(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr,
                                         nullptr);
  } else {
    PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr);
  }
  return BioContents(bio.get());
}

Status PrivateKey::WriteFile(const std::string& path) const { return WriteSecretFile(path, ToPem()); }

}  // namespace trustplane::pki
