// A small OCSP load client for bench/ocsp_vs_cfssl.sh. One thread drives N
// keep-alive connections through epoll, each with one request in flight: an
// RFC 6960 request POSTed as application/ocsp-request (the form cfssl's
// ocspserve and trustplane's /ocsp both take; cfssl's GET handling wants the
// base64 at the root of the path). It cycles through a file of pre-made
// requests until `count` requests have been sent or `seconds` have passed.
// One thread rather than one per connection, so the client spends few cycles
// on context switches and stays ahead of a server pinned to the other core.
//
//   ocsp_load_bench HOST PORT PATH REQUESTS_FILE CONNECTIONS COUNT SECONDS
//   ocsp_load_bench make-requests ISSUER_PEM SERIALS_FILE OUT_FILE
//
// REQUESTS_FILE holds one base64 DER OCSPRequest per line. make-requests
// writes such a file: one single-certificate request per decimal serial in
// SERIALS_FILE, SHA-1 CertID and no nonce (what `openssl ocsp -no_nonce`
// sends, and what a pre-signed responder can answer).
//
// Every answer must be HTTP 200 carrying a successful OCSP response whose
// single response matches the request's CertID; anything else counts as a
// failure. Prints one line:
//   ok=N failed=M seconds=S rate=R good=G revoked=V unknown=U client_busy=B
// (rate = ok / seconds; client_busy = client CPU / wall time, near 1.0 means
// the client, not the server, was the limit). Exit 1 when any request failed.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "trustplane/base/openssl_ptr.h"

