#include "trustplane/crypto/pkcs11_provider.h"

#include <dlfcn.h>

#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "trustplane/crypto/pkcs11_uri.h"

// The GNU names avoid the compatibility macros (value, flags, ...) that would
// otherwise rewrite ordinary identifiers in this file.
#define CRYPTOKI_GNU 1
#include <p11-kit-1/p11-kit/pkcs11.h>

namespace trustplane::crypto {
namespace {

constexpr unsigned char kTrue = 1, kFalse = 0;

std::string RvText(ck_rv_t rv) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "CKR 0x%lx", rv);
  return buf;
}

// One loaded module per path per process: PKCS#11 allows one C_Initialize per
// process, so providers share it and the last one out finalizes.
struct Module {
  void* handle = nullptr;
  ck_function_list* f = nullptr;
  bool finalize = false;
  ~Module() {
    if (finalize) f->C_Finalize(nullptr);
    if (handle) dlclose(handle);
  }
};

Result<std::shared_ptr<Module>> LoadModule(const std::string& path) {
  static std::mutex mu;
  static std::map<std::string, std::weak_ptr<Module>> loaded;
  std::lock_guard lock(mu);
  if (auto m = loaded[path].lock()) return m;
  auto m = std::make_shared<Module>();
  m->handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (m->handle == nullptr) {
    return Status::NotFound("cannot load PKCS#11 module " + path + ": " + dlerror());
  }
  auto get_list =
      reinterpret_cast<ck_rv_t (*)(ck_function_list**)>(dlsym(m->handle, "C_GetFunctionList"));
  if (get_list == nullptr || get_list(&m->f) != CKR_OK || m->f == nullptr) {
    return Status::InvalidArgument(path + " is not a PKCS#11 module");
  }
  ck_c_initialize_args args{};
  args.flags = CKF_OS_LOCKING_OK;
  ck_rv_t rv = m->f->C_Initialize(&args);
  if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
    return Status::Internal("C_Initialize of " + path + " failed: " + RvText(rv));
  }
  m->finalize = rv == CKR_OK;  // someone else in the process initialized it otherwise
  loaded[path] = m;
  return m;
}

std::string TrimLabel(const unsigned char* label, size_t n) {
  std::string s(reinterpret_cast<const char*>(label), n);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

std::string VersionId(uint32_t version) {
  std::string id;
  for (int shift = 24; shift >= 0; shift -= 8) {
    auto b = static_cast<char>((version >> shift) & 0xff);
    if (!id.empty() || b != 0) id.push_back(b);
  }
  return id;
}

// 0 when the id is not a version number (empty, longer than 4 bytes, zero).
uint32_t VersionFromId(const std::string& id) {
  if (id.empty() || id.size() > 4) return 0;
  uint32_t v = 0;
  for (char c : id) v = (v << 8) | static_cast<uint8_t>(c);
  return v;
}

ck_attribute Attr(ck_attribute_type_t type, const void* value, size_t len) {
  return ck_attribute{type, const_cast<void*>(value), len};
}

}  // namespace

struct Pkcs11Provider::Impl {
  std::shared_ptr<Module> module;
  ck_session_handle_t session = CK_INVALID_HANDLE;
  std::string object_label;
  std::mutex mu;
  struct Found {
    ck_object_handle_t handle;
    KekVersionState state;
  };
  std::map<uint32_t, Found> versions;  // refreshed by Scan

  ck_function_list* f() const { return module->f; }

  ~Impl() {
    if (session != CK_INVALID_HANDLE) f()->C_CloseSession(session);
  }

  Result<std::string> GetBytes(ck_object_handle_t obj, ck_attribute_type_t type) {
    ck_attribute a = Attr(type, nullptr, 0);
    ck_rv_t rv = f()->C_GetAttributeValue(session, obj, &a, 1);
    if (rv != CKR_OK) return Status::Internal("C_GetAttributeValue failed: " + RvText(rv));
    std::string out(a.value_len, '\0');
    a.value = out.data();
    rv = f()->C_GetAttributeValue(session, obj, &a, 1);
    if (rv != CKR_OK) return Status::Internal("C_GetAttributeValue failed: " + RvText(rv));
    out.resize(a.value_len);
    return out;
  }

