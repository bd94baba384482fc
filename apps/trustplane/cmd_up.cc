// `trustplane up`: the whole platform on embedded defaults, for a laptop or a
// CI job. On first start it makes a platform CA, a gateway server
// certificate, and a demo tenant (its CA onboarded, a client certificate
// issued); then it runs the control-plane API, the CA server (with OCSP), the
// gateway and an echo backend as child processes of this binary, prints the URLs and a curl
// command that goes through the gateway, and stops them all on SIGINT/SIGTERM.
// A second start finds its state in the home and reuses it.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <thread>

#include "ca_common.h"
#include "context.h"
#include "trustplane/pki/csr.h"
#include "trustplane/pki/signer.h"

namespace trustplane::cli {
namespace {

namespace fs = std::filesystem;

struct UpOptions {
  std::string host = "127.0.0.1";
  int gateway_port = 8443, ca_port = 8888, backend_port = 9000, api_port = 8080;
};

constexpr char kTenant[] = "demo";
constexpr char kSigningConfig[] = R"({"signing": {
  "default": {"expiry": "168h", "usages": ["digital signature", "key encipherment", "client auth"]},
  "profiles": {
    "client": {"expiry": "8760h", "usages": ["digital signature", "client auth"]},
    "server": {"expiry": "8760h", "usages": ["digital signature", "key encipherment", "server auth"]}}}})";

std::atomic<int> g_stop_signal{0};
void OnStopSignal(int sig) { g_stop_signal = sig; }

Result<pki::SignedCertificate> MakeRoot(const std::string& cn, const pki::PrivateKey& key) {
  pki::CertificateRequest request;
  request.subject.cn = cn;
  request.ca = pki::CaSettings{};
  TP_ASSIGN_OR_RETURN(auto csr, pki::Csr::Generate(request, key));
  return pki::SelfSign(csr, key, pki::SigningProfile::ForCa(*request.ca));
}

// Writes NAME.pem and NAME-key.pem (0600) into dir.
Status WritePair(const std::string& dir, const std::string& name, const pki::SignedCertificate& cert,
                 const pki::PrivateKey& key) {
  TP_RETURN_IF_ERROR(key.WriteFile(dir + "/" + name + "-key.pem"));
  return WritePublic(dir + "/" + name + ".pem", cert.ToPem());
}

Result<pki::SignedCertificate> Issue(const pki::Signer& signer, const std::string& profile, const std::string& cn,
                                     const std::vector<std::string>& hosts, const pki::PrivateKey& key) {
  pki::CertificateRequest request;
  request.subject.cn = cn;
  request.hosts = hosts;
  TP_ASSIGN_OR_RETURN(auto csr, pki::Csr::Generate(request, key));
  pki::SignOptions options;
  options.profile = profile;
  return signer.Sign(csr, options);
}

