// Parsing and checking a PEM-less CSR (DER) per request: Csr::FromDer (fast
// path: no eager key decode) against the straightforward d2i_X509_REQ +
// X509_REQ_verify, for the key types trustplane issues for.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <iostream>

#include "trustplane/pki/csr.h"

namespace {

using namespace trustplane;

std::string MakeCsr(const pki::KeySpec& spec) {
  pki::CertificateRequest request;
  request.subject.cn = "client.bench.example";
  request.hosts = {"client.bench.example"};
  auto key = pki::PrivateKey::Generate(spec);
  auto csr = key.ok() ? pki::Csr::Generate(request, *key) : key.status();
  if (!csr.ok()) {
    std::cerr << csr.status().ToString() << "\n";
    std::abort();
  }
  return csr->der();
}

pki::KeySpec Spec(int i) {
  switch (i) {
    case 0: return {"ecdsa", 256};
    case 1: return {"ecdsa", 384};
    case 2: return {"rsa", 2048};
    default: return {"ed25519", 0};
  }
}

void BM_FromDer(benchmark::State& state) {
  const std::string der = MakeCsr(Spec(static_cast<int>(state.range(0))));
  for (auto _ : state) benchmark::DoNotOptimize(pki::Csr::FromDer(der).ok());
}
BENCHMARK(BM_FromDer)->DenseRange(0, 3)->ArgName("p256_p384_rsa2048_ed25519");

void BM_FromDerStraightforward(benchmark::State& state) {
  const std::string der = MakeCsr(Spec(static_cast<int>(state.range(0))));
  for (auto _ : state) benchmark::DoNotOptimize(pki::Csr::FromDerStraightforward(der).ok());
}
BENCHMARK(BM_FromDerStraightforward)->DenseRange(0, 3)->ArgName("p256_p384_rsa2048_ed25519");

}  // namespace

BENCHMARK_MAIN();
