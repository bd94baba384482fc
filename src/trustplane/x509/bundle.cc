#include "trustplane/x509/bundle.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>

#include "trustplane/base/encoding.h"
#include "trustplane/base/parallel.h"
#include "trustplane/x509/native_handle.h"

namespace trustplane::x509 {
namespace {

// Bounds on one input; the load balancer's whole trust config holds far fewer.
constexpr size_t kMaxCertificates = 1000;
constexpr size_t kMaxPemBlocks = 1000;

constexpr std::string_view kBegin = "-----BEGIN ";
constexpr std::string_view kDashes = "-----";

// What a PEM label holds, as far as a certificate bundle is concerned.
enum class BlockKind {
  kCertificate,
  kPkcs7,
  kTrustedCertificate,
  kPrivateKey,
  kCsr,
  kCrl,
  kPublicKey,
  kOther
};

BlockKind KindOfLabel(std::string_view label) {
  if (label == "CERTIFICATE" || label == "X509 CERTIFICATE") return BlockKind::kCertificate;
  if (label == "PKCS7" || label == "PKCS #7 SIGNED DATA") return BlockKind::kPkcs7;
  if (label == "TRUSTED CERTIFICATE") return BlockKind::kTrustedCertificate;
  if (label.ends_with("PRIVATE KEY")) return BlockKind::kPrivateKey;
  if (label == "CERTIFICATE REQUEST" || label == "NEW CERTIFICATE REQUEST") return BlockKind::kCsr;
  if (label == "X509 CRL") return BlockKind::kCrl;
  if (label.ends_with("PUBLIC KEY")) return BlockKind::kPublicKey;
  return BlockKind::kOther;
}

// "a certificate signing request (CSR)" etc.; empty for kinds a bundle accepts.
std::string_view Describe(BlockKind kind) {
  switch (kind) {
    case BlockKind::kPrivateKey:
      return "a private key";
    case BlockKind::kCsr:
      return "a certificate signing request (CSR)";
    case BlockKind::kCrl:
      return "a certificate revocation list (CRL)";
    case BlockKind::kPublicKey:
      return "a bare public key";
    default:
      return "";
  }
}

struct PemBlock {
  size_t index;  // 1-based, as users count
  std::string label;
  BlockKind kind;
  std::string_view body;  // base64 text between the BEGIN and END lines
};

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

// Text has no control bytes besides whitespace; DER always has some (its tags).
bool IsText(std::string_view data) {
  return std::none_of(data.begin(), data.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && !IsSpace(c)) || u == 0x7f;
  });
}

bool IsBase64Text(std::string_view data) {
  return std::all_of(data.begin(), data.end(), [](char c) {
    return IsSpace(c) || std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' ||
           c == '=';
  });
}

Result<std::vector<PemBlock>> SplitPem(std::string_view data) {
  std::vector<PemBlock> blocks;
  size_t pos = 0;
  while ((pos = data.find(kBegin, pos)) != std::string_view::npos) {
    const size_t index = blocks.size() + 1;
    if (index > kMaxPemBlocks) {
      return Status::InvalidArgument("input has more than " + std::to_string(kMaxPemBlocks) +
                                     " PEM blocks");
    }
    const size_t label_start = pos + kBegin.size();
    const size_t label_end = data.find(kDashes, label_start);
    const size_t line_end = data.find('\n', label_start);
    if (label_end == std::string_view::npos || label_end > line_end) {
      return Status::InvalidArgument("PEM block " + std::to_string(index) +
                                     " has a malformed -----BEGIN line");
    }
    std::string label(data.substr(label_start, label_end - label_start));
    const std::string end_line = "-----END " + label + "-----";
    const size_t body_start = label_end + kDashes.size();
    const size_t end = data.find(end_line, body_start);
    if (end == std::string_view::npos) {
      return Status::InvalidArgument("PEM block " + std::to_string(index) + " (" + label +
                                     ") has no " + end_line + " line");
    }
    // A BEGIN inside the body means the END line of this block went missing.
    if (data.substr(body_start, end - body_start).find(kBegin) != std::string_view::npos) {
      return Status::InvalidArgument("PEM block " + std::to_string(index) + " (" + label +
                                     ") has no " + end_line + " line before the next block");
    }
    blocks.push_back(
        PemBlock{index, label, KindOfLabel(label), data.substr(body_start, end - body_start)});
    pos = end + end_line.size();
  }
  return blocks;
}

