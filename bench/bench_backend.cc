// bench_backend PORT: the tiny HTTP/1.1 backend both proxies forward to in
// bench/gateway_vs_nginx.sh. Keep-alive, one thread per connection, answers
// every request (bodies by Content-Length) with 200 "ok\n". Kept this small
// so its cost per request is the same, and small, for both servers.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

namespace {

void Serve(int c) {
  static const std::string kResponse =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n";
  std::string in;
  char buf[16384];
  for (;;) {
    size_t end;
    while ((end = in.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = read(c, buf, sizeof(buf));
      if (n <= 0) {
        close(c);
        return;
      }
      in.append(buf, static_cast<size_t>(n));
    }
    size_t body = 0;
    std::string head = in.substr(0, end + 4);
    for (char& ch : head) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (size_t p = head.find("\r\ncontent-length:"); p != std::string::npos) {
      body = std::strtoul(head.c_str() + p + 17, nullptr, 10);
    }
    while (in.size() < end + 4 + body) {
      ssize_t n = read(c, buf, sizeof(buf));
      if (n <= 0) {
        close(c);
        return;
      }
      in.append(buf, static_cast<size_t>(n));
    }
    in.erase(0, end + 4 + body);
    if (write(c, kResponse.data(), kResponse.size()) != static_cast<ssize_t>(kResponse.size())) {
      close(c);
      return;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: bench_backend PORT\n");
    return 2;
  }
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(std::atoi(argv[1])));
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd, 512) != 0) {
    std::perror("bench_backend: listen");
    return 1;
  }
  for (;;) {
    int c = accept(fd, nullptr, nullptr);
    if (c < 0) continue;
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    std::thread(Serve, c).detach();
  }
}
