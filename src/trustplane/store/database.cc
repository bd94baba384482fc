#include "trustplane/store/database.h"

#include <charconv>

#include <nlohmann/json.hpp>

#include "trustplane/store/postgres_database.h"
#include "trustplane/store/sqlite_database.h"

namespace trustplane::store {

Result<int64_t> DbRow::Int(size_t i) const {
  if (i >= columns.size() || !columns[i]) {
    return Status::Internal("database column " + std::to_string(i) + " is NULL, expected integer");
  }
  const std::string& s = *columns[i];
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) {
    return Status::Internal("database column " + std::to_string(i) + " is not an integer: '" + s +
                            "'");
  }
  return v;
}

std::string DbRow::Text(size_t i) const {
  return i < columns.size() && columns[i] ? *columns[i] : std::string();
}

namespace {

bool StartsWith(const std::string& s, std::string_view prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

Result<std::unique_ptr<Database>> OpenFromCfsslConfig(const std::string& text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(std::string("db-config is not valid JSON: ") + e.what());
  }
  if (!j.is_object() || !j.contains("driver") || !j["driver"].is_string() ||
      !j.contains("data_source") || !j["data_source"].is_string()) {
    return Status::InvalidArgument(
        "db-config must be an object with string fields \"driver\" and \"data_source\"");
  }
  const std::string driver = j["driver"].get<std::string>();
  const std::string source = j["data_source"].get<std::string>();
  if (driver == "sqlite3") return SqliteDatabase::Open(source);
  if (driver == "postgres") return PostgresDatabase::Open(source);
  return Status::InvalidArgument("db-config driver '" + driver +
                                 "' is not supported (use \"sqlite3\" or \"postgres\")");
}

}  // namespace

Result<std::unique_ptr<Database>> OpenDatabase(const std::string& url_or_config) {
  const std::string& s = url_or_config;
  if (s.empty()) return Status::InvalidArgument("empty database URL");
  if (StartsWith(s, "postgres://") || StartsWith(s, "postgresql://")) {
    return PostgresDatabase::Open(s);
  }
  if (StartsWith(s, "sqlite://")) return SqliteDatabase::Open(s.substr(9));
  const size_t first = s.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && s[first] == '{') return OpenFromCfsslConfig(s);
  return SqliteDatabase::Open(s);
}

}  // namespace trustplane::store
