#include "trustplane/crypto/envelope.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "trustplane/base/openssl_ptr.h"

namespace trustplane::crypto {
namespace {

constexpr std::string_view kMagic = "TPEN";
constexpr uint8_t kPayloadAesGcm = 1;
constexpr size_t kDataKeySize = 32;
constexpr size_t kNonceSize = 12;
constexpr size_t kTagSize = 16;
// Field bounds: a parser never trusts a length it has not checked.
constexpr size_t kMaxProvider = 64, kMaxKeyId = 255, kMaxPath = 4096, kMaxEnvironment = 255;
constexpr size_t kMinWrapped = 16, kMaxWrapped = 512;
// OpenSSL's update calls take an int length; objects are certificates anyway.
constexpr uint64_t kMaxPayload = uint64_t{1} << 30;

using CipherCtx = OpenSslPtr<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>;

// The parsed envelope; views point into the caller's bytes.
struct Parsed {
  EnvelopeInfo info;
  uint8_t wrap_algorithm = 0;
  std::string_view wrapped;
  std::string_view nonce;
  std::string_view ciphertext;
  std::string_view tag;
  size_t wrapped_offset = 0;  // where the wrapped-key length field starts
  size_t nonce_offset = 0;
};

void PutU16(std::string& out, size_t v) {
  out.push_back(static_cast<char>(v & 0xff));
  out.push_back(static_cast<char>((v >> 8) & 0xff));
}
void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutField(std::string& out, std::string_view s) {
  PutU16(out, s.size());
  out.append(s);
}

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  size_t offset() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }
  bool Bytes(size_t n, std::string_view* out) {
    if (remaining() < n) return false;
    *out = data_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool Uint(size_t n, uint64_t* out) {
    std::string_view b;
    if (!Bytes(n, &b)) return false;
    *out = 0;
    for (size_t i = 0; i < n; ++i) *out |= uint64_t{static_cast<uint8_t>(b[i])} << (8 * i);
    return true;
  }
  bool Field(size_t min, size_t max, std::string_view* out) {
    uint64_t len = 0;
    return Uint(2, &len) && len >= min && len <= max && Bytes(len, out);
  }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

Status Malformed(const std::string& what) {
  return Status::InvalidArgument("malformed envelope: " + what);
}

Result<Parsed> Parse(std::string_view bytes) {
  if (!LooksLikeEnvelope(bytes)) {
    return Status::InvalidArgument("not an envelope (missing the TPEN magic)");
  }
  Reader r(bytes);
  Parsed p;
  std::string_view magic, s;
  uint64_t version = 0, payload_alg = 0, wrap_alg = 0, flags = 0, kek_version = 0;
  if (!r.Bytes(4, &magic) || !r.Uint(1, &version) || !r.Uint(1, &payload_alg) ||
      !r.Uint(1, &wrap_alg) || !r.Uint(1, &flags) || !r.Uint(4, &kek_version)) {
    return Malformed("truncated header");
  }
  if (version != kEnvelopeFormatVersion) {
    return Status::InvalidArgument("unsupported envelope format version " +
                                   std::to_string(version));
  }
  if (payload_alg != kPayloadAesGcm) {
    return Status::InvalidArgument("unsupported payload algorithm " + std::to_string(payload_alg));
  }
  if (wrap_alg != static_cast<uint8_t>(WrapAlgorithm::kAesKeyWrapPad)) {
    return Status::InvalidArgument("unsupported key wrap algorithm " + std::to_string(wrap_alg));
  }
  if (flags != 0) return Malformed("reserved flags are set");
  if (kek_version == 0) return Malformed("KEK version 0");
  p.info.format_version = static_cast<uint8_t>(version);
  p.wrap_algorithm = static_cast<uint8_t>(wrap_alg);
  p.info.kek_version = static_cast<uint32_t>(kek_version);
  if (!r.Field(1, kMaxProvider, &s)) return Malformed("bad provider field");
  p.info.provider = std::string(s);
  if (!r.Field(1, kMaxKeyId, &s)) return Malformed("bad key id field");
  p.info.key_id = std::string(s);
  if (!r.Field(1, kMaxPath, &s)) return Malformed("bad path field");
  p.info.path = std::string(s);
  if (!r.Field(1, kMaxEnvironment, &s)) return Malformed("bad environment field");
  p.info.environment = std::string(s);
  p.wrapped_offset = r.offset();
  if (!r.Field(kMinWrapped, kMaxWrapped, &p.wrapped)) return Malformed("bad wrapped key field");
  p.nonce_offset = r.offset();
  uint64_t ct_size = 0;
  if (!r.Bytes(kNonceSize, &p.nonce) || !r.Uint(8, &ct_size)) return Malformed("truncated");
  if (ct_size != r.remaining() - std::min(r.remaining(), kTagSize) || r.remaining() < kTagSize) {
    return Malformed("length does not match its ciphertext size field");
  }
  if (ct_size > kMaxPayload) return Malformed("payload larger than 1 GiB");
  p.info.ciphertext_size = ct_size;
  r.Bytes(ct_size, &p.ciphertext);
  r.Bytes(kTagSize, &p.tag);
  return p;
}

Status CheckContext(const EnvelopeContext& c) {
  if (c.path.empty() || c.path.size() > kMaxPath) {
    return Status::InvalidArgument("envelope path must be 1.." + std::to_string(kMaxPath) +
                                   " bytes");
  }
  if (c.environment.empty() || c.environment.size() > kMaxEnvironment) {
    return Status::InvalidArgument("envelope environment must be 1.." +
                                   std::to_string(kMaxEnvironment) + " bytes");
  }
  return Status::Ok();
}

Status CheckKek(const KekProvider& kek, const EnvelopeInfo& info) {
  if (info.provider != kek.provider_name() || info.key_id != kek.key_id()) {
    return Status::InvalidArgument("envelope was sealed under KEK " + info.provider + ":" +
                                   info.key_id + ", not " + std::string(kek.provider_name()) + ":" +
                                   kek.key_id());
  }
  return Status::Ok();
}

// Associated data: a domain label with the format version, then the context.
// The KEK fields are left out on purpose so Rewrap need not touch the payload.
std::string AssociatedData(const EnvelopeContext& c) {
  std::string aad = "trustplane-envelope/1";
  aad.push_back('\0');
  PutField(aad, c.path);
  PutField(aad, c.environment);
  return aad;
}

std::string Header(const KekProvider& kek, const WrappedKey& wrapped, std::string_view path,
                   std::string_view environment) {
  std::string out(kMagic);
  out.push_back(static_cast<char>(kEnvelopeFormatVersion));
  out.push_back(static_cast<char>(kPayloadAesGcm));
  out.push_back(static_cast<char>(kek.wrap_algorithm()));
  out.push_back('\0');
  PutU32(out, wrapped.version);
  PutField(out, kek.provider_name());
  PutField(out, kek.key_id());
  PutField(out, path);
  PutField(out, environment);
  PutField(out, wrapped.bytes);
  return out;
}

Result<CipherCtx> GcmContext(const SecretKey& key, std::string_view nonce, bool encrypt) {
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return Status::Internal("EVP_CIPHER_CTX_new failed");
  if (EVP_CipherInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr, encrypt ? 1 : 0) !=
          1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce.size()),
                          nullptr) != 1 ||
      EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, key.data(),
                        reinterpret_cast<const unsigned char*>(nonce.data()),
                        encrypt ? 1 : 0) != 1) {
    return Status::Internal("AES-256-GCM setup failed");
  }
  return ctx;
}

}  // namespace

