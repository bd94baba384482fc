#include "trustplane/pki/csr.h"

#include <cstring>

#include <openssl/asn1t.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>

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
  // The request's key when the fast path built it or Generate made the
  // request; then the X509_REQ's own key cache is empty (OpenSSL would
  // decode on demand, and fail).
  EvpPkeyPtr pkey;
};

// PKCS#10 as OpenSSL's own ASN.1 templates describe it, except that the
// SubjectPublicKeyInfo is a plain SEQUENCE { AlgorithmIdentifier, BIT
// STRING }: OpenSSL's X509_PUBKEY decodes the key eagerly through its
// decoder framework (~110 us per request), which the fast path replaces by
// EVP_PKEY_fromdata. All parsing is still OpenSSL's ASN.1 code.
extern "C" {
typedef struct tp_spki_st {
  X509_ALGOR* algorithm;
  ASN1_BIT_STRING* public_key;
} TP_SPKI;

typedef struct tp_req_info_st {
  ASN1_INTEGER* version;
  X509_NAME* subject;
  TP_SPKI* pubkey;
  STACK_OF(X509_ATTRIBUTE) * attributes;
} TP_REQ_INFO;

typedef struct tp_req_st {
  TP_REQ_INFO* info;
  X509_ALGOR* sig_alg;
  ASN1_BIT_STRING* signature;
} TP_REQ;

DECLARE_ASN1_FUNCTIONS(TP_SPKI)
DECLARE_ASN1_FUNCTIONS(TP_REQ_INFO)
DECLARE_ASN1_FUNCTIONS(TP_REQ)

ASN1_SEQUENCE(TP_SPKI) = {
    ASN1_SIMPLE(TP_SPKI, algorithm, X509_ALGOR),
    ASN1_SIMPLE(TP_SPKI, public_key, ASN1_BIT_STRING),
} ASN1_SEQUENCE_END(TP_SPKI)

ASN1_SEQUENCE(TP_REQ_INFO) = {
    ASN1_SIMPLE(TP_REQ_INFO, version, ASN1_INTEGER),
    ASN1_SIMPLE(TP_REQ_INFO, subject, X509_NAME),
    ASN1_SIMPLE(TP_REQ_INFO, pubkey, TP_SPKI),
    ASN1_IMP_SET_OF_OPT(TP_REQ_INFO, attributes, X509_ATTRIBUTE, 0),
} ASN1_SEQUENCE_END(TP_REQ_INFO)

ASN1_SEQUENCE(TP_REQ) = {
    ASN1_SIMPLE(TP_REQ, info, TP_REQ_INFO),
    ASN1_SIMPLE(TP_REQ, sig_alg, X509_ALGOR),
    ASN1_SIMPLE(TP_REQ, signature, ASN1_BIT_STRING),
} ASN1_SEQUENCE_END(TP_REQ)

IMPLEMENT_ASN1_FUNCTIONS(TP_SPKI)
IMPLEMENT_ASN1_FUNCTIONS(TP_REQ_INFO)
IMPLEMENT_ASN1_FUNCTIONS(TP_REQ)
}  // extern "C"