  // Re-reads the key objects carrying the label. Caller holds mu.
  Status Scan() {
    ck_object_class_t cls = CKO_SECRET_KEY;
    ck_attribute tmpl[] = {Attr(CKA_CLASS, &cls, sizeof cls),
                           Attr(CKA_LABEL, object_label.data(), object_label.size())};
    ck_rv_t rv = f()->C_FindObjectsInit(session, tmpl, 2);
    if (rv != CKR_OK) return Status::Internal("C_FindObjectsInit failed: " + RvText(rv));
    std::vector<ck_object_handle_t> handles;
    for (;;) {
      ck_object_handle_t batch[32];
      unsigned long n = 0;
      rv = f()->C_FindObjects(session, batch, 32, &n);
      if (rv != CKR_OK || n == 0) break;
      handles.insert(handles.end(), batch, batch + n);
    }
    f()->C_FindObjectsFinal(session);
    if (rv != CKR_OK) return Status::Internal("C_FindObjects failed: " + RvText(rv));
    versions.clear();
    for (ck_object_handle_t h : handles) {
      TP_ASSIGN_OR_RETURN(std::string id, GetBytes(h, CKA_ID));
      ck_key_type_t key_type = 0;
      unsigned char wrap = 0, unwrap = 0;
      ck_attribute attrs[] = {Attr(CKA_KEY_TYPE, &key_type, sizeof key_type),
                              Attr(CKA_WRAP, &wrap, 1), Attr(CKA_UNWRAP, &unwrap, 1)};
      rv = f()->C_GetAttributeValue(session, h, attrs, 3);
      if (rv != CKR_OK) return Status::Internal("C_GetAttributeValue failed: " + RvText(rv));
      uint32_t version = VersionFromId(id);
      if (key_type != CKK_AES || version == 0) continue;  // not one of our KEK versions
      if (versions.count(version)) {
        return Status::Conflict("token holds two key objects '" + object_label + "' with id " +
                                std::to_string(version));
      }
      versions[version] = {
          h, (wrap && unwrap) ? KekVersionState::kEnabled : KekVersionState::kRetired};
    }
    return Status::Ok();
  }

  std::vector<KekVersion> List() const {
    std::vector<KekVersion> out;
    for (const auto& [v, found] : versions) out.push_back({v, found.state});
    return out;
  }

  // The handle of an enabled version, rescanning once if it is unknown.
  Result<ck_object_handle_t> Usable(const KekProvider& kek, uint32_t version) {
    auto it = versions.find(version);
    if (it == versions.end() || it->second.state != KekVersionState::kEnabled) {
      TP_RETURN_IF_ERROR(Scan());
      it = versions.find(version);
    }
    if (it == versions.end() || it->second.state != KekVersionState::kEnabled) {
      return VersionUnavailable(kek, List(), version);
    }
    return it->second.handle;
  }
};

Pkcs11Provider::Pkcs11Provider(std::string key_id, std::unique_ptr<Impl> impl)
    : key_id_(std::move(key_id)), impl_(std::move(impl)) {}

Pkcs11Provider::~Pkcs11Provider() = default;

Result<std::unique_ptr<Pkcs11Provider>> Pkcs11Provider::Open(std::string_view uri_text) {
  TP_ASSIGN_OR_RETURN(Pkcs11Uri uri, ParsePkcs11Uri(uri_text));
  auto impl = std::make_unique<Impl>();
  TP_ASSIGN_OR_RETURN(impl->module, LoadModule(uri.module_path));
  impl->object_label = uri.object;
  ck_function_list* f = impl->f();

  unsigned long count = 0;
  ck_rv_t rv = f->C_GetSlotList(kTrue, nullptr, &count);
  if (rv != CKR_OK) return Status::Internal("C_GetSlotList failed: " + RvText(rv));
  std::vector<ck_slot_id_t> slots(count);
  rv = f->C_GetSlotList(kTrue, slots.data(), &count);
  if (rv != CKR_OK) return Status::Internal("C_GetSlotList failed: " + RvText(rv));
  slots.resize(count);
  std::optional<ck_slot_id_t> slot;
  for (ck_slot_id_t s : slots) {
    ck_token_info info{};
    if (f->C_GetTokenInfo(s, &info) != CKR_OK) continue;
    if (TrimLabel(info.label, sizeof info.label) == uri.token) {
      slot = s;
      break;
    }
  }
  if (!slot) {
    return Status::NotFound("no PKCS#11 token labeled '" + uri.token + "' in " + uri.module_path);
  }
  rv = f->C_OpenSession(*slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr,
                        &impl->session);
  if (rv != CKR_OK) return Status::Internal("C_OpenSession failed: " + RvText(rv));
  rv = f->C_Login(impl->session, CKU_USER, reinterpret_cast<unsigned char*>(uri.pin.data()),
                  uri.pin.size());
  if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LEN_RANGE || rv == CKR_PIN_LOCKED) {
    return Status::Policy("PKCS#11 login to token '" + uri.token +
                          "' refused: wrong or locked PIN");
  }
  if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
    return Status::Internal("C_Login to token '" + uri.token + "' failed: " + RvText(rv));
  }
  std::lock_guard lock(impl->mu);
  TP_RETURN_IF_ERROR(impl->Scan());
  return std::unique_ptr<Pkcs11Provider>(
      new Pkcs11Provider(uri.token + "/" + uri.object, std::move(impl)));
}

