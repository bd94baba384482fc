// The OCSP responder's cost per request, before HTTP: a plain request answered
// from the pre-signed response (the common case: RFC 5019 clients send no
// nonce), and a request with a nonce, which must be signed live. Both look up
// the certificate's status in a SQLite certdb on every request.
#include <benchmark/benchmark.h>
#include <openssl/ocsp.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "trustplane/pki/csr.h"
#include "trustplane/pki/ocsp_responder.h"
#include "trustplane/pki/signer.h"
#include "trustplane/store/database.h"

namespace {

using namespace trustplane;

template <typename T>
T Must(Result<T> r) {
  if (!r.ok()) {
    std::cerr << r.status().ToString() << "\n";
    std::abort();
  }
  return std::move(r).value();
}

std::string RequestDer(const std::string& ca_der, const std::string& leaf_der, bool nonce) {
  const auto* p = reinterpret_cast<const unsigned char*>(ca_der.data());
  X509* ca = d2i_X509(nullptr, &p, static_cast<long>(ca_der.size()));
  p = reinterpret_cast<const unsigned char*>(leaf_der.data());
  X509* leaf = d2i_X509(nullptr, &p, static_cast<long>(leaf_der.size()));
  OCSP_REQUEST* req = OCSP_REQUEST_new();
  OCSP_request_add0_id(req, OCSP_cert_to_id(EVP_sha1(), leaf, ca));
  if (nonce) OCSP_request_add1_nonce(req, nullptr, -1);
  unsigned char* out = nullptr;
  const int n = i2d_OCSP_REQUEST(req, &out);
  std::string der(reinterpret_cast<char*>(out), static_cast<size_t>(n));
  OPENSSL_free(out);
  OCSP_REQUEST_free(req);
  X509_free(leaf);
  X509_free(ca);
  return der;
}

struct Fixture {
  std::string dir = std::filesystem::temp_directory_path() / ("tp-ocsp-bench-" + std::to_string(getpid()));
  std::unique_ptr<store::Database> db;
  std::optional<pki::CertDb> certdb;
  std::optional<pki::OcspResponder> responder;
  std::string plain, with_nonce;

  Fixture() {
    std::filesystem::create_directories(dir);
    auto key = Must(pki::PrivateKey::Generate({}));
    pki::CertificateRequest root;
    root.subject.cn = "bench OCSP root";
    root.ca = pki::CaSettings{};
    auto root_cert = Must(pki::SelfSign(Must(pki::Csr::Generate(root, key)), key, pki::SigningProfile::ForCa(*root.ca)));
    auto ca = Must(x509::Certificate::FromDer(root_cert.der));
    auto signer = Must(pki::Signer::Create(ca, key, Must(pki::ParseSigningConfig(
        R"({"signing": {"default": {"expiry": "24h", "usages": ["digital signature", "client auth"]}}})"))));
    pki::CertificateRequest leaf;
    leaf.subject.cn = "bench client";
    auto cert = Must(signer.Sign(Must(pki::Csr::Generate(leaf, Must(pki::PrivateKey::Generate({}))))));
    db = Must(store::OpenDatabase(dir + "/certs.db"));
    certdb.emplace(Must(pki::CertDb::Open(*db)));
    pki::CertificateRecord rec;
    rec.serial_number = cert.serial_decimal();
    rec.authority_key_identifier = cert.authority_key_id;
    rec.expiry = cert.not_after;
    rec.pem = cert.ToPem();
    if (!certdb->InsertCertificate(rec).ok()) std::abort();
    responder.emplace(Must(pki::OcspResponder::Create(ca, ca, key, &*certdb)));
    plain = RequestDer(root_cert.der, cert.der, false);
    with_nonce = RequestDer(root_cert.der, cert.der, true);
  }
  ~Fixture() { std::filesystem::remove_all(dir); }
};

void BM_OcspPresigned(benchmark::State& state) {
  Fixture f;
  for (auto _ : state) benchmark::DoNotOptimize(f.responder->Respond(f.plain));
}
BENCHMARK(BM_OcspPresigned)->Unit(benchmark::kMicrosecond);

void BM_OcspWithNonce(benchmark::State& state) {
  Fixture f;
  for (auto _ : state) benchmark::DoNotOptimize(f.responder->Respond(f.with_nonce));
}
BENCHMARK(BM_OcspWithNonce)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
