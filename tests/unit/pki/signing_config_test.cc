#include "trustplane/pki/signing_config.h"

#include <gtest/gtest.h>
#include <openssl/obj_mac.h>
#include <openssl/x509v3.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "support/temp_dir.h"
#include "trustplane/base/encoding.h"

namespace trustplane::pki {
namespace {

using testing::TempDir;

constexpr int64_t kHour = 3600;
constexpr char kHexKey[] = "00112233445566778899aabbccddeeff";

// The shape of a typical cfssl ca-config.json.
constexpr char kConfig[] = R"({
  "signing": {
    "default": {
      "expiry": "168h",
      "ocsp_url": "http://ocsp.example.com",
      "crl_url": "http://crl.example.com/ca.crl",
      "issuer_urls": ["http://ca.example.com/ca.der"]
    },
    "profiles": {
      "server": {
        "usages": ["signing", "key encipherment", "server auth"],
        "expiry": "8760h"
      },
      "client": {
        "usages": ["digital signature", "client auth"],
        "expiry": "1h30m",
        "backdate": "10m",
        "ocsp_url": "http://ocsp2.example.com",
        "auth_key": "primary"
      },
      "intermediate": {
        "usages": ["cert sign", "crl sign"],
        "expiry": "43800h",
        "ca_constraint": {"is_ca": true, "max_path_len": 0, "max_path_len_zero": true}
      }
    }
  },
  "auth_keys": {"primary": {"type": "standard", "key": "00112233445566778899aabbccddeeff"}}
})";

SigningConfig MustParse(const std::string& json) {
  auto config = ParseSigningConfig(json);
  EXPECT_TRUE(config.ok()) << config.status().ToString();
  return config.ok() ? std::move(config).value() : SigningConfig{};
}

// A profile inside an otherwise minimal config.
std::string WithProfile(const std::string& profile_json) {
  return R"({"signing": {"profiles": {"p": )" + profile_json + "}}}";
}

// Refused with kInvalidArgument and a message that contains every piece.
void ExpectRefused(const std::string& json, const std::vector<std::string>& pieces) {
  auto config = ParseSigningConfig(json);
  ASSERT_FALSE(config.ok()) << "accepted: " << json;
  EXPECT_EQ(config.status().code(), ErrorCode::kInvalidArgument) << config.status().ToString();
  for (const auto& piece : pieces) {
    EXPECT_NE(config.status().message().find(piece), std::string::npos)
        << "'" << piece << "' not in: " << config.status().message();
  }
}

TEST(SigningConfigTest, ParsesProfilesUsagesAndExpiry) {
  const SigningConfig config = MustParse(kConfig);
  ASSERT_EQ(config.profiles.size(), 3u);

  const SigningProfile& server = config.profiles.at("server");
  EXPECT_EQ(server.expiry_seconds, 8760 * kHour);
  EXPECT_EQ(server.backdate_seconds, 0);
  EXPECT_EQ(server.usages.key_usage, KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT);
  EXPECT_EQ(server.usages.ext_key_usage, std::vector<int>{NID_server_auth});
  EXPECT_FALSE(server.ca_constraint.is_ca);
  EXPECT_EQ(server.usage_names,
            (std::vector<std::string>{"signing", "key encipherment", "server auth"}));

  const SigningProfile& client = config.profiles.at("client");
  EXPECT_EQ(client.expiry_seconds, 90 * 60);
  EXPECT_EQ(client.backdate_seconds, 10 * 60);
  EXPECT_EQ(client.usages.key_usage, KU_DIGITAL_SIGNATURE);
  EXPECT_EQ(client.usages.ext_key_usage, std::vector<int>{NID_client_auth});
  EXPECT_EQ(client.auth_key, "primary");

  const SigningProfile& intermediate = config.profiles.at("intermediate");
  EXPECT_TRUE(intermediate.ca_constraint.is_ca);
  EXPECT_EQ(intermediate.ca_constraint.PathLen(), 0);
  EXPECT_TRUE(intermediate.usages.cert_sign());
  EXPECT_EQ(intermediate.expiry_seconds, 43800 * kHour);

  EXPECT_EQ(config.default_profile.expiry_seconds, 168 * kHour);
}