Result<std::vector<KekVersion>> Pkcs11Provider::ListVersions() const {
  std::lock_guard lock(impl_->mu);
  TP_RETURN_IF_ERROR(impl_->Scan());
  return impl_->List();
}

Result<WrappedKey> Pkcs11Provider::WrapWithVersion(const SecretKey& data_key,
                                                   uint32_t version) const {
  std::lock_guard lock(impl_->mu);
  TP_ASSIGN_OR_RETURN(ck_object_handle_t kek, impl_->Usable(*this, version));
  ck_function_list* f = impl_->f();
  // The data key enters the token as a short-lived session object so the
  // token's own C_WrapKey can wrap it.
  ck_object_class_t cls = CKO_SECRET_KEY;
  ck_key_type_t type = CKK_AES;
  ck_attribute tmpl[] = {
      Attr(CKA_CLASS, &cls, sizeof cls), Attr(CKA_KEY_TYPE, &type, sizeof type),
      Attr(CKA_TOKEN, &kFalse, 1),       Attr(CKA_SENSITIVE, &kFalse, 1),
      Attr(CKA_EXTRACTABLE, &kTrue, 1),  Attr(CKA_VALUE, data_key.data(), data_key.size())};
  ck_object_handle_t dk = CK_INVALID_HANDLE;
  ck_rv_t rv = f->C_CreateObject(impl_->session, tmpl, 6, &dk);
  if (rv != CKR_OK)
    return Status::Internal("C_CreateObject for the data key failed: " + RvText(rv));
  ck_mechanism mech{CKM_AES_KEY_WRAP_PAD, nullptr, 0};
  std::string out(data_key.size() + 16, '\0');
  unsigned long len = out.size();
  rv = f->C_WrapKey(impl_->session, &mech, kek, dk, reinterpret_cast<unsigned char*>(out.data()),
                    &len);
  f->C_DestroyObject(impl_->session, dk);
  if (rv != CKR_OK) return Status::Internal("C_WrapKey failed: " + RvText(rv));
  out.resize(len);
  return WrappedKey{version, std::move(out)};
}

Result<SecretKey> Pkcs11Provider::Unwrap(uint32_t version, std::string_view wrapped) const {
  if (wrapped.size() < 16 || wrapped.size() % 8 != 0 || wrapped.size() > 4096) {
    return Status::InvalidArgument("wrapped data key has an invalid length");
  }
  std::lock_guard lock(impl_->mu);
  TP_ASSIGN_OR_RETURN(ck_object_handle_t kek, impl_->Usable(*this, version));
  ck_function_list* f = impl_->f();
  ck_object_class_t cls = CKO_SECRET_KEY;
  ck_key_type_t type = CKK_AES;
  ck_attribute tmpl[] = {Attr(CKA_CLASS, &cls, sizeof cls), Attr(CKA_KEY_TYPE, &type, sizeof type),
                         Attr(CKA_TOKEN, &kFalse, 1), Attr(CKA_SENSITIVE, &kFalse, 1),
                         Attr(CKA_EXTRACTABLE, &kTrue, 1)};
  ck_mechanism mech{CKM_AES_KEY_WRAP_PAD, nullptr, 0};
  std::string copy(wrapped);
  ck_object_handle_t dk = CK_INVALID_HANDLE;
  ck_rv_t rv =
      f->C_UnwrapKey(impl_->session, &mech, kek, reinterpret_cast<unsigned char*>(copy.data()),
                     copy.size(), tmpl, 5, &dk);
  if (rv != CKR_OK) {
    if (rv == CKR_WRAPPED_KEY_INVALID || rv == CKR_WRAPPED_KEY_LEN_RANGE ||
        rv == CKR_ENCRYPTED_DATA_INVALID || rv == CKR_ENCRYPTED_DATA_LEN_RANGE ||
        rv == CKR_TEMPLATE_INCONSISTENT || rv == CKR_ATTRIBUTE_VALUE_INVALID ||
        rv == CKR_GENERAL_ERROR) {
      return Status::InvalidArgument(
          "wrapped data key failed its integrity check (wrong key-encryption key or altered "
          "envelope; token said " +
          RvText(rv) + ")");
    }
    return Status::Internal("C_UnwrapKey failed: " + RvText(rv));
  }
  SecretKey key(64);
  ck_attribute a = Attr(CKA_VALUE, key.data(), key.size());
  rv = f->C_GetAttributeValue(impl_->session, dk, &a, 1);
  f->C_DestroyObject(impl_->session, dk);
  if (rv != CKR_OK) return Status::Internal("reading the unwrapped data key failed: " + RvText(rv));
  key.Resize(a.value_len);
  return key;
}

