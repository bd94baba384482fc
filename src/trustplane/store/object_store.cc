#include "trustplane/store/object_store.h"

namespace trustplane::store {

std::vector<Result<ObjectInfo>> ObjectStore::PutAllIfAbsent(std::span<const NewObject> objects) {
  std::vector<Result<ObjectInfo>> results;
  results.reserve(objects.size());
  for (const auto& o : objects) results.push_back(PutIfAbsent(o));
  return results;
}

Result<std::vector<ObjectInfo>> ObjectStore::ListAll(std::string_view prefix) const {
  std::vector<ObjectInfo> all;
  std::string token;
  do {
    TP_ASSIGN_OR_RETURN(ListPage page, List(prefix, token, 1000));
    for (auto& o : page.objects) all.push_back(std::move(o));
    token = std::move(page.next_page_token);
  } while (!token.empty());
  return all;
}

Status ValidateObjectName(std::string_view name) {
  if (name.empty()) return Status::InvalidArgument("object name is empty");
  if (name.size() > 1024) return Status::InvalidArgument("object name longer than 1024 bytes");
  if (name.front() == '/' || name.back() == '/') {
    return Status::InvalidArgument("object name '" + std::string(name) +
                                   "' must not start or end with '/'");
  }
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    std::string_view part = name.substr(start, end - start);
    if (part.empty() || part == "." || part == ".." || part.front() == '.') {
      return Status::InvalidArgument("object name '" + std::string(name) +
                                     "' has an empty, dot or hidden path segment");
    }
    start = end + 1;
  }
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return Status::InvalidArgument("object name has a control character");
    }
  }
  return Status::Ok();
}

}  // namespace trustplane::store