TEST(SigningConfigTest, ProfilesInheritTheDefaultsUrls) {
  const SigningConfig config = MustParse(kConfig);
  const SigningProfile& server = config.profiles.at("server");
  EXPECT_EQ(server.ocsp_url, "http://ocsp.example.com");
  EXPECT_EQ(server.crl_url, "http://crl.example.com/ca.crl");
  EXPECT_EQ(server.issuer_urls, std::vector<std::string>{"http://ca.example.com/ca.der"});
  // A profile's own URL wins.
  EXPECT_EQ(config.profiles.at("client").ocsp_url, "http://ocsp2.example.com");
  EXPECT_EQ(config.profiles.at("client").crl_url, "http://crl.example.com/ca.crl");
}

TEST(SigningConfigTest, ProfileLookup) {
  const SigningConfig config = MustParse(kConfig);
  auto def = config.Profile("");
  ASSERT_TRUE(def.ok());
  EXPECT_EQ(*def, &config.default_profile);
  auto server = config.Profile("server");
  ASSERT_TRUE(server.ok());
  EXPECT_EQ((*server)->expiry_seconds, 8760 * kHour);

  auto missing = config.Profile("serverr");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.status().message().find("serverr"), std::string::npos);
  EXPECT_NE(missing.status().message().find("server"), std::string::npos);
  EXPECT_NE(missing.status().message().find("intermediate"), std::string::npos);
}

TEST(SigningConfigTest, DefaultProfileIsCfsslsWhenAbsent) {
  const SigningConfig config = MustParse(R"({"signing": {}})");
  EXPECT_TRUE(config.profiles.empty());
  EXPECT_EQ(config.default_profile.expiry_seconds, 8760 * kHour);
  EXPECT_EQ(config.default_profile.usages.key_usage, KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT);
  EXPECT_EQ(config.default_profile.usages.ext_key_usage,
            (std::vector<int>{NID_server_auth, NID_client_auth}));
  EXPECT_FALSE(config.default_profile.ca_constraint.is_ca);
}

TEST(SigningConfigTest, DefaultProfileNeedsExpiryButNotUsages) {
  const SigningConfig config = MustParse(R"({"signing": {"default": {"expiry": "1h"}}})");
  EXPECT_EQ(config.default_profile.expiry_seconds, kHour);
  ExpectRefused(R"({"signing": {"default": {"usages": ["signing"]}}})",
                {"signing.default.expiry", "required"});
}

TEST(SigningConfigTest, KeysMatchCaseInsensitively) {
  const SigningConfig config = MustParse(R"({
    "Signing": {
      "Default": {"Expiry": "2h"},
      "PROFILES": {
        "Client": {"Usages": ["signing", "client auth"], "EXPIRY": "1h", "BackDate": "1m",
                   "CA_Constraint": {"Is_CA": false}, "Auth_Key": "k"},
        "ca": {"usages": ["cert sign"], "expiry": "1h",
               "ca_constraint": {"IS_CA": true, "Max_Path_Len": 2}},
        "csr": {"usages": ["signing"], "expiry": "1h", "ClientProvidesSerialNumbers": true,
                "CSRWhitelist": {"PublicKey": true, "PublicKeyAlgorithm": true, "DNSNames": true}}
      }
    },
    "Auth_Keys": {"k": {"Type": "standard", "Key": "00112233445566778899aabbccddeeff"}}
  })");
  EXPECT_EQ(config.default_profile.expiry_seconds, 2 * kHour);
  ASSERT_EQ(config.profiles.count("Client"), 1u);  // profile names keep their case
  EXPECT_EQ(config.profiles.at("Client").expiry_seconds, kHour);
  EXPECT_EQ(config.profiles.at("Client").backdate_seconds, 60);
  EXPECT_EQ(config.profiles.at("Client").auth_key, "k");
  EXPECT_TRUE(config.profiles.at("ca").ca_constraint.is_ca);
  EXPECT_EQ(config.profiles.at("ca").ca_constraint.PathLen(), 2);
  EXPECT_TRUE(config.profiles.at("csr").client_provides_serial_numbers);
  ASSERT_TRUE(config.profiles.at("csr").csr_whitelist.has_value());
  EXPECT_TRUE(config.profiles.at("csr").csr_whitelist->dns_names);
  EXPECT_FALSE(config.profiles.at("csr").csr_whitelist->subject);
  ASSERT_EQ(config.auth_keys.count("k"), 1u);
  EXPECT_EQ(HexEncode(config.auth_keys.at("k").key), kHexKey);
}

