// SharedLibrary: a C library loaded with dlopen on first use instead of
// linked. Client libraries such as libpq and libcurl drag in Kerberos, LDAP,
// GnuTLS and more (dozens of shared objects); linking them made every
// trustplane command pay that loading at start-up, while only a few
// commands ever call them. The library's own header still gives the types:
//
//   struct Api { decltype(&::PQfinish) finish; };
//   auto lib = SharedLibrary::Open("libpq.so.5", "libpq5");
//   lib->Bind("PQfinish", api.finish);
//   TP_RETURN_IF_ERROR(lib->status());
#pragma once

#include <string>

#include "trustplane/base/status.h"

namespace trustplane {

class SharedLibrary {
 public:
  // dlopen(soname) with RTLD_NOW | RTLD_LOCAL; the error names the Debian
  // package that provides it. The handle is never closed: objects from the
  // library may live until exit.
  static Result<SharedLibrary> Open(const std::string& soname, const std::string& package);

  // Sets `out` to the symbol `name`; after the first missing symbol, status()
  // names it and further calls do nothing.
  template <class Fn>
  SharedLibrary& Bind(const char* name, Fn& out) {
    if (missing_.empty()) {
      out = reinterpret_cast<Fn>(Symbol(name));
      if (out == nullptr) missing_ = name;
    }
    return *this;
  }
  Status status() const;

 private:
  SharedLibrary(void* handle, std::string soname, std::string package)
      : handle_(handle), soname_(std::move(soname)), package_(std::move(package)) {}
  void* Symbol(const char* name) const;

  void* handle_;
  std::string soname_;
  std::string package_;
  std::string missing_;
};

}  // namespace trustplane
