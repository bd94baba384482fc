#include "trustplane/trust/renewal_advice.h"

#include <algorithm>

namespace trustplane::trust {
namespace {

std::vector<std::string> AllSans(const x509::Certificate& c) {
  std::vector<std::string> out;
  for (const auto* list : {&c.sans().dns, &c.sans().ip, &c.sans().email, &c.sans().uri}) {
    out.insert(out.end(), list->begin(), list->end());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// What the platform must onboard for the new certificate to verify: the CAs
// the client now sends, plus their root when the client does not send it.
std::string CasToOnboard(const RenewalInput& in) {
  if (in.new_chain.empty()) {
    std::string aki = in.new_cert.authority_key_id();
    return "the CA named " + in.new_cert.issuer() + (aki.empty() ? "" : " (key id " + aki + ")");
  }
  std::string out;
  for (const auto& ca : in.new_chain) {
    out += (out.empty() ? "" : ", ") + ca.subject() + " (sha256 " + ca.sha256_hex() + ")";
  }
  const x509::Certificate& top = in.new_chain.back();
  if (!top.IsSelfIssued()) out += ", and the root CA named " + top.issuer();
  return out;
}

}  // namespace

RenewalAdvice AdviseRenewal(const RenewalInput& in, const x509::ChainVerifier& verifier,
                            const x509::VerifyOptions& options) {
  RenewalAdvice a;
  a.old_cn = in.old_cert.common_name();
  a.new_cn = in.new_cert.common_name();
  a.cn_changed = a.old_cn != a.new_cn;
  a.issuer_changed = in.old_cert.issuer_der() != in.new_cert.issuer_der() ||
                     in.old_cert.authority_key_id() != in.new_cert.authority_key_id();
  a.sans_changed = AllSans(in.old_cert) != AllSans(in.new_cert);

  x509::VerifyResult verdict = verifier.Verify(in.new_cert, in.new_chain, options);
  a.new_trusted = verdict.ok;
  a.new_error = verdict.error;
  a.new_error_detail = verdict.detail;

  if (!verdict.ok) {
    const bool no_path = verdict.detail.find("no trusted issuer") != std::string::npos;
    if (a.issuer_changed && no_path) {
      a.actions.push_back("onboard " + CasToOnboard(in) +
                          " (trustplane trust add), then publish the trust config");
      a.actions.push_back("keep " + in.old_cert.issuer() +
                          ", which issued the old certificate, trusted until that certificate "
                          "expires (" + FormatRfc3339(in.old_cert.not_after()) +
                          ") so clients can switch during the overlap");
    } else {
      a.actions.push_back("the new certificate would be refused (" + verdict.error + ": " +
                          verdict.detail + "); the client must fix it, or the platform must "
                          "onboard what it chains to");
    }
  } else if (a.issuer_changed) {
    a.notes.push_back("the new issuer is already trusted; no trust-config change is needed");
  }
  if (a.cn_changed) {
    a.actions.push_back("update authorization rules that match CN \"" + a.old_cn +
                        "\" so that they also allow \"" + a.new_cn + "\"");
  }
  if (a.sans_changed) {
    a.notes.push_back("the subject alternative names changed; check SAN- or SPIFFE-based rules");
  }
  if (!a.issuer_changed && !a.cn_changed && verdict.ok) {
    a.notes.push_back("same trusted issuer and same CN: the platform needs no change");
  }
  a.action_required = !a.actions.empty();
  return a;
}

}  // namespace trustplane::trust
