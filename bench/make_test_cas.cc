// Writes N distinct self-signed P-256 CA certificates (distinct keys,
// subjects and serials) as DIR/ca-00000.pem ..., for the onboarding benchmark.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "support/test_pki.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s COUNT DIR\n", argv[0]);
    return 2;
  }
  const int count = std::atoi(argv[1]);
  const std::string dir = argv[2];
  for (int i = 0; i < count; ++i) {
    trustplane::testing::CertSpec spec;
    spec.cn = "bench ca " + std::to_string(i);
    spec.org = "trustplane bench";
    spec.is_ca = true;
    spec.fresh_key = true;
    auto issued = trustplane::testing::MakeSelfSigned(spec);
    char name[32];
    std::snprintf(name, sizeof name, "/ca-%05d.pem", i);
    std::ofstream(dir + name) << issued.cert_pem;
  }
  return 0;
}