TEST(SigningConfigTest, CaConstraintPathLengthFollowsGo) {
  const auto path_len = [](const std::string& constraint) {
    return MustParse(WithProfile(R"({"usages": ["cert sign"], "expiry": "1h", "ca_constraint": )" +
                                 constraint + "}"))
        .profiles["p"]
        .ca_constraint.PathLen();
  };
  EXPECT_EQ(path_len(R"({"is_ca": true, "max_path_len": 3})"), 3);
  EXPECT_EQ(path_len(R"({"is_ca": true, "max_path_len": 0, "max_path_len_zero": true})"), 0);
  // Go cannot tell 0 from absent: no limit.
  EXPECT_FALSE(path_len(R"({"is_ca": true, "max_path_len": 0})").has_value());
  EXPECT_FALSE(path_len(R"({"is_ca": true})").has_value());
  EXPECT_FALSE(path_len(R"({"is_ca": true, "max_path_len": -1})").has_value());
  ExpectRefused(WithProfile(R"({"usages": ["cert sign"], "expiry": "1h",
                                "ca_constraint": {"is_ca": true, "max_path_len": -2}})"),
                {"signing.profiles.p.ca_constraint.max_path_len"});
}

TEST(SigningConfigTest, AuthKeysResolveHexEnvAndFile) {
  TempDir dir;
  testing::WriteFile(dir.Join("key.hex"), std::string(kHexKey) + "\n");
  ASSERT_EQ(setenv("TP_PKITESTS_CONFIG_KEY", "ffeeddccbbaa99887766554433221100", 1), 0);
  const SigningConfig config = MustParse(R"({
    "signing": {"default": {"expiry": "1h", "auth_key": "from-env"}},
    "auth_keys": {
      "inline": {"type": "standard", "key": "00112233445566778899AABBCCDDEEFF"},
      "from-env": {"type": "standard", "key": "env:TP_PKITESTS_CONFIG_KEY"},
      "from-file": {"type": "standard", "key": "file:)" +
                                         dir.Join("key.hex") + R"("}
    }
  })");
  unsetenv("TP_PKITESTS_CONFIG_KEY");
  ASSERT_EQ(config.auth_keys.size(), 3u);
  EXPECT_EQ(HexEncode(config.auth_keys.at("inline").key), kHexKey);
  EXPECT_EQ(HexEncode(config.auth_keys.at("from-env").key), "ffeeddccbbaa99887766554433221100");
  EXPECT_EQ(HexEncode(config.auth_keys.at("from-file").key), kHexKey);
  EXPECT_EQ(config.auth_keys.at("inline").type, "standard");
  EXPECT_EQ(config.default_profile.auth_key, "from-env");
}

TEST(SigningConfigTest, RefusesBadAuthKeys) {
  ExpectRefused(R"({"signing": {}, "auth_keys": {"k": {"type": "standard", "key": "xyz"}}})",
                {"auth_keys.k.key", "hex"});
  ExpectRefused(R"({"signing": {}, "auth_keys": {"k": {"type": "standard", "key": ""}}})",
                {"auth_keys.k.key"});
  unsetenv("TP_PKITESTS_NO_SUCH_VAR");
  ExpectRefused(
      R"({"signing": {}, "auth_keys": {"k": {"type": "standard", "key": "env:TP_PKITESTS_NO_SUCH_VAR"}}})",
      {"auth_keys.k.key", "TP_PKITESTS_NO_SUCH_VAR"});
  ExpectRefused(
      R"({"signing": {}, "auth_keys": {"k": {"type": "standard", "key": "file:/nonexistent/tp.key"}}})",
      {"auth_keys.k.key", "/nonexistent/tp.key"});
  ExpectRefused(R"({"signing": {}, "auth_keys": {"k": {"type": "hmac", "key": "0011"}}})",
                {"auth_keys.k.type", "hmac"});
  ExpectRefused(
      R"({"signing": {}, "auth_keys": {"k": {"type": "standard", "key": "0011", "extra": 1}}})",
      {"auth_keys.k.extra", "unknown field"});
}

