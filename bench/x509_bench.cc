// Micro-benchmarks of the X.509 paths onboarding and verification run per certificate.
#include <benchmark/benchmark.h>

#include "support/test_pki.h"
#include "trustplane/x509/bundle.h"
#include "trustplane/x509/chain_verifier.h"

namespace {

using namespace trustplane;

void BM_ParsePemAndFingerprint(benchmark::State& state) {
  auto root = testing::MakeRootCa("bench root");
  for (auto _ : state) {
    auto bundle = x509::ParseBundle(root.cert_pem);
    benchmark::DoNotOptimize(bundle->certificates[0].sha256_hex());
  }
}
BENCHMARK(BM_ParsePemAndFingerprint);

// IsSignedBy, not VerifySelfSignature: the latter is memoized per certificate.
void BM_VerifyRootSignature(benchmark::State& state) {
  auto root = testing::MakeRootCa("bench root");
  for (auto _ : state) benchmark::DoNotOptimize(root.cert.IsSignedBy(root.cert));
}
BENCHMARK(BM_VerifyRootSignature);

void BM_VerifyClientChain(benchmark::State& state) {
  auto root = testing::MakeRootCa("bench root");
  auto inter = testing::MakeIntermediateCa("bench issuing", root);
  auto leaf = testing::MakeClientLeaf("bench client", inter);
  x509::TrustMaterial trust;
  trust.anchors.push_back(root.cert);
  trust.intermediates.push_back(inter.cert);
  x509::ChainVerifier verifier(trust);
  x509::VerifyOptions options;
  for (auto _ : state) {
    auto result = verifier.Verify(leaf.cert, {}, options);
    if (!result.ok) state.SkipWithError(result.detail.c_str());
  }
}
BENCHMARK(BM_VerifyClientChain);

}  // namespace

BENCHMARK_MAIN();
