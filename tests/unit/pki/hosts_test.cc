#include "trustplane/pki/hosts.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace trustplane::pki {
namespace {

using Names = std::vector<std::string>;

TEST(ClassifyHostsTest, EachFormBecomesItsSanKind) {
  const SubjectAltNameSet sans =
      ClassifyHosts({"svc.example.com", "10.0.0.1", "::1", "2001:db8::17", "ops@example.com",
                     "spiffe://acme/ns/prod/sa/svc", "*.example.com"});
  EXPECT_EQ(sans.dns, (Names{"svc.example.com", "*.example.com"}));
  EXPECT_EQ(sans.ip, (Names{"10.0.0.1", "::1", "2001:db8::17"}));
  EXPECT_EQ(sans.email, (Names{"ops@example.com"}));
  EXPECT_EQ(sans.uri, (Names{"spiffe://acme/ns/prod/sa/svc"}));
  EXPECT_FALSE(sans.empty());
}

TEST(ClassifyHostsTest, UrisNeedASchemeAndMoreThanAPort) {
  const SubjectAltNameSet sans =
      ClassifyHosts({"https://api.example.com/v1", "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6",
                     "spiffe://x/y", "host.example.com:8443", "localhost:80"});
  EXPECT_EQ(sans.uri, (Names{"https://api.example.com/v1",
                             "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6", "spiffe://x/y"}));
  // A host with a port is not a URI; it stays a (bad) DNS name for the lint to refuse.
  EXPECT_EQ(sans.dns, (Names{"host.example.com:8443", "localhost:80"}));
  EXPECT_TRUE(sans.email.empty());
}

TEST(ClassifyHostsTest, NothingIsDroppedOrValidatedHere) {
  const SubjectAltNameSet sans = ClassifyHosts({"not a host", "256.1.1.1", "a@b@c"});
  EXPECT_EQ(sans.dns, (Names{"not a host", "256.1.1.1"}));  // not an IPv4 address
  EXPECT_EQ(sans.email, (Names{"a@b@c"}));
  EXPECT_TRUE(sans.ip.empty());
  EXPECT_TRUE(ClassifyHosts({}).empty());
}

TEST(ClassifyHostsTest, HostsListsDnsIpEmailUriInOrder) {
  const SubjectAltNameSet sans = ClassifyHosts(
      {"spiffe://x/y", "ops@example.com", "10.0.0.1", "b.example.com", "a.example.com"});
  EXPECT_EQ(sans.Hosts(), (Names{"b.example.com", "a.example.com", "10.0.0.1", "ops@example.com",
                                 "spiffe://x/y"}));
  // Classifying Hosts() again gives the same set.
  const SubjectAltNameSet again = ClassifyHosts(sans.Hosts());
  EXPECT_EQ(again.dns, sans.dns);
  EXPECT_EQ(again.ip, sans.ip);
  EXPECT_EQ(again.email, sans.email);
  EXPECT_EQ(again.uri, sans.uri);
}

TEST(DnsNameErrorTest, AcceptsUsualNames) {
  for (const std::string& name : std::vector<std::string>{
           "example.com", "svc.example.com", "*.example.com", "localhost", "a-b.example.com",
           "_acme-challenge.example.com", "xn--bcher-kva.de", std::string(63, 'a') + ".com"}) {
    EXPECT_EQ(DnsNameError(name), "") << name;
  }
}

TEST(DnsNameErrorTest, RefusesMalformedNames) {
  for (const std::string& name : std::vector<std::string>{
           std::string(""), std::string("example.com."), std::string("a..b"),
           std::string(".example.com"), std::string("-a.example.com"),
           std::string("a-.example.com"), std::string("exa mple.com"), std::string("host:8443"),
           std::string("*"), std::string("*."), std::string("a.*.example.com"),
           std::string("*foo.example.com"), std::string("**.example.com"),
           std::string(64, 'a') + ".com",
           std::string(250, 'a').insert(63, ".").insert(127, ".").insert(191, ".") + ".com"}) {
    EXPECT_NE(DnsNameError(name), "") << "'" << name << "' accepted";
  }
}

TEST(EmailErrorTest, AcceptsAndRefuses) {
  EXPECT_EQ(EmailError("ops@example.com"), "");
  EXPECT_EQ(EmailError("first.last+tag@mail.example.com"), "");
  for (const std::string& email : std::vector<std::string>{
           "@example.com", "ops", "a@b@example.com", "ops@", "ops@exa mple.com", "o ps@example.com",
           "ops@*.example.com", "ops@example..com", "\xC3\xA9@example.com"}) {
    EXPECT_NE(EmailError(email), "") << "'" << email << "' accepted";
  }
}

TEST(UriErrorTest, AcceptsAndRefuses) {
  for (const std::string& uri :
       std::vector<std::string>{"spiffe://acme/svc", "https://ca.example/crl.der", "urn:x:y",
                                "http://ocsp.example.com"}) {
    EXPECT_EQ(UriError(uri), "") << uri;
  }
  for (const std::string& uri :
       std::vector<std::string>{"", "no-scheme", "spiffe:", "://x", "1http://x", "https://a b/",
                                "https://ex\xC3\xA4mple/"}) {
    EXPECT_NE(UriError(uri), "") << "'" << uri << "' accepted";
  }
}

// RFC 5280 4.2.1.6: a URI that includes an authority MUST include a host (an
// FQDN or IP address), and a SPIFFE ID needs a trust domain.
TEST(UriErrorTest, RefusesAnEmptyAuthority) {
  for (const std::string& uri :
       std::vector<std::string>{"spiffe://", "https:///x", "spiffe:///ns/a"}) {
    EXPECT_NE(UriError(uri), "") << "'" << uri << "' accepted";
  }
}

}  // namespace
}  // namespace trustplane::pki