namespace {

// A request is a few hundred bytes; anything this large is not one.
constexpr size_t kMaxCsrDer = size_t{64} * 1024;

void FreeExtensions(STACK_OF(X509_EXTENSION) * s) { sk_X509_EXTENSION_pop_free(s, X509_EXTENSION_free); }
using ExtensionsPtr = OpenSslPtr<STACK_OF(X509_EXTENSION), FreeExtensions>;
using TpReqPtr = OpenSslPtr<TP_REQ, TP_REQ_free>;
using PkeyCtxPtr = OpenSslPtr<EVP_PKEY_CTX, EVP_PKEY_CTX_free>;
using MdCtxPtr = OpenSslPtr<EVP_MD_CTX, EVP_MD_CTX_free>;
using ParamBldPtr = OpenSslPtr<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>;
using ParamsPtr = OpenSslPtr<OSSL_PARAM, OSSL_PARAM_free>;
using BnPtr = OpenSslPtr<BIGNUM, BN_free>;
void FreeAnySequence(ASN1_SEQUENCE_ANY* s) { sk_ASN1_TYPE_pop_free(s, ASN1_TYPE_free); }
using AnySeqPtr = OpenSslPtr<ASN1_SEQUENCE_ANY, FreeAnySequence>;

// An EVP_PKEY_CTX for EVP_PKEY_fromdata per thread and key type, so the key
// management is fetched once, not per request.
EVP_PKEY_CTX* FromDataContext(int type) {
  thread_local PkeyCtxPtr ec, rsa, ed25519;
  PkeyCtxPtr* slot = type == EVP_PKEY_EC ? &ec : type == EVP_PKEY_RSA ? &rsa : &ed25519;
  if (!*slot) {
    const char* name = type == EVP_PKEY_EC ? "EC" : type == EVP_PKEY_RSA ? "RSA" : "ED25519";
    slot->reset(EVP_PKEY_CTX_new_from_name(nullptr, name, nullptr));
  }
  return slot->get();
}

EvpPkeyPtr FromData(int type, OSSL_PARAM* params) {
  EVP_PKEY_CTX* ctx = FromDataContext(type);
  EVP_PKEY* pkey = nullptr;
  if (ctx == nullptr || EVP_PKEY_fromdata_init(ctx) != 1 ||
      EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
    return nullptr;
  }
  return EvpPkeyPtr(pkey);
}

// A key holding only a curve's domain parameters, one per thread and curve.
// Duplicating it copies the group with its precomputed values; building a
// key from the group's name constructs the group anew each time (its
// Montgomery constants included), a fifth of parsing a P-256 request.
const EVP_PKEY* CurveParameters(int curve) {
  thread_local EvpPkeyPtr p256, p384, p521;
  EvpPkeyPtr* slot = curve == NID_X9_62_prime256v1 ? &p256
                     : curve == NID_secp384r1      ? &p384
                     : curve == NID_secp521r1      ? &p521
                                                   : nullptr;
  if (slot == nullptr) return nullptr;
  if (!*slot) {
    char* group = const_cast<char*>(OBJ_nid2sn(curve));
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
                           OSSL_PARAM_construct_end()};
    EVP_PKEY_CTX* ctx = FromDataContext(EVP_PKEY_EC);
    EVP_PKEY* pkey = nullptr;
    if (ctx != nullptr && EVP_PKEY_fromdata_init(ctx) == 1 &&
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEY_PARAMETERS, params) == 1) {
      slot->reset(pkey);
    }
  }
  return slot->get();
}

// The public key of a SubjectPublicKeyInfo of the kinds trustplane issues
// for (EC on P-256/384/521, RSA, Ed25519), built with EVP_PKEY_fromdata;
// nullptr for anything else, which then takes the straightforward path.
EvpPkeyPtr PublicKeyFromSpki(const TP_SPKI* spki) {
  const ASN1_OBJECT* oid = nullptr;
  int param_type = V_ASN1_UNDEF;
  const void* param = nullptr;
  X509_ALGOR_get0(&oid, &param_type, &param, spki->algorithm);
  const ASN1_BIT_STRING* bits = spki->public_key;
  if ((bits->flags & 0x07) != 0 && ASN1_STRING_length(bits) > 0) return nullptr;  // unused bits
  const unsigned char* data = ASN1_STRING_get0_data(bits);
  const size_t len = static_cast<size_t>(ASN1_STRING_length(bits));
  const int nid = OBJ_obj2nid(oid);
  if (nid == NID_X9_62_id_ecPublicKey) {
    if (param_type != V_ASN1_OBJECT) return nullptr;
    const EVP_PKEY* curve = CurveParameters(OBJ_obj2nid(static_cast<const ASN1_OBJECT*>(param)));
    if (curve == nullptr || len == 0) return nullptr;
    EvpPkeyPtr key(EVP_PKEY_dup(const_cast<EVP_PKEY*>(curve)));
    if (!key || EVP_PKEY_set1_encoded_public_key(key.get(), data, len) != 1) return nullptr;
    return key;
  }
  if (nid == NID_ED25519) {
    if (param_type != V_ASN1_UNDEF || len != 32) return nullptr;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, const_cast<unsigned char*>(data), len),
        OSSL_PARAM_construct_end()};
    return FromData(EVP_PKEY_ED25519, params);
  }
  if (nid == NID_rsaEncryption) {
    if (param_type != V_ASN1_NULL) return nullptr;
    // RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }
    const unsigned char* p = data;
    AnySeqPtr seq(d2i_ASN1_SEQUENCE_ANY(nullptr, &p, static_cast<long>(len)));
    if (!seq || p != data + len || sk_ASN1_TYPE_num(seq.get()) != 2) return nullptr;
    const ASN1_TYPE* n = sk_ASN1_TYPE_value(seq.get(), 0);
    const ASN1_TYPE* e = sk_ASN1_TYPE_value(seq.get(), 1);
    if (n->type != V_ASN1_INTEGER || e->type != V_ASN1_INTEGER) return nullptr;
    // Only DER (what the decoder insists on) takes the fast path.
    unsigned char* re = nullptr;
    const int re_len = i2d_ASN1_SEQUENCE_ANY(seq.get(), &re);
    const bool same = re_len == static_cast<int>(len) && std::memcmp(re, data, len) == 0;
    OPENSSL_free(re);
    if (!same) return nullptr;
    BnPtr bn_n(ASN1_INTEGER_to_BN(n->value.integer, nullptr));
    BnPtr bn_e(ASN1_INTEGER_to_BN(e->value.integer, nullptr));
    ParamBldPtr bld(OSSL_PARAM_BLD_new());
    if (!bn_n || !bn_e || !bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
      return nullptr;
    }
    ParamsPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
    if (!params) return nullptr;
    return FromData(EVP_PKEY_RSA, params.get());
  }
  return nullptr;
}

