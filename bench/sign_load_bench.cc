// A small HTTP/1.1 load client for bench/ca_vs_cfssl.sh: N threads, each with
// one keep-alive connection, POST the same body until `count` requests have
// been sent or `seconds` have passed. Plain POSIX sockets so the client costs
// little CPU next to the server on a 2-core box (curl --parallel costs more).
//
//   sign_load_bench HOST PORT PATH BODY_FILE CONNECTIONS COUNT SECONDS [SAVE_DIR [SAVE_N]]
//
// Prints one line: "ok=N failed=M seconds=S rate=R" (rate = ok / seconds).
// With SAVE_DIR, the first SAVE_N successful response bodies are written to
// SAVE_DIR/resp-<i>.json for checking with openssl.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Config {
  std::string host;
  int port = 0;
  std::string path;
  std::string body;
  int connections = 8;
  long count = 1000;
  double seconds = 10;
  std::string save_dir;
  int save_n = 0;
};

std::atomic<long> g_next{0};
std::atomic<long> g_ok{0};
std::atomic<long> g_failed{0};
std::atomic<int> g_saved{0};
std::atomic<bool> g_stop{false};

int Connect(const Config& c) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(c.port));
  inet_pton(AF_INET, c.host.c_str(), &sa.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
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

// Reads one response (Content-Length framed, which both servers use for
// these answers). Returns the status, or -1 on a broken connection; `keep`
// says whether the server keeps the connection.
int ReadResponse(int fd, std::string& buf, std::string& body, bool& keep) {
  size_t header_end;
  while ((header_end = buf.find("\r\n\r\n")) == std::string::npos) {
    char tmp[16384];
    ssize_t n = recv(fd, tmp, sizeof tmp, 0);
    if (n <= 0) return -1;
    buf.append(tmp, static_cast<size_t>(n));
  }
  std::string head = buf.substr(0, header_end);
  for (char& ch : head) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  int status = std::atoi(head.c_str() + head.find(' ') + 1);
  size_t cl = head.find("\r\ncontent-length:");
  if (cl == std::string::npos) return -1;
  size_t len = std::strtoul(head.c_str() + cl + 17, nullptr, 10);
  keep = head.find("\r\nconnection: close") == std::string::npos;
  while (buf.size() < header_end + 4 + len) {
    char tmp[16384];
    ssize_t n = recv(fd, tmp, sizeof tmp, 0);
    if (n <= 0) return -1;
    buf.append(tmp, static_cast<size_t>(n));
  }
  body = buf.substr(header_end + 4, len);
  buf.erase(0, header_end + 4 + len);
  return status;
}

void Worker(const Config& c, std::chrono::steady_clock::time_point deadline) {
  std::ostringstream req;
  req << "POST " << c.path << " HTTP/1.1\r\nHost: " << c.host << ":" << c.port
      << "\r\nContent-Type: application/json\r\nContent-Length: " << c.body.size() << "\r\n\r\n"
      << c.body;
  const std::string request = req.str();
  int fd = -1;
  std::string buf, body;
  while (!g_stop.load(std::memory_order_relaxed)) {
    if (g_next.fetch_add(1) >= c.count) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      g_stop = true;
      break;
    }
    if (fd < 0) {
      fd = Connect(c);
      buf.clear();
      if (fd < 0) {
        ++g_failed;
        continue;
      }
    }
    bool keep = true;
    int status = SendAll(fd, request) ? ReadResponse(fd, buf, body, keep) : -1;
    if (status == 200 && body.find("\"success\":true") != std::string::npos) {
      ++g_ok;
      if (!c.save_dir.empty()) {
        int i = g_saved.fetch_add(1);
        if (i < c.save_n) std::ofstream(c.save_dir + "/resp-" + std::to_string(i) + ".json") << body;
      }
    } else {
      if (g_failed.fetch_add(1) < 3) {
        std::cerr << "request failed: status " << status << " " << body.substr(0, 300) << "\n";
      }
    }
    if (status < 0 || !keep) {
      close(fd);
      fd = -1;
    }
  }
  if (fd >= 0) close(fd);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 8) {
    std::cerr << "usage: sign_load_bench HOST PORT PATH BODY_FILE CONNECTIONS COUNT SECONDS "
                 "[SAVE_DIR [SAVE_N]]\n";
    return 2;
  }
  Config c;
  c.host = argv[1];
  c.port = std::atoi(argv[2]);
  c.path = argv[3];
  std::ifstream in(argv[4], std::ios::binary);
  if (!in) {
    std::cerr << "cannot read " << argv[4] << "\n";
    return 2;
  }
  c.body.assign(std::istreambuf_iterator<char>(in), {});
  c.connections = std::atoi(argv[5]);
  c.count = std::atol(argv[6]);
  c.seconds = std::atof(argv[7]);
  if (argc > 8) c.save_dir = argv[8];
  c.save_n = argc > 9 ? std::atoi(argv[9]) : 5;
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                    std::chrono::duration<double>(c.seconds));
  std::vector<std::thread> threads;
  for (int i = 0; i < c.connections; ++i) threads.emplace_back(Worker, std::cref(c), deadline);
  for (auto& t : threads) t.join();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("ok=%ld failed=%ld seconds=%.3f rate=%.1f\n", g_ok.load(), g_failed.load(), secs,
              static_cast<double>(g_ok.load()) / secs);
  return g_failed.load() == 0 ? 0 : 1;
}