TEST(SigningConfigTest, RefusesAuthKeyNamesMissingFromAuthKeys) {
  const std::string keys = R"(, "auth_keys": {"present": {"type": "standard", "key": "0011"}}})";
  ExpectRefused(R"({"signing": {"profiles": {"client": {"usages": ["client auth"], "expiry": "1h",
                     "auth_key": "absent"}}})" +
                    keys,
                {"signing.profiles.client.auth_key", "'absent'", "auth_keys"});
  ExpectRefused(R"({"signing": {"default": {"expiry": "1h", "auth_key": "present",
                     "prev_auth_key": "old"}})" +
                    keys,
                {"signing.default.prev_auth_key", "'old'"});
  // Without any auth_keys section at all.
  ExpectRefused(WithProfile(R"({"usages": ["signing"], "expiry": "1h", "auth_key": "k"})"),
                {"signing.profiles.p.auth_key", "'k'"});
}

TEST(SigningConfigTest, RefusesUnknownFieldsNamingThem) {
  ExpectRefused(R"({"signing": {}, "signin": {}})", {"config.signin", "unknown field"});
  ExpectRefused(R"({"signing": {"defaults": {}}})", {"signing.defaults", "unknown field"});
  ExpectRefused(WithProfile(R"({"usages": ["signing"], "expiry": "1h", "expires": "2h"})"),
                {"signing.profiles.p.expires", "unknown field"});
  ExpectRefused(
      WithProfile(R"({"usages": ["signing"], "expiry": "1h", "ca_constraint": {"isca": true}})"),
      {"signing.profiles.p.ca_constraint.isca", "unknown field"});
}

TEST(SigningConfigTest, RefusesBadDurationsNamingTheField) {
  ExpectRefused(WithProfile(R"({"usages": ["signing"], "expiry": "1y"})"),
                {"signing.profiles.p.expiry", "'1y'"});
  ExpectRefused(WithProfile(R"({"usages": ["signing"], "expiry": "365d"})"),
                {"signing.profiles.p.expiry", "'365d'"});
  ExpectRefused(WithProfile(R"({"usages": ["signing"], "expiry": "1h", "backdate": "5 minutes"})"),
                {"signing.profiles.p.backdate", "'5 minutes'"});
  ExpectRefused(WithProfile(R"({"usages": ["signing"], "expiry": "-1h"})"),
                {"signing.profiles.p.expiry", "negative"});
  ExpectRefused(WithProfile(R"({"usages": ["signing"], "expiry": "0"})"),
                {"signing.profiles.p.expiry"});
  ExpectRefused(R"({"signing": {"default": {"expiry": "8760"}}})",
                {"signing.default.expiry", "'8760'"});
  ExpectRefused(WithProfile(R"({"usages": ["signing"], "expiry": 8760})"),
                {"signing.profiles.p.expiry", "string"});
}

TEST(SigningConfigTest, RefusesProfilesWithoutExpiryOrUsages) {
  ExpectRefused(WithProfile(R"({"usages": ["signing"]})"),
                {"signing.profiles.p.expiry", "required"});
  ExpectRefused(WithProfile(R"({"expiry": "1h"})"), {"signing.profiles.p.usages"});
  ExpectRefused(WithProfile(R"({"usages": [], "expiry": "1h"})"), {"signing.profiles.p.usages"});
}

TEST(SigningConfigTest, RefusesUnknownUsagesAndWrongTypes) {
  ExpectRefused(WithProfile(R"({"usages": ["signing", "server-auth"], "expiry": "1h"})"),
                {"signing.profiles.p.usages", "'server-auth'"});
  ExpectRefused(WithProfile(R"({"usages": "signing", "expiry": "1h"})"),
                {"signing.profiles.p.usages", "list"});
  ExpectRefused(WithProfile(R"({"usages": ["signing", 7], "expiry": "1h"})"),
                {"signing.profiles.p.usages"});
  ExpectRefused(WithProfile(R"({"usages": ["signing"], "expiry": "1h", "ocsp_no_check": "yes"})"),
                {"signing.profiles.p.ocsp_no_check"});
  ExpectRefused(R"({"signing": {"profiles": []}})", {"signing.profiles"});
  ExpectRefused(R"({"signing": {"profiles": {"p": "server"}}})", {"signing.profiles.p"});
}