// First start: the platform's PKI, the demo tenant, the gateway config. The
// gateway config is written last, so its presence means the rest is there.
Status Bootstrap(Context& ctx, const std::string& up, const UpOptions& o) {
  fs::create_directories(up);
  fs::permissions(up, fs::perms::owner_all, fs::perm_options::replace);
  TP_ASSIGN_OR_RETURN(auto ca_key, pki::PrivateKey::Generate({}));
  TP_ASSIGN_OR_RETURN(auto ca, MakeRoot("trustplane platform CA", ca_key));
  TP_RETURN_IF_ERROR(WritePair(up, "platform-ca", ca, ca_key));
  TP_RETURN_IF_ERROR(WritePublic(up + "/ca-config.json", kSigningConfig));
  TP_ASSIGN_OR_RETURN(auto config, pki::ParseSigningConfig(kSigningConfig));
  TP_ASSIGN_OR_RETURN(auto ca_cert, x509::Certificate::FromDer(ca.der));
  TP_ASSIGN_OR_RETURN(auto platform, pki::Signer::Create(ca_cert, ca_key, config));
  TP_ASSIGN_OR_RETURN(auto gw_key, pki::PrivateKey::Generate({}));
  TP_ASSIGN_OR_RETURN(auto gw, Issue(platform, "server", "trustplane gateway", {"localhost", o.host}, gw_key));
  TP_RETURN_IF_ERROR(WritePair(up, "gateway", gw, gw_key));

  // The demo tenant brings its own CA, as tenants do.
  TP_ASSIGN_OR_RETURN(auto tenant_key, pki::PrivateKey::Generate({}));
  TP_ASSIGN_OR_RETURN(auto tenant_ca, MakeRoot("demo tenant CA", tenant_key));
  TP_RETURN_IF_ERROR(WritePair(up, "demo-tenant-ca", tenant_ca, tenant_key));
  TP_ASSIGN_OR_RETURN(auto tenant_cert, x509::Certificate::FromDer(tenant_ca.der));
  TP_ASSIGN_OR_RETURN(auto tenant_signer, pki::Signer::Create(tenant_cert, tenant_key, config));
  TP_ASSIGN_OR_RETURN(auto client_key, pki::PrivateKey::Generate({}));
  TP_ASSIGN_OR_RETURN(auto client, Issue(tenant_signer, "client", "demo-client", {}, client_key));
  TP_RETURN_IF_ERROR(WritePair(up, "demo-client", client, client_key));

  TP_ASSIGN_OR_RETURN(Home * home, ctx.OpenHome());
  trust::AddRequest add;
  add.certificates.push_back({tenant_cert, trust::TrustKind::kAnchor, up + "/demo-tenant-ca.pem"});
  add.tenant = kTenant;
  add.actor = ctx.actor;
  TP_ASSIGN_OR_RETURN(auto added, home->lifecycle().Add(add));
  for (const auto& c : added.certificates) {
    if (c.outcome == trust::Outcome::kRejected) return Status::Internal("demo tenant CA refused: " + c.message);
  }
  TP_RETURN_IF_ERROR(home->revisions().Publish(home->config().trust_config_id, ctx.actor).status());

  const std::string yaml =
      "# written by `trustplane up`; see docs/gateway.md\n"
      "listen: " + o.host + ":" + std::to_string(o.gateway_port) + "\n" +
      "tls: {cert: " + up + "/gateway.pem, key: " + up + "/gateway-key.pem}\n" +
      "client_validation: REJECT_INVALID\n"
      "trust: {home: " + home->dir() + "}\n" +
      "headers:\n"
      "  X-Client-Cert-Present: \"{client_cert_present}\"\n"
      "  X-Client-Cert-Chain-Verified: \"{client_cert_chain_verified}\"\n"
      "  X-Client-Cert-Error: \"{client_cert_error}\"\n"
      "  X-Client-Cert-Hash: \"{client_cert_sha256_fingerprint}\"\n"
      "routes:\n"
      "  - {prefix: /, backend: \"http://" + o.host + ":" + std::to_string(o.backend_port) +
      "\", allow: {tenants: [" + kTenant + "]}}\n";
  return WritePublic(up + "/gateway.yaml", yaml);
}

pid_t StartChild(const std::vector<std::string>& args) {
  const pid_t pid = fork();
  if (pid != 0) return pid;
  std::vector<char*> argv;
  static std::string self = "/proc/self/exe";
  argv.push_back(self.data());
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  execv("/proc/self/exe", argv.data());
  _exit(127);
}

