#include "trustplane/trust/payload_codec.h"

#include "trustplane/crypto/envelope.h"

namespace trustplane::trust {

Result<std::string> PayloadCodec::Encode(std::string_view object_name, std::string_view payload) const {
  if (!kek_) return std::string(payload);
  auto sealed = crypto::Seal(*kek_, payload, {std::string(object_name), environment_});
  if (!sealed.ok()) return sealed.status().WithContext("cannot encrypt " + std::string(object_name));
  return sealed;
}

Result<std::string> PayloadCodec::Decode(std::string_view object_name, std::string_view stored) const {
  if (!kek_) {
    if (crypto::LooksLikeEnvelope(stored)) {
      return Status::Policy("object " + std::string(object_name) +
                            " is encrypted but this home has no key-encryption key configured");
    }
    return std::string(stored);
  }
  if (!crypto::LooksLikeEnvelope(stored)) {
    return Status::Policy("object " + std::string(object_name) +
                          " is stored in the clear in an encrypted home: it was written outside trustplane");
  }
  auto opened = crypto::Open(*kek_, stored, {std::string(object_name), environment_});
  if (!opened.ok()) return opened.status().WithContext("cannot decrypt " + std::string(object_name));
  return opened;
}

}  // namespace trustplane::trust