// The digest name of a CSR signature algorithm the fast path handles for
// this key ("" for Ed25519), or nullptr (then the straightforward path).
const char* FastSignatureDigest(const X509_ALGOR* alg, const EVP_PKEY* key) {
  const ASN1_OBJECT* oid = nullptr;
  int param_type = V_ASN1_UNDEF;
  X509_ALGOR_get0(&oid, &param_type, nullptr, alg);
  int md_nid = NID_undef, pk_nid = NID_undef;
  if (OBJ_find_sigid_algs(OBJ_obj2nid(oid), &md_nid, &pk_nid) != 1) return nullptr;
  const int base = EVP_PKEY_get_base_id(key);
  if (base == EVP_PKEY_ED25519) {
    return pk_nid == NID_ED25519 && md_nid == NID_undef && param_type == V_ASN1_UNDEF ? "" : nullptr;
  }
  if (base == EVP_PKEY_EC && (pk_nid != NID_X9_62_id_ecPublicKey || param_type != V_ASN1_UNDEF)) {
    return nullptr;
  }
  if (base == EVP_PKEY_RSA &&
      (pk_nid != NID_rsaEncryption || (param_type != V_ASN1_NULL && param_type != V_ASN1_UNDEF))) {
    return nullptr;
  }
  switch (md_nid) {
    case NID_sha1: return "SHA1";
    case NID_sha224: return "SHA2-224";
    case NID_sha256: return "SHA2-256";
    case NID_sha384: return "SHA2-384";
    case NID_sha512: return "SHA2-512";
    default: return nullptr;
  }
}

template <typename T, int (*I2d)(const T*, unsigned char**)>
bool EncodesTo(const T* obj, std::string_view der) {
  unsigned char* buf = nullptr;
  const int n = I2d(obj, &buf);
  const bool same = n == static_cast<int>(der.size()) && std::memcmp(buf, der.data(), der.size()) == 0;
  OPENSSL_free(buf);
  return same;
}