bool LooksLikeEnvelope(std::string_view bytes) {
  return bytes.substr(0, 4) == kMagic;
}

Result<EnvelopeInfo> InspectEnvelope(std::string_view envelope) {
  TP_ASSIGN_OR_RETURN(Parsed p, Parse(envelope));
  return std::move(p.info);
}

Result<std::string> Seal(const KekProvider& kek, std::string_view plaintext,
                         const EnvelopeContext& context) {
  TP_RETURN_IF_ERROR(CheckContext(context));
  if (plaintext.size() > kMaxPayload) {
    return Status::InvalidArgument("payload too large to seal");
  }
  SecretKey data_key = SecretKey::Random(kDataKeySize);
  TP_ASSIGN_OR_RETURN(WrappedKey wrapped, kek.Wrap(data_key));
  std::string nonce(kNonceSize, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(nonce.data()), kNonceSize) != 1) {
    std::fputs("trustplane: the OpenSSL random generator failed\n", stderr);
    std::abort();
  }
  TP_ASSIGN_OR_RETURN(CipherCtx ctx, GcmContext(data_key, nonce, true));
  std::string aad = AssociatedData(context);
  int len = 0;
  if (EVP_EncryptUpdate(ctx.get(), nullptr, &len,
                        reinterpret_cast<const unsigned char*>(aad.data()),
                        static_cast<int>(aad.size())) != 1) {
    return Status::Internal("AES-256-GCM associated data failed");
  }
  std::string out = Header(kek, wrapped, context.path, context.environment);
  out.append(nonce);
  PutU64(out, plaintext.size());
  size_t ct_offset = out.size();
  out.resize(ct_offset + plaintext.size() + kTagSize);
  auto* ct = reinterpret_cast<unsigned char*>(out.data() + ct_offset);
  if (EVP_EncryptUpdate(ctx.get(), ct, &len,
                        reinterpret_cast<const unsigned char*>(plaintext.data()),
                        static_cast<int>(plaintext.size())) != 1 ||
      static_cast<size_t>(len) != plaintext.size() ||
      EVP_EncryptFinal_ex(ctx.get(), ct + len, &len) != 1 || len != 0 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize, ct + plaintext.size()) != 1) {
    return Status::Internal("AES-256-GCM encryption failed");
  }
  return out;
}