namespace {

using trustplane::OpenSslPtr;
using OcspRequestPtr = OpenSslPtr<OCSP_REQUEST, OCSP_REQUEST_free>;
using OcspResponsePtr = OpenSslPtr<OCSP_RESPONSE, OCSP_RESPONSE_free>;
using BasicResponsePtr = OpenSslPtr<OCSP_BASICRESP, OCSP_BASICRESP_free>;
using CertIdPtr = OpenSslPtr<OCSP_CERTID, OCSP_CERTID_free>;
using X509Ptr = OpenSslPtr<X509, X509_free>;
using BignumPtr = OpenSslPtr<BIGNUM, BN_free>;
using IntegerPtr = OpenSslPtr<ASN1_INTEGER, ASN1_INTEGER_free>;

std::string Base64(const std::string& der) {
  std::string out(4 * ((der.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(der.data()), static_cast<int>(der.size()));
  out.resize(n < 0 ? 0 : static_cast<size_t>(n));
  return out;
}

bool Unbase64(const std::string& b64, std::string& der) {
  if (b64.empty() || b64.size() % 4 != 0) return false;
  der.assign(b64.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(der.data()),
                                reinterpret_cast<const unsigned char*>(b64.data()), static_cast<int>(b64.size()));
  if (n < 0) return false;
  // EVP_DecodeBlock counts the '=' padding as zero bytes.
  size_t len = static_cast<size_t>(n);
  for (size_t i = b64.size(); i > 0 && b64[i - 1] == '='; --i) --len;
  der.resize(len);
  return true;
}

std::string RequestDer(const OCSP_REQUEST* req) {
  unsigned char* out = nullptr;
  const int n = i2d_OCSP_REQUEST(req, &out);
  std::string der = n > 0 ? std::string(reinterpret_cast<char*>(out), static_cast<size_t>(n)) : "";
  OPENSSL_free(out);
  return der;
}

int MakeRequests(const char* issuer_path, const char* serials_path, const char* out_path) {
  FILE* f = std::fopen(issuer_path, "r");
  X509Ptr issuer(f ? PEM_read_X509(f, nullptr, nullptr, nullptr) : nullptr);
  if (f) std::fclose(f);
  if (!issuer) {
    std::cerr << "cannot read the issuer certificate " << issuer_path << "\n";
    return 2;
  }
  std::ifstream serials(serials_path);
  std::ofstream out(out_path);
  if (!serials || !out) {
    std::cerr << "cannot read " << serials_path << " or write " << out_path << "\n";
    return 2;
  }
  size_t made = 0;
  for (std::string line; std::getline(serials, line);) {
    if (line.empty()) continue;
    BIGNUM* raw = nullptr;
    if (BN_dec2bn(&raw, line.c_str()) != static_cast<int>(line.size())) {
      BN_free(raw);
      std::cerr << "not a decimal serial: " << line << "\n";
      return 2;
    }
    BignumPtr bn(raw);
    IntegerPtr serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
    CertIdPtr id(serial ? OCSP_cert_id_new(EVP_sha1(), X509_get_subject_name(issuer.get()),
                                           X509_get0_pubkey_bitstr(issuer.get()), serial.get())
                        : nullptr);
    OcspRequestPtr req(OCSP_REQUEST_new());
    if (!id || !req || !OCSP_request_add0_id(req.get(), id.get())) {
      std::cerr << "cannot build an OCSP request for serial " << line << "\n";
      return 1;
    }
    id.release();  // the request owns it now
    out << Base64(RequestDer(req.get())) << "\n";
    ++made;
  }
  if (made == 0) {
    std::cerr << "no serials in " << serials_path << "\n";
    return 2;
  }
  return out.good() ? 0 : 1;
}

struct Request {
  std::string http;  // the whole HTTP request, ready to send
  CertIdPtr id;      // what the answer must be about
};

struct Tally {
  long ok = 0, failed = 0, good = 0, revoked = 0, unknown = 0;
};

// Classifies one HTTP answer: a successful OCSP response about `want`.
void Check(int status, const std::string& body, const OCSP_CERTID* want, Tally& t) {
  const char* why = nullptr;
  int cert_status = -1;
  if (status != 200) {
    why = "HTTP status is not 200";
  } else {
    const auto* p = reinterpret_cast<const unsigned char*>(body.data());
    OcspResponsePtr resp(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(body.size())));
    BasicResponsePtr basic(resp && OCSP_response_status(resp.get()) == OCSP_RESPONSE_STATUS_SUCCESSFUL
                               ? OCSP_response_get1_basic(resp.get())
                               : nullptr);
    int reason = 0;
    if (!resp) {
      why = "body is not an OCSP response";
    } else if (!basic) {
      why = "OCSP response is not successful";
    } else if (!OCSP_resp_find_status(basic.get(), const_cast<OCSP_CERTID*>(want), &cert_status, &reason,
                                      nullptr, nullptr, nullptr)) {
      why = "OCSP response is about another certificate";
    }
  }
  if (why) {
    if (t.failed++ < 3) std::cerr << "request failed: " << why << " (HTTP " << status << ")\n";
    return;
  }
  ++t.ok;
  if (cert_status == V_OCSP_CERTSTATUS_GOOD) ++t.good;
  if (cert_status == V_OCSP_CERTSTATUS_REVOKED) ++t.revoked;
  if (cert_status == V_OCSP_CERTSTATUS_UNKNOWN) ++t.unknown;
}

struct Conn {
  int fd = -1;
  std::string in;
  size_t request = 0;  // index of the request in flight
  bool busy = false;
};

int Connect(const sockaddr_in& sa) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (connect(fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0) {
    close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

bool SendAll(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

// One complete response at the front of `buf` (Content-Length framed, as
// both servers send these small answers): 1 and consumed, 0 incomplete,
// -1 unframed. `keep` is false when the server closes the connection.
int TakeResponse(std::string& buf, int& status, std::string& body, bool& keep) {
  const size_t header_end = buf.find("\r\n\r\n");
  if (header_end == std::string::npos) return 0;
  std::string head = buf.substr(0, header_end);
  for (char& ch : head) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  const size_t sp = head.find(' ');
  status = sp == std::string::npos ? 0 : std::atoi(head.c_str() + sp + 1);
  const size_t cl = head.find("\r\ncontent-length:");
  if (cl == std::string::npos) return -1;
  const size_t len = std::strtoul(head.c_str() + cl + 17, nullptr, 10);
  if (buf.size() < header_end + 4 + len) return 0;
  keep = head.find("\r\nconnection: close") == std::string::npos;
  body.assign(buf, header_end + 4, len);
  buf.erase(0, header_end + 4 + len);
  return 1;
}

double CpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int Load(char** argv) {
  const std::string host = argv[1];
  const int port = std::atoi(argv[2]);
  const std::string path = argv[3];
  const int connections = std::atoi(argv[5]);
  const long count = std::atol(argv[6]);
  const double seconds = std::atof(argv[7]);
  if (port <= 0 || connections <= 0 || count <= 0 || seconds <= 0) {
    std::cerr << "PORT, CONNECTIONS, COUNT and SECONDS must be positive\n";
    return 2;
  }
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &sa.sin_addr) != 1) {
    std::cerr << "HOST must be an IPv4 address: " << host << "\n";
    return 2;
  }

  std::ifstream file(argv[4]);
  if (!file) {
    std::cerr << "cannot read " << argv[4] << "\n";
    return 2;
  }
  std::vector<Request> requests;
  for (std::string line, der; std::getline(file, line);) {
    if (line.empty()) continue;
    OcspRequestPtr req;
    if (Unbase64(line, der)) {
      const auto* p = reinterpret_cast<const unsigned char*>(der.data());
      req.reset(d2i_OCSP_REQUEST(nullptr, &p, static_cast<long>(der.size())));
    }
    if (!req || OCSP_request_onereq_count(req.get()) != 1) {
      std::cerr << "line " << requests.size() + 1 << " of " << argv[4]
                << " is not a base64 single-certificate OCSP request\n";
      return 2;
    }
    Request r;
    r.id.reset(OCSP_CERTID_dup(OCSP_onereq_get0_id(OCSP_request_onereq_get0(req.get(), 0))));
    r.http = "POST " + path + " HTTP/1.1\r\nHost: " + host + ":" + std::to_string(port) +
             "\r\nContent-Type: application/ocsp-request\r\nContent-Length: " + std::to_string(der.size()) +
             "\r\n\r\n" + der;
    requests.push_back(std::move(r));
  }
  if (requests.empty()) {
    std::cerr << "no requests in " << argv[4] << "\n";
    return 2;
  }

  const int ep = epoll_create1(EPOLL_CLOEXEC);
  std::vector<Conn> conns(static_cast<size_t>(connections));
  Tally tally;
  long sent = 0;
  size_t next = 0;
  bool stopping = false;
  const double cpu_start = CpuSeconds();
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                    std::chrono::duration<double>(seconds));
  // The last answers may take a moment after the deadline; past this, give up on them.
  const auto hard_stop = deadline + std::chrono::seconds(5);

  auto drop = [&](Conn& c) {
    if (c.fd >= 0) {
      epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
      close(c.fd);
    }
    c.fd = -1;
    c.in.clear();
    c.busy = false;
  };
  // Sends the next request on `c`, connecting first when needed.
  auto issue = [&](Conn& c) {
    while (!stopping) {
      if (sent >= count || std::chrono::steady_clock::now() >= deadline) {
        stopping = true;
        return;
      }
      ++sent;
      if (c.fd < 0) {
        c.fd = Connect(sa);
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.ptr = &c;
        if (c.fd < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev) != 0) {
          drop(c);
          if (tally.failed++ < 3) std::cerr << "request failed: cannot connect\n";
          continue;
        }
      }
      c.request = next;
      next = (next + 1) % requests.size();
      if (SendAll(c.fd, requests[c.request].http)) {
        c.busy = true;
        return;
      }
      drop(c);
      if (tally.failed++ < 3) std::cerr << "request failed: send\n";
    }
  };

  for (Conn& c : conns) issue(c);
  std::vector<epoll_event> events(conns.size());
  std::string body;
  char chunk[16384];
  while (true) {
    size_t in_flight = 0;
    for (const Conn& c : conns) in_flight += c.busy ? 1 : 0;
    if (in_flight == 0 || std::chrono::steady_clock::now() >= hard_stop) {
      tally.failed += static_cast<long>(in_flight);
      break;
    }
    const int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), 100);
    for (int i = 0; i < n; ++i) {
      Conn& c = *static_cast<Conn*>(events[static_cast<size_t>(i)].data.ptr);
      const ssize_t got = recv(c.fd, chunk, sizeof chunk, MSG_DONTWAIT);
      if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (got <= 0) {
        if (c.busy && tally.failed++ < 3) std::cerr << "request failed: connection closed by the server\n";
        drop(c);
        issue(c);
        continue;
      }
      c.in.append(chunk, static_cast<size_t>(got));
      int status = 0;
      bool keep = true;
      const int taken = TakeResponse(c.in, status, body, keep);
      if (taken == 0) continue;
      if (taken < 0) {
        if (tally.failed++ < 3) std::cerr << "request failed: response without Content-Length\n";
        drop(c);
      } else {
        c.busy = false;
        Check(status, body, requests[c.request].id.get(), tally);
        if (!keep) drop(c);
      }
      issue(c);
    }
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (Conn& c : conns) drop(c);
  close(ep);
  const double cpu = CpuSeconds() - cpu_start;
  std::printf("ok=%ld failed=%ld seconds=%.3f rate=%.1f good=%ld revoked=%ld unknown=%ld client_busy=%.2f\n",
              tally.ok, tally.failed, wall, static_cast<double>(tally.ok) / wall, tally.good, tally.revoked,
              tally.unknown, cpu / wall);
  return tally.failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 5 && std::strcmp(argv[1], "make-requests") == 0) return MakeRequests(argv[2], argv[3], argv[4]);
  if (argc != 8) {
    std::cerr << "usage: ocsp_load_bench HOST PORT PATH REQUESTS_FILE CONNECTIONS COUNT SECONDS\n"
                 "       ocsp_load_bench make-requests ISSUER_PEM SERIALS_FILE OUT_FILE\n";
    return 2;
  }
  return Load(argv);
}
