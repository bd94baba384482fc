// The Certificate Manager trust config (certificatemanager.googleapis.com/v1
// TrustConfig): the model the trust store renders, the YAML/JSON that
// `gcloud certificate-manager trust-configs import` reads and `export` writes,
// the service's documented limits, and a diff of two configs.
// Reference: shared/reference/gcp-mtls-trust-config-and-headers.md, sections 1 and 2.1.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "trustplane/base/status.h"
#include "trustplane/x509/certificate.h"

namespace trustplane::trust {

// Which list of the trust config a certificate belongs to.
enum class TrustKind { kAnchor, kIntermediate, kAllowlisted };
// "anchor", "intermediate", "allowlisted".
std::string_view TrustKindName(TrustKind kind);
// Accepts exactly the names TrustKindName returns; kInvalidArgument otherwise.
Result<TrustKind> ParseTrustKind(std::string_view name);

struct TrustConfig {
  std::string id;  // trust config id ("my-tc"); empty renders without a name
  std::string description;
  std::vector<x509::Certificate> anchors;        // trustStores[0].trustAnchors
  std::vector<x509::Certificate> intermediates;  // trustStores[0].intermediateCas
  std::vector<x509::Certificate> allowlisted;    // allowlistedCertificates

  // The canonical form: each list without duplicates (same SHA-256
  // fingerprint) and sorted by fingerprint, so equal sets compare and render
  // identically. A certificate listed under two kinds stays in both.
  void Canonicalize();
  // Certificates over all three lists.
  size_t size() const;

  friend bool operator==(const TrustConfig&, const TrustConfig&) = default;
};

// Checks Certificate Manager's trustConfigId rule, [a-z0-9-]{1,63}.
// kInvalidArgument naming the id, what is wrong with it, and the rule.
Status ValidateTrustConfigId(std::string_view id);

// Certificate Manager's limits for load-balancer mTLS (they cannot be raised).
struct TrustConfigLimits {
  size_t max_anchors_plus_intermediates = 200;  // per trust store
  size_t max_intermediates = 100;               // per trust store
  size_t max_allowlisted = 500;
  size_t max_pem_bytes = 5000;  // each certificate, as the PEM we render
  size_t max_trust_stores = 1;  // enforced by ParseTrustConfig: the model holds one store
};

// OK, or kPolicy naming every limit exceeded and by how much, e.g. "trust
// config exceeds Certificate Manager's limit of 200 trust anchors and
// intermediate CAs per trust store: has 214 (14 over)"; several violations are
// joined with "; ". Counts what the config holds (canonicalize first to
// count distinct certificates).
Status CheckLimits(const TrustConfig& config, const TrustConfigLimits& limits = {});

// YAML in the layout gcloud exports: name (if id is set), description (if
// set), trustStores (if there are anchors or intermediates), then
// allowlistedCertificates (if any); each pemCertificate a one-line double-quoted
// scalar with "\n" escapes, the form Google's docs use. Lists are rendered in
// the order given: call on a canonicalized config for byte-identical output for
// the same set. A config with nothing to render is "{}\n".
std::string RenderYaml(const TrustConfig& config);
// The same document as JSON (same keys and order), 2-space indent, final newline.
std::string RenderJson(const TrustConfig& config);

// Parses what `gcloud certificate-manager trust-configs export` writes (YAML
// or JSON) and what RenderYaml/RenderJson produce. `name` may be an id or
// projects/*/locations/*/trustConfigs/ID; labels and the output-only
// createTime, updateTime and etag are ignored; a null value counts as absent.
// Errors: kInvalidArgument for an empty file, text that is not YAML/JSON (with
// line and column), an unknown or duplicated key (named, with its path), a
// pemCertificate that is not exactly one PEM certificate (named by path, e.g.
// "trustStores[0].trustAnchors[3].pemCertificate: ..."); kPolicy for more
// trust stores than Certificate Manager allows. The result is canonicalized.
Result<TrustConfig> ParseTrustConfig(std::string_view text);

// What differs between two configs, by fingerprint. Each list is sorted by
// kind, then fingerprint; id and description are not compared.
struct TrustConfigDiff {
  struct Entry {
    TrustKind kind;
    x509::Certificate cert;
  };
  std::vector<Entry> only_in_left, only_in_right;  // left = e.g. the store, right = a file
  // The same certificate held under different kinds: its kind on each side.
  std::vector<Entry> kind_changed_left, kind_changed_right;
  bool empty() const;
};
TrustConfigDiff Diff(const TrustConfig& left, const TrustConfig& right);

}  // namespace trustplane::trust
