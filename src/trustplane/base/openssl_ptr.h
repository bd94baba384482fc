// OpenSslPtr: unique_ptr owners for OpenSSL objects, one deleter per type.
#pragma once

#include <memory>

namespace trustplane {

template <typename T, void (*F)(T*)>
struct OpenSslDeleter {
  void operator()(T* p) const { F(p); }
};
// OpenSslPtr<X509, X509_free> owns an X509.
template <typename T, void (*F)(T*)>
using OpenSslPtr = std::unique_ptr<T, OpenSslDeleter<T, F>>;

}  // namespace trustplane