bool Listening(const std::string& host, int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

void StopAll(const std::vector<pid_t>& children) {
  for (pid_t pid : children) kill(pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  for (pid_t pid : children) {
    while (waitpid(pid, nullptr, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

Status Up(Context& ctx, const UpOptions& o) {
  const std::string dir = ctx.home_dir();
  TP_ASSIGN_OR_RETURN(bool created, InitHome(dir));
  const std::string up = dir + "/up";
  const bool first = !fs::exists(up + "/gateway.yaml");
  if (first) TP_RETURN_IF_ERROR(Bootstrap(ctx, up, o));

  signal(SIGINT, OnStopSignal);
  signal(SIGTERM, OnStopSignal);
  const std::string home_flag = "--home=" + dir;
  struct Child {
    std::string name;
    int port;
    std::vector<std::string> args;
  };
  const std::vector<Child> plan = {
      {"backend", o.backend_port,
       {home_flag, "echo-backend", "--listen", o.host + ":" + std::to_string(o.backend_port)}},
      {"ca", o.ca_port,
       {home_flag, "ca", "serve", "--address", o.host, "--port", std::to_string(o.ca_port), "--ca",
        up + "/platform-ca.pem", "--ca-key", up + "/platform-ca-key.pem", "--config", up + "/ca-config.json",
        "--db", up + "/certs.db", "--responder", up + "/platform-ca.pem", "--responder-key",
        up + "/platform-ca-key.pem"}},
      {"gateway", o.gateway_port, {home_flag, "gateway", "serve", "--config", up + "/gateway.yaml"}},
      {"control-plane API", o.api_port,
       {home_flag, "serve", "--listen", o.host + ":" + std::to_string(o.api_port)}},
  };
  std::vector<pid_t> children;
  for (const auto& c : plan) children.push_back(StartChild(c.args));
  // Ready when every port answers; a child that exits first is a failure.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (size_t i = 0; i < plan.size(); ++i) {
    while (!Listening(o.host, plan[i].port)) {
      if (waitpid(children[i], nullptr, WNOHANG) != 0 || std::chrono::steady_clock::now() > deadline ||
          g_stop_signal) {
        StopAll(children);
        return Status::Internal("the " + plan[i].name + " did not start on " + o.host + ":" +
                                std::to_string(plan[i].port) + " (is the port taken? see the messages above)");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  const std::string base = "https://" + o.host + ":" + std::to_string(o.gateway_port);
  std::cout << "trustplane is up (" << (first ? "new home " : "home ") << dir << (created ? ", created" : "")
            << "):\n"
            << "  gateway  " << base << "/  (mTLS; route / for tenant " << kTenant << ")\n"
            << "  CA       http://" << o.host << ":" << o.ca_port << "/api/v1/cfssl/  (OCSP: http://" << o.host
            << ":" << o.ca_port << "/ocsp)\n"
            << "  backend  http://" << o.host << ":" << o.backend_port << "/  (echo)\n"
            << "  API      http://" << o.host << ":" << o.api_port << "/api/v1/  (token: trustplane --home " << dir
            << " serve token create --actor you --role operator)\n"
            << "try it:\n"
            << "  curl --cacert " << up << "/platform-ca.pem --cert " << up << "/demo-client.pem --key " << up
            << "/demo-client-key.pem " << base << "/hello\n"
            << "stop with Ctrl-C\n"
            << std::flush;

  while (!g_stop_signal) {
    for (size_t i = 0; i < children.size(); ++i) {
      if (waitpid(children[i], nullptr, WNOHANG) != 0) {
        children.erase(children.begin() + static_cast<long>(i));
        StopAll(children);
        return Status::Internal("the " + plan[i].name + " stopped unexpectedly; stopped the rest");
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  StopAll(children);
  std::cout << "stopped\n";
  return Status::Ok();
}

}  // namespace

void RegisterUpCommand(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<UpOptions>();
  auto* cmd = app.add_subcommand(
      "up", "run the control-plane API, the CA (with OCSP), the gateway and a demo tenant on embedded defaults");
  cmd->add_option("--host", o->host, "address every component listens on (default 127.0.0.1)");
  cmd->add_option("--gateway-port", o->gateway_port, "gateway HTTPS port (default 8443)");
  cmd->add_option("--ca-port", o->ca_port, "CA API and OCSP port (default 8888)");
  cmd->add_option("--backend-port", o->backend_port, "echo backend port (default 9000)");
  cmd->add_option("--api-port", o->api_port, "control-plane API port (default 8080)");
  cmd->callback([&ctx, o] { ctx.action = [&ctx, o] { return Up(ctx, *o); }; });
}

}  // namespace trustplane::cli