// Refuses anything that is not certificates; private keys first, so key
// material is never decoded and the message says what was sent.
Status CheckBlockKinds(const std::vector<PemBlock>& blocks) {
  const bool single = blocks.size() == 1;
  for (const PemBlock& b : blocks) {
    if (b.kind != BlockKind::kPrivateKey) continue;
    const bool any_cert = std::any_of(blocks.begin(), blocks.end(), [](const PemBlock& o) {
      return o.kind == BlockKind::kCertificate || o.kind == BlockKind::kPkcs7;
    });
    if (!any_cert) return Status::InvalidArgument("input is a private key, not a certificate");
    return Status::InvalidArgument(
        "input includes a private key (PEM block " + std::to_string(b.index) + ", " + b.label +
        "); refusing the whole input: send certificates only and keep private keys private");
  }
  for (const PemBlock& b : blocks) {
    const std::string where = single ? "input" : "PEM block " + std::to_string(b.index);
    switch (b.kind) {
      case BlockKind::kCertificate:
      case BlockKind::kPkcs7:
        break;
      case BlockKind::kTrustedCertificate:
        return Status::InvalidArgument(
            where +
            " is an OpenSSL TRUSTED CERTIFICATE (certificate plus trust settings); "
            "convert it with `openssl x509 -in FILE -out cert.pem` first");
      case BlockKind::kOther:
        return Status::InvalidArgument(where + " is a PEM \"" + b.label +
                                       "\" block, not a certificate");
      default:
        return Status::InvalidArgument(where + " is " + std::string(Describe(b.kind)) +
                                       ", not a certificate");
    }
  }
  return Status::Ok();
}

Status AddCertificate(Certificate cert, std::vector<Certificate>* out) {
  if (out->size() >= kMaxCertificates) {
    return Status::InvalidArgument("input has more than " + std::to_string(kMaxCertificates) +
                                   " certificates");
  }
  out->push_back(std::move(cert));
  return Status::Ok();
}

// Certificates of a DER PKCS#7 SignedData; nullopt when der is not PKCS#7 at all.
std::optional<Status> ParsePkcs7(std::string_view der, std::vector<Certificate>* out) {
  const auto* begin = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* p = begin;
  Pkcs7Ptr p7(d2i_PKCS7(nullptr, &p, static_cast<long>(der.size())));
  ERR_clear_error();
  if (!p7) return std::nullopt;
  if (p != begin + der.size()) {
    return Status::InvalidArgument("PKCS#7 data is followed by " +
                                   std::to_string(begin + der.size() - p) + " trailing bytes");
  }
  if (!PKCS7_type_is_signed(p7.get())) {
    return Status::InvalidArgument("PKCS#7 content is " +
                                   std::string(OBJ_nid2ln(OBJ_obj2nid(p7->type))) +
                                   ", not signedData with certificates");
  }
  const STACK_OF(X509)* certs = p7->d.sign ? p7->d.sign->cert : nullptr;
  const int n = certs ? sk_X509_num(certs) : 0;
  if (n == 0) return Status::InvalidArgument("PKCS#7 bundle contains no certificates");
  for (int i = 0; i < n; ++i) {
    unsigned char* buf = nullptr;
    int len = i2d_X509(sk_X509_value(certs, i), &buf);
    std::string cert_der(reinterpret_cast<char*>(buf), static_cast<size_t>(std::max(len, 0)));
    OPENSSL_free(buf);
    auto cert = Certificate::FromDer(cert_der);
    if (!cert.ok()) return cert.status().WithContext("PKCS#7 certificate " + std::to_string(i + 1));
    TP_RETURN_IF_ERROR(AddCertificate(std::move(cert).value(), out));
  }
  return Status::Ok();
}

template <typename T, T* (*D2i)(T**, const unsigned char**, long), void (*Free)(T*)>
bool Decodes(std::string_view der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  OpenSslPtr<T, Free> obj(D2i(nullptr, &p, static_cast<long>(der.size())));
  ERR_clear_error();
  return obj != nullptr;
}

