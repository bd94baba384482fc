#include "trustplane/pki/csr.h"

#include <openssl/err.h>

#include "trustplane/pki/native.h"
#include "trustplane/pki/pem.h"

namespace trustplane::pki {

struct Csr::Data {
  X509ReqPtr req;
  std::string der;
  std::string subject, common_name;
  bool subject_empty = true;
  SubjectAltNameSet sans;
  bool other_sans = false;
  ExtensionPtr san_extension;
  x509::PublicKeyInfo key;
  bool requests_ca = false;
};

namespace {

// A request is a few hundred bytes; anything this large is not one.
constexpr size_t kMaxCsrDer = size_t{64} * 1024;

void FreeExtensions(STACK_OF(X509_EXTENSION) * s) { sk_X509_EXTENSION_pop_free(s, X509_EXTENSION_free); }
using ExtensionsPtr = OpenSslPtr<STACK_OF(X509_EXTENSION), FreeExtensions>;

// Go's encoding of cfssl's "ca" block: pathlen N > 0, or 0 with pathlenzero; otherwise none.
Result<ExtensionPtr> CaRequestExtension(const CaSettings& ca) {
  BasicConstraintsPtr bc(BASIC_CONSTRAINTS_new());
  bc->ca = 0xff;
  if (ca.path_len > 0 || ca.path_len_zero) {
    bc->pathlen = ASN1_INTEGER_new();
    ASN1_INTEGER_set(bc->pathlen, ca.path_len);
  }
  ExtensionPtr ext(X509V3_EXT_i2d(NID_basic_constraints, 1, bc.get()));
  if (!ext) return Status::Internal(OpenSslError("cannot encode basicConstraints"));
  return ext;
}

}  // namespace

X509_REQ* NativeCsr::Of(const Csr& csr) { return csr.d_->req.get(); }
X509_EXTENSION* NativeCsr::SanExtension(const Csr& csr) { return csr.d_->san_extension.get(); }

Result<Csr> Csr::Decode(std::shared_ptr<Data> d) {
  X509_REQ* req = d->req.get();
  const X509_NAME* name = X509_REQ_get_subject_name(req);
  d->subject = NameOneLine(name);
  d->common_name = CommonNameOf(name);
  d->subject_empty = X509_NAME_entry_count(name) == 0;
  d->key = DescribeKey(X509_REQ_get0_pubkey(req));
  ExtensionsPtr exts(X509_REQ_get_extensions(req));
  for (int i = 0; exts && i < sk_X509_EXTENSION_num(exts.get()); ++i) {
    X509_EXTENSION* ext = sk_X509_EXTENSION_value(exts.get(), i);
    const int nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));
    if (nid == NID_subject_alt_name) {
      GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(X509V3_EXT_d2i(ext)));
      if (!names) return Status::InvalidArgument(OpenSslError("the CSR's subjectAltName is malformed"));
      d->sans = ReadGeneralNames(names.get(), &d->other_sans);
      d->san_extension.reset(X509_EXTENSION_dup(ext));
    } else if (nid == NID_basic_constraints) {
      BasicConstraintsPtr bc(static_cast<BASIC_CONSTRAINTS*>(X509V3_EXT_d2i(ext)));
      if (!bc) return Status::InvalidArgument(OpenSslError("the CSR's basicConstraints is malformed"));
      d->requests_ca = bc->ca != 0;
    }
  }
  ERR_clear_error();  // a request without extensions leaves a "not found" behind
  return Csr(std::move(d));
}

Result<Csr> Csr::FromPem(std::string_view pem) {
  auto der = PemDecode(pem, {"CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"},
                       "certificate signing request");
  if (!der.ok()) return der.status();
  return FromDer(*der);
}

Result<Csr> Csr::FromDer(std::string_view der) {
  if (der.size() > kMaxCsrDer) return Status::InvalidArgument("the CSR is larger than 64 KiB");
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  auto d = std::make_shared<Data>();
  d->req.reset(d2i_X509_REQ(nullptr, &p, static_cast<long>(der.size())));
  if (!d->req) return Status::InvalidArgument(OpenSslError("malformed certificate signing request"));
  if (p != reinterpret_cast<const unsigned char*>(der.data()) + der.size()) {
    return Status::InvalidArgument("the CSR has trailing bytes after its DER");
  }
  EVP_PKEY* key = X509_REQ_get0_pubkey(d->req.get());
  if (key == nullptr) return Status::InvalidArgument(OpenSslError("the CSR's public key cannot be decoded"));
  if (X509_REQ_verify(d->req.get(), key) != 1) {
    ERR_clear_error();
    return Status::InvalidArgument("the CSR's signature does not verify with its own key");
  }
  d->der = std::string(der);
  return Decode(std::move(d));
}

Result<Csr> Csr::Generate(const CertificateRequest& request, const PrivateKey& key) {
  auto d = std::make_shared<Data>();
  d->req.reset(X509_REQ_new());
  X509_REQ* req = d->req.get();
  EVP_PKEY* pkey = NativeKey::Of(key);
  TP_ASSIGN_OR_RETURN(NamePtr name, BuildName(request.subject));
  if (X509_REQ_set_version(req, X509_REQ_VERSION_1) != 1 ||
      X509_REQ_set_subject_name(req, name.get()) != 1 || X509_REQ_set_pubkey(req, pkey) != 1) {
    return Status::Internal(OpenSslError("cannot build the CSR"));
  }
  ExtensionsPtr exts(sk_X509_EXTENSION_new_null());
  if (!request.hosts.empty()) {
    // With an empty subject the SANs carry the identity: RFC 5280 4.2.1.6 wants them critical.
    TP_ASSIGN_OR_RETURN(ExtensionPtr san,
                        BuildSanExtension(ClassifyHosts(request.hosts), request.subject.empty()));
    sk_X509_EXTENSION_push(exts.get(), san.release());
  }
  if (request.ca) {
    TP_ASSIGN_OR_RETURN(ExtensionPtr bc, CaRequestExtension(*request.ca));
    sk_X509_EXTENSION_push(exts.get(), bc.release());
  }
  if (sk_X509_EXTENSION_num(exts.get()) > 0 && X509_REQ_add_extensions(req, exts.get()) != 1) {
    return Status::Internal(OpenSslError("cannot add the CSR's extensions"));
  }
  const char* digest = SignatureDigestName(pkey);
  if (X509_REQ_sign(req, pkey, digest ? EVP_get_digestbyname(digest) : nullptr) <= 0) {
    return Status::Internal(OpenSslError("cannot sign the CSR"));
  }
  d->der = ToDer<X509_REQ, i2d_X509_REQ>(req);
  return Decode(std::move(d));
}

const std::string& Csr::der() const { return d_->der; }
std::string Csr::ToPem() const { return PemEncode("CERTIFICATE REQUEST", d_->der); }
const std::string& Csr::subject() const { return d_->subject; }
const std::string& Csr::common_name() const { return d_->common_name; }
bool Csr::subject_empty() const { return d_->subject_empty; }
const SubjectAltNameSet& Csr::sans() const { return d_->sans; }
bool Csr::has_other_sans() const { return d_->other_sans; }
const x509::PublicKeyInfo& Csr::public_key() const { return d_->key; }
bool Csr::requests_ca() const { return d_->requests_ca; }

}  // namespace trustplane::pki
