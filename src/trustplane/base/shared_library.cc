#include "trustplane/base/shared_library.h"

#include <dlfcn.h>

namespace trustplane {

Result<SharedLibrary> SharedLibrary::Open(const std::string& soname, const std::string& package) {
  void* handle = dlopen(soname.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    return Status::Internal(soname + " cannot be loaded (install the " + package +
                            " package): " + (why != nullptr ? why : "unknown error"));
  }
  return SharedLibrary(handle, soname, package);
}

void* SharedLibrary::Symbol(const char* name) const {
  return dlsym(handle_, name);
}

Status SharedLibrary::status() const {
  if (missing_.empty()) return Status::Ok();
  return Status::Internal(soname_ + " lacks " + missing_ + " (install a current " + package_ +
                          " package)");
}

}  // namespace trustplane