// Names what a DER blob is when it is not a certificate, for a specific message.
std::string_view DescribeOtherDer(std::string_view der) {
  if (Decodes<X509_REQ, d2i_X509_REQ, X509_REQ_free>(der)) return Describe(BlockKind::kCsr);
  if (Decodes<X509_CRL, d2i_X509_CRL, X509_CRL_free>(der)) return Describe(BlockKind::kCrl);
  if (Decodes<EVP_PKEY, d2i_PUBKEY, EVP_PKEY_free>(der)) return Describe(BlockKind::kPublicKey);
  if (Decodes<PKCS8_PRIV_KEY_INFO, d2i_PKCS8_PRIV_KEY_INFO, PKCS8_PRIV_KEY_INFO_free>(der) ||
      Decodes<X509_SIG, d2i_X509_SIG, X509_SIG_free>(der) ||
      Decodes<EVP_PKEY, d2i_AutoPrivateKey, EVP_PKEY_free>(der)) {
    return Describe(BlockKind::kPrivateKey);
  }
  return "";
}

// One DER object (certificate or PKCS#7), with the outer length checked first
// so truncation is reported as such.
Status ParseDer(std::string_view der, BundleFormat* format, std::vector<Certificate>* out) {
  const auto* begin = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* p = begin;
  long len = 0;
  int tag = 0, cls = 0;
  const int flags = ASN1_get_object(&p, &len, &tag, &cls, static_cast<long>(der.size()));
  ERR_clear_error();
  const size_t header = static_cast<size_t>(p - begin);
  if (flags == 0x21) return Status::InvalidArgument("DER input uses indefinite length (BER)");
  if ((flags & 0x80) && (header == 0 || len <= 0)) {
    return Status::InvalidArgument(
        "input starts like DER (0x30) but its length header is malformed");
  }
  const size_t declared = header + static_cast<size_t>(len);
  if (declared > der.size()) {
    return Status::InvalidArgument("truncated DER: declares " + std::to_string(declared) +
                                   " bytes, has " + std::to_string(der.size()));
  }
  if (declared < der.size()) {
    return Status::InvalidArgument("DER input has " + std::to_string(der.size() - declared) +
                                   " trailing bytes after its first " + std::to_string(declared));
  }
  auto cert = Certificate::FromDer(der);
  if (cert.ok()) {
    *format = BundleFormat::kDer;
    return AddCertificate(std::move(cert).value(), out);
  }
  if (std::optional<Status> p7 = ParsePkcs7(der, out)) {
    *format = BundleFormat::kPkcs7Der;
    return *p7;
  }
  std::string_view other = DescribeOtherDer(der);
  if (other == Describe(BlockKind::kPrivateKey)) {
    return Status::InvalidArgument("input is a private key, not a certificate");
  }
  if (!other.empty())
    return Status::InvalidArgument("input is " + std::string(other) + ", not a certificate");
  return Status::InvalidArgument("DER input is neither an X.509 certificate nor a PKCS#7 bundle (" +
                                 cert.status().message() + ")");
}

Status ParsePem(std::string_view data, BundleFormat* format, std::vector<Certificate>* out) {
  TP_ASSIGN_OR_RETURN(std::vector<PemBlock> blocks, SplitPem(data));
  TP_RETURN_IF_ERROR(CheckBlockKinds(blocks));
  bool all_pkcs7 = true;
  for (const PemBlock& b : blocks) {
    const std::string where = "PEM block " + std::to_string(b.index) + " (" + b.label + ")";
    if (std::all_of(b.body.begin(), b.body.end(), IsSpace)) {
      return Status::InvalidArgument(where + " is empty");
    }
    auto der = Base64Decode(b.body);
    if (!der.ok()) return Status::InvalidArgument(where + " is not valid base64");
    if (b.kind == BlockKind::kCertificate) {
      all_pkcs7 = false;
      auto cert = Certificate::FromDer(*der);
      if (!cert.ok()) return cert.status().WithContext(where);
      TP_RETURN_IF_ERROR(AddCertificate(std::move(cert).value(), out));
    } else {
      std::optional<Status> p7 = ParsePkcs7(*der, out);
      if (!p7) return Status::InvalidArgument(where + " is not valid PKCS#7 data");
      TP_RETURN_IF_ERROR(p7->WithContext(where));
    }
  }
  *format = all_pkcs7 ? BundleFormat::kPkcs7Pem : BundleFormat::kPem;
  return Status::Ok();
}

}  // namespace

