#include "trustplane/pki/private_key.h"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "trustplane/base/openssl_ptr.h"
#include "trustplane/base/random.h"

namespace trustplane::pki {
namespace {

using BioPtr = OpenSslPtr<BIO, BIO_free_all>;

std::string OpenSslError() {
  const char* reason = ERR_reason_error_string(ERR_peek_last_error());
  std::string out = reason ? reason : "unknown OpenSSL error";
  ERR_clear_error();
  return out;
}

std::string BioContents(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
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
    return Status::InvalidArgument("RSA key size " + std::to_string(size) +
                                   " is outside 2048..8192");
  }
  if (algo == "ed25519") return Status::Ok();
  return Status::InvalidArgument("key algorithm '" + algo + "' is not supported (use ecdsa, rsa or ed25519)");
}

Result<PrivateKey> PrivateKey::Generate(const KeySpec& spec) {
  TP_RETURN_IF_ERROR(spec.Validate());
  EVP_PKEY* raw = nullptr;
  if (spec.algo == "ecdsa") {
    const char* curve = spec.size == 256 ? "P-256" : spec.size == 384 ? "P-384" : "P-521";
    raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve);
  } else if (spec.algo == "rsa") {
    raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(spec.size));
  } else {
    raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  }
  if (raw == nullptr) return Status::Internal("key generation failed: " + OpenSslError());
  return PrivateKey(std::shared_ptr<EVP_PKEY>(raw, EVP_PKEY_free));
}

Result<PrivateKey> PrivateKey::FromPem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EVP_PKEY* raw = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (raw == nullptr) {
    ERR_clear_error();
    return Status::InvalidArgument("not an unencrypted PEM private key");
  }
  return PrivateKey(std::shared_ptr<EVP_PKEY>(raw, EVP_PKEY_free));
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

Status WriteSecretFile(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp-" + RandomHex(6);
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status::InvalidArgument("cannot create " + tmp + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = write(fd, content.data() + done, content.size() - done);
    if (n <= 0) {
      int err = errno;
      close(fd);
      unlink(tmp.c_str());
      return Status::Internal("cannot write " + tmp + ": " + std::strerror(err));
    }
    done += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return Status::Internal("cannot write " + path + ": " + std::strerror(err));
  }
  return Status::Ok();
}

}  // namespace trustplane::pki