TEST(SigningConfigTest, RefusesMalformedOrIncompleteDocuments) {
  ExpectRefused("", {});
  ExpectRefused(R"({"signing": {"default": {"expiry": "1h"}})", {});  // unbalanced
  ExpectRefused("[]", {"config"});
  ExpectRefused(R"({"auth_keys": {}})", {"signing"});
}

TEST(SigningConfigTest, NameWhitelistCompilesAndMatchesWholeNames) {
  const SigningConfig config = MustParse(WithProfile(
      R"({"usages": ["signing"], "expiry": "1h", "name_whitelist": "([a-z0-9-]+\\.)?example\\.com"})"));
  const SigningProfile& p = config.profiles.at("p");
  ASSERT_NE(p.name_whitelist_regex, nullptr);
  EXPECT_TRUE(p.NameAllowed("example.com"));
  EXPECT_TRUE(p.NameAllowed("svc.example.com"));
  EXPECT_FALSE(p.NameAllowed("example.com.evil.net"));
  EXPECT_FALSE(p.NameAllowed("evil-example.com.net"));
  EXPECT_FALSE(p.NameAllowed("a.b.example.com"));

  ExpectRefused(
      WithProfile(R"({"usages": ["signing"], "expiry": "1h", "name_whitelist": "(unclosed"})"),
      {"signing.profiles.p.name_whitelist", "(unclosed"});
  // No whitelist admits every name.
  EXPECT_TRUE(MustParse(kConfig).profiles.at("server").NameAllowed("anything.at.all"));
}

TEST(SigningConfigTest, RemoteProfilesNeedAKnownRemoteButNoExpiry) {
  const SigningConfig config = MustParse(R"({
    "signing": {"profiles": {"r": {"remote": "ca-server"}}},
    "remotes": {"ca-server": "https://ca.example:8888"}
  })");
  EXPECT_EQ(config.profiles.at("r").remote, "ca-server");
  EXPECT_EQ(config.remotes.at("ca-server"), "https://ca.example:8888");
  ExpectRefused(R"({"signing": {"profiles": {"r": {"remote": "elsewhere"}}}})",
                {"signing.profiles.r.remote", "'elsewhere'"});
}

TEST(SigningConfigTest, RefusesSettingsItCannotHonour) {
  ExpectRefused(WithProfile(R"({"usages": ["signing"], "expiry": "1h", "copy_extensions": true})"),
                {"signing.profiles.p.copy_extensions"});
  ExpectRefused(
      WithProfile(R"({"usages": ["signing"], "expiry": "1h", "ct_log_servers": ["https://ct"]})"),
      {"signing.profiles.p.ct_log_servers"});
  ExpectRefused(WithProfile(R"({"usages": ["signing"], "expiry": "1h", "cert_store": "x"})"),
                {"signing.profiles.p.cert_store"});
  // zlint settings are accepted (and have no effect).
  MustParse(WithProfile(R"({"usages": ["signing"], "expiry": "1h", "lint_error_level": 3,
                            "ignored_lints": ["e_sub_cert_aia_missing"], "copy_extensions": false})"));
}

TEST(SigningConfigTest, ValidatesUrlsAndOids) {
  ExpectRefused(
      WithProfile(R"({"usages": ["signing"], "expiry": "1h", "ocsp_url": "ocsp.example.com"})"),
      {"signing.profiles.p.ocsp_url", "ocsp.example.com"});
  ExpectRefused(
      WithProfile(R"({"usages": ["signing"], "expiry": "1h", "allowed_extensions": ["1.2.x"]})"),
      {"signing.profiles.p.allowed_extensions", "1.2.x"});
  const SigningConfig config = MustParse(WithProfile(R"({"usages": ["signing"], "expiry": "1h",
      "allowed_extensions": ["1.3.6.1.4.1.99999.1"],
      "policies": ["2.23.140.1.2.1",
                   {"ID": "1.3.6.1.4.1.99999.2", "Qualifiers": [
                      {"Type": "id-qt-cps", "Value": "https://ca.example.com/cps"},
                      {"Type": "id-qt-unotice", "Value": "test only"}]}]})"));
  const SigningProfile& p = config.profiles.at("p");
  ASSERT_EQ(p.policies.size(), 2u);
  EXPECT_EQ(p.policies[0].oid, "2.23.140.1.2.1");
  EXPECT_EQ(p.policies[1].oid, "1.3.6.1.4.1.99999.2");
  EXPECT_EQ(p.policies[1].cps_uris, std::vector<std::string>{"https://ca.example.com/cps"});
  EXPECT_EQ(p.policies[1].user_notices, std::vector<std::string>{"test only"});
  EXPECT_EQ(p.allowed_extensions, std::vector<std::string>{"1.3.6.1.4.1.99999.1"});
  ExpectRefused(
      WithProfile(R"({"usages": ["signing"], "expiry": "1h", "policies": ["not-an-oid"]})"),
      {"signing.profiles.p.policies", "not-an-oid"});
}

// An OID no encoder accepts ("3.1": first arc above 2; "1.40": second arc 40
// or more under arcs 0 and 1, X.660) is refused at parse time, naming the
// field, not later at signing time.
TEST(SigningConfigTest, RefusesOidsNoEncoderAccepts) {
  for (const std::string& oid : std::vector<std::string>{"3.1", "1.40", "0.99.1"}) {
    ExpectRefused(
        WithProfile(R"({"usages": ["signing"], "expiry": "1h", "policies": [")" + oid + R"("]})"),
        {"signing.profiles.p.policies", oid});
    ExpectRefused(
        WithProfile(R"({"usages": ["signing"], "expiry": "1h", "allowed_extensions": [")" + oid +
                    R"("]})"),
        {"signing.profiles.p.allowed_extensions", oid});
  }
}