Result<uint32_t> Pkcs11Provider::AddVersion() {
  std::lock_guard lock(impl_->mu);
  TP_RETURN_IF_ERROR(impl_->Scan());
  uint32_t next = impl_->versions.empty() ? 1 : impl_->versions.rbegin()->first + 1;
  std::string id = VersionId(next);
  ck_object_class_t cls = CKO_SECRET_KEY;
  ck_key_type_t type = CKK_AES;
  unsigned long value_len = 32;
  ck_attribute tmpl[] = {Attr(CKA_CLASS, &cls, sizeof cls),
                         Attr(CKA_KEY_TYPE, &type, sizeof type),
                         Attr(CKA_VALUE_LEN, &value_len, sizeof value_len),
                         Attr(CKA_TOKEN, &kTrue, 1),
                         Attr(CKA_PRIVATE, &kTrue, 1),
                         Attr(CKA_SENSITIVE, &kTrue, 1),
                         Attr(CKA_EXTRACTABLE, &kFalse, 1),
                         Attr(CKA_WRAP, &kTrue, 1),
                         Attr(CKA_UNWRAP, &kTrue, 1),
                         Attr(CKA_ENCRYPT, &kFalse, 1),
                         Attr(CKA_DECRYPT, &kFalse, 1),
                         Attr(CKA_LABEL, impl_->object_label.data(), impl_->object_label.size()),
                         Attr(CKA_ID, id.data(), id.size())};
  ck_mechanism mech{CKM_AES_KEY_GEN, nullptr, 0};
  ck_object_handle_t h = CK_INVALID_HANDLE;
  ck_rv_t rv =
      impl_->f()->C_GenerateKey(impl_->session, &mech, tmpl, sizeof tmpl / sizeof tmpl[0], &h);
  if (rv != CKR_OK) return Status::Internal("C_GenerateKey failed: " + RvText(rv));
  impl_->versions[next] = {h, KekVersionState::kEnabled};
  return next;
}

Status Pkcs11Provider::RetireVersion(uint32_t version) {
  std::lock_guard lock(impl_->mu);
  TP_RETURN_IF_ERROR(impl_->Scan());
  auto it = impl_->versions.find(version);
  if (it == impl_->versions.end()) {
    return Status::NotFound("key " + key_id_ + " has no version " + std::to_string(version));
  }
  uint32_t current = 0;
  for (const auto& [v, found] : impl_->versions) {
    if (found.state == KekVersionState::kEnabled) current = v;
  }
  if (version == current) {
    return Status::Policy("version " + std::to_string(version) + " of key " + key_id_ +
                          " is the current version; rotate before retiring it");
  }
  if (it->second.state == KekVersionState::kRetired) return Status::Ok();
  ck_attribute tmpl[] = {Attr(CKA_WRAP, &kFalse, 1), Attr(CKA_UNWRAP, &kFalse, 1)};
  ck_rv_t rv = impl_->f()->C_SetAttributeValue(impl_->session, it->second.handle, tmpl, 2);
  if (rv != CKR_OK) return Status::Internal("C_SetAttributeValue failed: " + RvText(rv));
  it->second.state = KekVersionState::kRetired;
  return Status::Ok();
}

}  // namespace trustplane::crypto