Result<std::string> Open(const KekProvider& kek, std::string_view envelope,
                         const EnvelopeContext& context) {
  TP_RETURN_IF_ERROR(CheckContext(context));
  TP_ASSIGN_OR_RETURN(Parsed p, Parse(envelope));
  // The stored binding is checked first only to name the mismatch; the GCM
  // tag over the caller's context is what actually enforces it.
  if (p.info.path != context.path) {
    return Status::Policy("envelope is bound to path '" + p.info.path + "', not '" + context.path +
                          "'");
  }
  if (p.info.environment != context.environment) {
    return Status::Policy("envelope is bound to environment '" + p.info.environment + "', not '" +
                          context.environment + "'");
  }
  TP_RETURN_IF_ERROR(CheckKek(kek, p.info));
  TP_ASSIGN_OR_RETURN(SecretKey data_key, kek.Unwrap(p.info.kek_version, p.wrapped));
  if (data_key.size() != kDataKeySize) {
    return Status::InvalidArgument("envelope data key has the wrong size");
  }
  TP_ASSIGN_OR_RETURN(CipherCtx ctx, GcmContext(data_key, p.nonce, false));
  std::string aad = AssociatedData(context);
  std::string plain(p.ciphertext.size(), '\0');
  int len = 0;
  auto* out = reinterpret_cast<unsigned char*>(plain.data());
  std::string tag(p.tag);
  bool ok =
      EVP_DecryptUpdate(ctx.get(), nullptr, &len,
                        reinterpret_cast<const unsigned char*>(aad.data()),
                        static_cast<int>(aad.size())) == 1 &&
      EVP_DecryptUpdate(ctx.get(), out, &len,
                        reinterpret_cast<const unsigned char*>(p.ciphertext.data()),
                        static_cast<int>(p.ciphertext.size())) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize, tag.data()) == 1 &&
      EVP_DecryptFinal_ex(ctx.get(), out + len, &len) == 1;  // checks the tag in constant time
  if (!ok) {
    // Release nothing that was decrypted before the tag was checked.
    WipeString(plain);
    return Status::InvalidArgument("envelope for '" + context.path +
                                   "' failed authentication: it was altered or corrupted");
  }
  return plain;
}

Result<std::string> Rewrap(const KekProvider& kek, std::string_view envelope,
                           uint32_t new_version) {
  TP_ASSIGN_OR_RETURN(Parsed p, Parse(envelope));
  TP_RETURN_IF_ERROR(CheckKek(kek, p.info));
  TP_ASSIGN_OR_RETURN(SecretKey data_key, kek.Unwrap(p.info.kek_version, p.wrapped));
  if (data_key.size() != kDataKeySize) {
    return Status::InvalidArgument("envelope data key has the wrong size");
  }
  TP_ASSIGN_OR_RETURN(WrappedKey wrapped, kek.WrapWithVersion(data_key, new_version));
  std::string out = Header(kek, wrapped, p.info.path, p.info.environment);
  out.append(envelope.substr(p.nonce_offset));  // nonce, size, ciphertext, tag unchanged
  return out;
}

}  // namespace trustplane::crypto
