#include "trustplane/gateway/trust_load_reporter.h"

#include <cstdio>

#include "trustplane/audit/effective.h"
#include "trustplane/base/digest.h"
#include "trustplane/trust/trust_config.h"

namespace trustplane::gateway {

std::string RenderedRevision(const TrustSetContent& content, const std::string& trust_config_id) {
  trust::TrustConfig config;
  config.id = trust_config_id;
  for (const auto& e : content.anchors) config.anchors.push_back(e.cert);
  for (const auto& e : content.intermediates) config.intermediates.push_back(e.cert);
  for (const auto& e : content.allowlisted) config.allowlisted.push_back(e.cert);
  config.Canonicalize();
  return Sha256Hex(trust::RenderYaml(config));
}

TrustLoadReporter::TrustLoadReporter(audit::AuditLog& audit, std::string gateway_name,
                                     std::string trust_config_id)
    : audit_(audit),
      gateway_name_(std::move(gateway_name)),
      trust_config_id_(std::move(trust_config_id)) {}

void TrustLoadReporter::BeforeLoad() {
  // Read before the set: every change up to this head is in what is loaded next.
  auto head = audit_.HeadSeq();
  head_known_ = head.ok();
  head_before_load_ = head.ok() ? *head : 0;
  if (!head.ok()) {
    std::fprintf(stderr, "trustplane gateway: cannot read the audit head, not reporting: %s\n",
                 head.status().message().c_str());
  }
}

void TrustLoadReporter::Loaded(const TrustSnapshot& snapshot) {
  if (!head_known_) return;
  audit::AuditEvent event;
  event.actor = "gateway:" + gateway_name_;
  event.action = std::string(audit::kGatewayTrustLoaded);
  event.result = "loaded";
  const auto& c = snapshot.content();
  event.details = {{"gateway", gateway_name_},
                   {"generation", snapshot.generation()},
                   {"revision", RenderedRevision(c, trust_config_id_)},
                   {"covers_seq", head_before_load_},
                   {"anchors", c.anchors.size()},
                   {"intermediates", c.intermediates.size()},
                   {"allowlisted", c.allowlisted.size()}};
  auto appended = audit_.Append(std::move(event));
  if (!appended.ok()) {
    std::fprintf(stderr, "trustplane gateway: cannot record trust generation %llu in the audit log: %s\n",
                 static_cast<unsigned long long>(snapshot.generation()),
                 appended.status().message().c_str());
  }
}

}  // namespace trustplane::gateway
