// The CA's local signer: a P-256 CSR signed by a P-256 CA with a client
// profile, per certificate. BM_SignPemCsr is what a sign request costs the
// server before HTTP, JSON and the certdb (PEM CSR in, PEM certificate out);
// the others split it into the CSR check and the signing itself.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <iostream>

#include "trustplane/pki/csr.h"
#include "trustplane/pki/signer.h"

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

struct Fixture {
  pki::Signer signer;
  std::string leaf_csr_pem;

  static Fixture Make() {
    pki::CertificateRequest root;
    root.subject.cn = "bench root";
    root.ca = pki::CaSettings{};
    auto root_key = Must(pki::PrivateKey::Generate({}));
    auto root_csr = Must(pki::Csr::Generate(root, root_key));
    auto root_cert = Must(pki::SelfSign(root_csr, root_key, pki::SigningProfile::ForCa(*root.ca)));
    auto config = Must(pki::ParseSigningConfig(R"({"signing": {"default": {"expiry": "168h"},
        "profiles": {"client": {"usages": ["signing", "key encipherment", "client auth"],
                                "expiry": "8760h"}}}})"));
    auto signer = Must(pki::Signer::Create(Must(x509::Certificate::FromDer(root_cert.der)), root_key,
                                           std::move(config)));
    pki::CertificateRequest leaf;
    leaf.subject.cn = "bench client";
    leaf.hosts = {"client.example.com", "spiffe://example.com/bench"};
    auto leaf_csr = Must(pki::Csr::Generate(leaf, Must(pki::PrivateKey::Generate({}))));
    return Fixture{std::move(signer), leaf_csr.ToPem()};
  }
};

pki::SignOptions ClientProfile() {
  pki::SignOptions options;
  options.profile = "client";
  return options;
}

void BM_SignPemCsr(benchmark::State& state) {
  const Fixture f = Fixture::Make();
  const pki::SignOptions options = ClientProfile();
  for (auto _ : state) {
    auto csr = pki::Csr::FromPem(f.leaf_csr_pem);
    auto cert = f.signer.Sign(*csr, options);
    if (!cert.ok()) state.SkipWithError(cert.status().message().c_str());
    benchmark::DoNotOptimize(cert->ToPem());
  }
}
BENCHMARK(BM_SignPemCsr)->Unit(benchmark::kMicrosecond);

void BM_ParseAndVerifyCsr(benchmark::State& state) {
  const Fixture f = Fixture::Make();
  for (auto _ : state) benchmark::DoNotOptimize(pki::Csr::FromPem(f.leaf_csr_pem));
}
BENCHMARK(BM_ParseAndVerifyCsr)->Unit(benchmark::kMicrosecond);

void BM_SignParsedCsr(benchmark::State& state) {
  const Fixture f = Fixture::Make();
  const auto csr = Must(pki::Csr::FromPem(f.leaf_csr_pem));
  const pki::SignOptions options = ClientProfile();
  for (auto _ : state) benchmark::DoNotOptimize(f.signer.Sign(csr, options));
}
BENCHMARK(BM_SignParsedCsr)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