// The fast path: the request parsed with the templates above, its key built
// with EVP_PKEY_fromdata, its signature checked with EVP_DigestVerify over
// the CertificationRequestInfo, and an X509_REQ assembled from the parts.
// Succeeds only when the assembled X509_REQ encodes to exactly the input
// (so it is what d2i_X509_REQ would have produced, and the input is DER)
// and the signature verifies; anything else returns nullptr and the caller
// takes the straightforward path, which gives the same answers and errors.
std::shared_ptr<Csr::Data> FastParse(std::string_view der) {
  const auto* start = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* p = start;
  TpReqPtr parsed(d2i_TP_REQ(nullptr, &p, static_cast<long>(der.size())));
  if (!parsed || p != start + der.size()) return nullptr;
  TP_REQ_INFO* info = parsed->info;
  EvpPkeyPtr pkey = PublicKeyFromSpki(info->pubkey);
  if (!pkey) return nullptr;
  const char* digest = FastSignatureDigest(parsed->sig_alg, pkey.get());
  if (digest == nullptr || (parsed->signature->flags & 0x07) != 0) return nullptr;

  auto d = std::make_shared<Csr::Data>();
  d->req.reset(X509_REQ_new());
  X509_REQ* req = d->req.get();
  if (!req) return nullptr;
  // The key's algorithm and bits move into the request as they are (no
  // re-encoding), as the signer later copies them into the certificate.
  const ASN1_BIT_STRING* bits = info->pubkey->public_key;
  if (!SetPublicKeyInfo(info->pubkey->algorithm, ASN1_STRING_get0_data(bits), ASN1_STRING_length(bits),
                        X509_REQ_get_X509_PUBKEY(req), "the CSR's public key")
           .ok()) {
    return nullptr;
  }
  // Version 1 (0) only; anything else goes the straightforward way.
  if (ASN1_INTEGER_get(info->version) != X509_REQ_VERSION_1 ||
      X509_REQ_set_version(req, X509_REQ_VERSION_1) != 1 ||
      X509_REQ_set_subject_name(req, info->subject) != 1) {
    return nullptr;
  }
  for (int i = 0; i < sk_X509_ATTRIBUTE_num(info->attributes); ++i) {
    if (X509_REQ_add1_attr(req, sk_X509_ATTRIBUTE_value(info->attributes, i)) != 1) return nullptr;
  }
  if (X509_REQ_set1_signature_algo(req, parsed->sig_alg) != 1) return nullptr;
  X509_REQ_set0_signature(req, parsed->signature);
  parsed->signature = nullptr;  // now the request's
  // Same bytes in as out: every field was read as d2i_X509_REQ reads it.
  if (!EncodesTo<X509_REQ, i2d_X509_REQ>(req, der)) return nullptr;

  unsigned char* tbs = nullptr;
  const int tbs_len = i2d_re_X509_REQ_tbs(req, &tbs);
  if (tbs_len <= 0) return nullptr;
  const ASN1_BIT_STRING* sig = nullptr;
  X509_REQ_get0_signature(req, &sig, nullptr);
  MdCtxPtr md_ctx(EVP_MD_CTX_new());
  const bool verified =
      md_ctx &&
      EVP_DigestVerifyInit_ex(md_ctx.get(), nullptr, *digest ? digest : nullptr, nullptr, nullptr, pkey.get(),
                              nullptr) == 1 &&
      EVP_DigestVerify(md_ctx.get(), ASN1_STRING_get0_data(sig), static_cast<size_t>(ASN1_STRING_length(sig)),
                       tbs, static_cast<size_t>(tbs_len)) == 1;
  OPENSSL_free(tbs);
  if (!verified) return nullptr;
  d->pkey = std::move(pkey);
  d->der = std::string(der);
  return d;
}

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
  d->key = DescribeKey(d->pkey ? d->pkey.get() : X509_REQ_get0_pubkey(req));
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
  if (auto d = FastParse(der)) {
    auto csr = Decode(std::move(d));
    if (csr.ok()) return csr;
  }
  ERR_clear_error();
  return FromDerStraightforward(der);
}

Result<Csr> Csr::FromDerStraightforward(std::string_view der) {
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
      X509_REQ_set_subject_name(req, name.get()) != 1) {
    return Status::Internal(OpenSslError("cannot build the CSR"));
  }
  X509PubkeyPtr public_key = PublicKeyInfoOf(pkey);
  if (!public_key) return Status::Internal(OpenSslError("cannot encode the CSR's public key"));
  TP_RETURN_IF_ERROR(CopyPublicKeyInfo(public_key.get(), X509_REQ_get_X509_PUBKEY(req), "the key's public half"));
  if (EVP_PKEY_up_ref(pkey) != 1) return Status::Internal(OpenSslError("cannot share the CSR's key"));
  d->pkey.reset(pkey);
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