std::string_view BundleFormatName(BundleFormat f) {
  switch (f) {
    case BundleFormat::kPem:
      return "PEM";
    case BundleFormat::kDer:
      return "DER";
    case BundleFormat::kPkcs7Pem:
      return "PKCS#7 PEM";
    case BundleFormat::kPkcs7Der:
      return "PKCS#7 DER";
  }
  return "unknown";
}

Result<ParsedBundle> ParseBundle(std::string_view data) {
  if (data.empty()) return Status::InvalidArgument("input is empty");
  if (std::all_of(data.begin(), data.end(), IsSpace)) {
    return Status::InvalidArgument("input contains only whitespace");
  }
  ParsedBundle bundle;
  if (data.find(kBegin) != std::string_view::npos) {
    TP_RETURN_IF_ERROR(ParsePem(data, &bundle.format, &bundle.certificates));
  } else if (static_cast<unsigned char>(data[0]) == 0x30 && !IsText(data)) {
    TP_RETURN_IF_ERROR(ParseDer(data, &bundle.format, &bundle.certificates));
  } else if (data.find("-----END ") != std::string_view::npos) {
    return Status::InvalidArgument("input has a -----END line but no -----BEGIN line");
  } else if (IsBase64Text(data)) {
    return Status::InvalidArgument(
        "input looks like base64 without PEM armor (no -----BEGIN CERTIFICATE----- line)");
  } else if (IsText(data)) {
    return Status::InvalidArgument("input is text without any -----BEGIN line: not PEM");
  } else {
    char first[8];
    std::snprintf(first, sizeof first, "0x%02x", static_cast<unsigned char>(data[0]));
    return Status::InvalidArgument(std::string("input is neither PEM nor DER: no -----BEGIN line, "
                                               "and the first byte ") +
                                   first + " does not start an ASN.1 SEQUENCE");
  }
  if (bundle.certificates.empty()) return Status::InvalidArgument("no certificate found in input");
  return bundle;
}

Result<ParsedBundle> ReadBundleFile(const std::string& path, size_t max_bytes) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), std::fclose);
  if (!f) return Status::InvalidArgument("cannot read " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fileno(f.get()), &st) != 0) {
    return Status::InvalidArgument("cannot read " + path + ": " + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode))
    return Status::InvalidArgument("cannot read " + path + ": Is a directory");
  auto too_big = [&](size_t size) {
    return Status::InvalidArgument(path + ": file is " + std::to_string(size) +
                                   " bytes, more than the limit " + std::to_string(max_bytes));
  };
  if (S_ISREG(st.st_mode) && static_cast<size_t>(st.st_size) > max_bytes) {
    return too_big(static_cast<size_t>(st.st_size));
  }
  // Read in chunks and stop past the limit: st_size means nothing for pipes.
  std::string data;
  char chunk[16384];
  size_t n = 0;
  while ((n = std::fread(chunk, 1, sizeof chunk, f.get())) > 0) {
    data.append(chunk, n);
    if (data.size() > max_bytes) return too_big(data.size());
  }
  if (std::ferror(f.get())) {
    return Status::InvalidArgument("cannot read " + path + ": " + std::strerror(errno));
  }
  auto bundle = ParseBundle(data);
  if (!bundle.ok()) return bundle.status().WithContext(path);
  return bundle;
}

Result<std::vector<ParsedBundle>> ReadBundleFiles(const std::vector<std::string>& paths,
                                                  size_t max_bytes) {
  std::vector<std::optional<Result<ParsedBundle>>> results(paths.size());
  ParallelFor(paths.size(), [&](size_t i) { results[i] = ReadBundleFile(paths[i], max_bytes); });
  std::vector<ParsedBundle> bundles;
  bundles.reserve(paths.size());
  for (auto& r : results) {
    if (!r->ok()) return r->status();
    bundles.push_back(std::move(*r).value());
  }
  return bundles;
}

}  // namespace trustplane::x509
