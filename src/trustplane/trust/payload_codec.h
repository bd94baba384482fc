// PayloadCodec: how certificate and trust-config payloads are kept in the
// bucket. With a KEK (the default for a new home) every payload is an
// envelope (crypto/envelope.h) bound to its object name and the home's
// environment, so the bucket holds no certificate in the clear and an object
// copied to another name or environment does not open. Without one (homes
// made before encryption existed) payloads are stored as they are.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "trustplane/base/status.h"
#include "trustplane/crypto/kek_provider.h"

namespace trustplane::trust {

class PayloadCodec {
 public:
  PayloadCodec() = default;  // plain
  PayloadCodec(std::shared_ptr<crypto::KekProvider> kek, std::string environment)
      : kek_(std::move(kek)), environment_(std::move(environment)) {}

  bool encrypted() const { return kek_ != nullptr; }
  crypto::KekProvider* kek() const { return kek_.get(); }
  const std::string& environment() const { return environment_; }

  Result<std::string> Encode(std::string_view object_name, std::string_view payload) const;
  // kPolicy for a plaintext payload where an envelope is expected (the object
  // was replaced outside trustplane), or one bound elsewhere; the object name
  // is in every error.
  Result<std::string> Decode(std::string_view object_name, std::string_view stored) const;

 private:
  std::shared_ptr<crypto::KekProvider> kek_;
  std::string environment_;
};

}  // namespace trustplane::trust
