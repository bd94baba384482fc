#include "cfssl_flags.h"

#include <cctype>
#include <deque>
#include <string>
#include <string_view>

namespace trustplane::cli {

void NormalizeCfsslFlags(int argc, char** argv) {
  static std::deque<std::string> storage;  // stable addresses for argv
  int serve = -1;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string_view(argv[i]) == "ca" && std::string_view(argv[i + 1]) == "serve") {
      serve = i + 1;
      break;
    }
  }
  if (serve < 0) return;
  for (int i = serve + 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--") break;  // everything after is positional
    const bool single_dash_word = arg.size() > 2 && arg[0] == '-' && arg[1] != '-' &&
                                  std::isalpha(static_cast<unsigned char>(arg[1])) &&
                                  (std::isalpha(static_cast<unsigned char>(arg[2])) || arg[2] == '-');
    if (!single_dash_word) continue;
    storage.push_back("-" + std::string(arg));
    argv[i] = storage.back().data();
  }
}

}  // namespace trustplane::cli
