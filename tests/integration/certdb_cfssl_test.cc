// A certdb trustplane wrote is one cfssl's own tools can use: Debian's
// `cfssl ocsprefresh` and `cfssl ocspdump` run against it, on SQLite and on
// PostgreSQL, with one good and one revoked certificate.
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "cli_fixture.h"
#include "support/postgres_server.h"

namespace trustplane::testing {
namespace {

constexpr const char* kCfssl = "/usr/bin/cfssl";

class CertDbCfsslTest : public CliTest, public ::testing::WithParamInterface<bool> {
 protected:
  bool postgres() const { return GetParam(); }
  std::string Stem(const std::string& name) const { return dir().Join("files/" + name); }
  ProcessResult Run(const std::vector<std::string>& argv) const { return RunProcess(argv); }

  // Issues two leaves into a trustplane certdb and revokes the second; returns
  // cfssl's db-config for the same database.
  void IssueAndRevoke(std::string* cfssl_db_config) {
    std::string db = "sqlite://" + Stem("certs.db");
    std::string cfssl_source = Stem("certs.db");
    if (postgres()) {
      PostgresServer* pg = PostgresServer::Shared();
      ASSERT_NE(pg, nullptr);
      db = pg->NewDatabaseUrl();
      // lib/pq asks for TLS unless told not to; the test server listens on a socket.
      cfssl_source = db + "&sslmode=disable";
    }
    Write("ca.json", R"({"CN": "cfssl compat CA", "names": [{"O": "Test"}]})");
    auto ca = Tp({"ca", "init", Stem("ca.json"), "--bare", Stem("ca")});
    ASSERT_EQ(ca.exit_code, 0) << ca.err;
    Write("config.json", R"({"signing": {"default": {"expiry": "168h"}, "profiles": {
        "client": {"usages": ["signing", "key encipherment", "client auth"], "expiry": "8760h"}}}})");
    for (const char* name : {"good", "revoked"}) {
      Write(std::string(name) + ".json", std::string(R"({"CN": ")") + name + R"(.example.com"})");
      auto leaf = Tp({"ca", "gencert", "--ca", Stem("ca.pem"), "--ca-key", Stem("ca-key.pem"), "--config",
                      Stem("config.json"), "--profile", "client", "--db", db, Stem(std::string(name) + ".json"),
                      "--bare", Stem(name)});
      ASSERT_EQ(leaf.exit_code, 0) << leaf.err;
    }
    const std::string hex = OpensslSerialHex(Stem("revoked.pem"));
    auto ski = Run({"openssl", "x509", "-in", Stem("ca.pem"), "-noout", "-ext", "subjectKeyIdentifier"});
    const std::string key_id = ski.out.substr(ski.out.find('\n') + 1);
    auto revoke = Tp({"ca", "revoke", "0x" + hex, "--aki", key_id, "--reason", "keyCompromise", "--db", db});
    ASSERT_EQ(revoke.exit_code, 0) << revoke.err;
    *cfssl_db_config = Write("cfssl-db.json", nlohmann::json{{"driver", postgres() ? "postgres" : "sqlite3"},
                                                             {"data_source", cfssl_source}}
                                                  .dump());
  }
};

TEST_P(CertDbCfsslTest, CfsslOcsprefreshAndOcspdumpReadOurCertdb) {
  if (access(kCfssl, X_OK) != 0) GTEST_SKIP() << "Debian's cfssl is not installed";
  std::string config;
  ASSERT_NO_FATAL_FAILURE(IssueAndRevoke(&config));

  auto refresh = Run({kCfssl, "ocsprefresh", "-db-config", config, "-ca", Stem("ca.pem"), "-responder",
                      Stem("ca.pem"), "-responder-key", Stem("ca-key.pem")});
  ASSERT_EQ(refresh.exit_code, 0) << refresh.out << refresh.err;
  auto dump = Run({kCfssl, "ocspdump", "-db-config", config});
  ASSERT_EQ(dump.exit_code, 0) << dump.out << dump.err;

  // One base64 response per certificate; openssl reads one good and one
  // revoked (keyCompromise), both signed by the CA.
  std::istringstream lines(dump.out);
  std::string line, statuses;
  int n = 0;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    const std::string b64 = Write("resp" + std::to_string(n) + ".b64", line + "\n");
    const std::string der = Stem("resp" + std::to_string(n) + ".der");
    ASSERT_EQ(Run({"openssl", "base64", "-d", "-A", "-in", b64, "-out", der}).exit_code, 0);
    // cfssl leaves the signer's certificate out: name the CA as the responder.
    auto text = Run({"openssl", "ocsp", "-respin", der, "-resp_text", "-VAfile", Stem("ca.pem")});
    EXPECT_NE((text.out + text.err).find("Response verify OK"), std::string::npos) << text.out << text.err;
    if (text.out.find("Cert Status: revoked") != std::string::npos) {
      statuses += "revoked ";
      EXPECT_NE(text.out.find("Revocation Reason: keyCompromise"), std::string::npos) << text.out;
    } else if (text.out.find("Cert Status: good") != std::string::npos) {
      statuses += "good ";
    }
    ++n;
  }
  EXPECT_EQ(n, 2) << dump.out;
  EXPECT_TRUE(statuses == "good revoked " || statuses == "revoked good ") << statuses;
}

INSTANTIATE_TEST_SUITE_P(Engines, CertDbCfsslTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Postgres" : "Sqlite"; });

}  // namespace
}  // namespace trustplane::testing