TEST(SigningConfigTest, FixedValidityTimes) {
  const SigningConfig config = MustParse(WithProfile(R"({"usages": ["signing"], "expiry": "1h",
      "not_before": "2027-01-01T00:00:00Z", "not_after": "2027-02-01T00:00:00Z"})"));
  const SigningProfile& p = config.profiles.at("p");
  ASSERT_TRUE(p.not_before && p.not_after);
  EXPECT_EQ(*p.not_before, 1798761600);
  EXPECT_EQ(*p.not_after, 1801440000);
  const SigningProfile::Validity v = p.ValidityAt(1700000000);
  EXPECT_EQ(v.not_before, 1798761600);
  EXPECT_EQ(v.not_after, 1801440000);

  ExpectRefused(
      WithProfile(R"({"usages": ["signing"], "expiry": "1h", "not_before": "yesterday"})"),
      {"signing.profiles.p.not_before", "yesterday"});
  ExpectRefused(WithProfile(R"({"usages": ["signing"], "expiry": "1h",
      "not_before": "2027-02-01T00:00:00Z", "not_after": "2027-01-01T00:00:00Z"})"),
                {"signing.profiles.p.not_after"});
}

TEST(SigningProfileTest, ValidityRoundsToTheMinuteAndBackdates) {
  SigningProfile p = SigningProfile::Default();
  // 1800000000 is a whole minute; Go rounds half up.
  SigningProfile::Validity v = p.ValidityAt(1800000029);
  EXPECT_EQ(v.not_before, 1800000000 - 300);  // cfssl's default backdate: 5 minutes
  EXPECT_EQ(v.not_after, v.not_before + 8760 * kHour);
  EXPECT_EQ(p.ValidityAt(1800000030).not_before, 1800000060 - 300);

  p.backdate_seconds = kHour;
  p.expiry_seconds = 2 * kHour;
  v = p.ValidityAt(1800000000);
  EXPECT_EQ(v.not_before, 1800000000 - kHour);
  EXPECT_EQ(v.not_after, 1800000000 + kHour);
}

TEST(SigningConfigTest, LoadFileReadsAndPrefixesErrorsWithThePath) {
  TempDir dir;
  testing::WriteFile(dir.Join("ca-config.json"), kConfig);
  auto config = LoadSigningConfigFile(dir.Join("ca-config.json"));
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->profiles.size(), 3u);

  testing::WriteFile(dir.Join("bad.json"),
                     WithProfile(R"({"usages": ["signing"], "expiry": "1y"})"));
  auto bad = LoadSigningConfigFile(dir.Join("bad.json"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message().rfind(dir.Join("bad.json"), 0), 0u) << bad.status().message();
  EXPECT_NE(bad.status().message().find("signing.profiles.p.expiry"), std::string::npos);

  auto missing = LoadSigningConfigFile(dir.Join("absent.json"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(missing.status().message().find("absent.json"), std::string::npos);
}

}  // namespace
}  // namespace trustplane::pki
