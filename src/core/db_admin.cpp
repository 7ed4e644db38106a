#include <Poco/Data/SQLite/Utility.h>
#include <sqlite3.h>

#include <filesystem>
#include <stdexcept>
#include <thread>

#include "core/db.h"
#include "core/resources.h"

namespace mw::db {

// Operator's tools beside the data path: the schema's state and the SQLite backup.

int Database::pendingMigrations(const std::string& dir) {
  auto c = conn();
  bool tracked = c.dialect() == Dialect::PostgreSQL
                     ? c.scalar(
                           "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = "
                           "'schema_migrations'") > 0
                     : c.scalar(
                           "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = "
                           "'schema_migrations'") > 0;
  int pending = 0;
  for (const auto& f : resources::list(dir, ".sql")) {
    std::string version = std::filesystem::path(f).stem().string();
    if (!tracked ||
        c.scalar("SELECT COUNT(*) FROM schema_migrations WHERE version = $1", {version}) == 0)
      ++pending;
  }
  return pending;
}

void backup(Database& db, const std::string& file) {
  if (db.dialect() != Dialect::SQLite)
    throw std::runtime_error("backup copies SQLite databases; for PostgreSQL use pg_dump -Fc");
  std::string tmp = file + ".partial";
  std::filesystem::remove(tmp);
  sqlite3* dest = nullptr;
  if (sqlite3_open(tmp.c_str(), &dest) != SQLITE_OK) {
    std::string why = dest ? sqlite3_errmsg(dest) : "out of memory";
    sqlite3_close(dest);
    throw std::runtime_error("cannot create " + file + ": " + why);
  }
  auto c = db.conn();
  sqlite3* src = Poco::Data::SQLite::Utility::dbHandle(c.session());
  sqlite3_backup* b = sqlite3_backup_init(dest, "main", src, "main");
  int rc = SQLITE_OK;
  if (b) {
    // 256 pages (1 MB) a step, so writers wait at most one step's time for the lock.
    while ((rc = sqlite3_backup_step(b, 256)) == SQLITE_OK || rc == SQLITE_BUSY ||
           rc == SQLITE_LOCKED)
      if (rc != SQLITE_OK) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    sqlite3_backup_finish(b);
  }
  std::string why = sqlite3_errmsg(dest);
  rc = b ? (rc == SQLITE_DONE ? sqlite3_errcode(dest) : rc) : sqlite3_errcode(dest);
  sqlite3_close(dest);
  if (rc != SQLITE_OK) {
    std::filesystem::remove(tmp);
    throw std::runtime_error("backup failed: " + why);
  }
  std::filesystem::rename(tmp, file);
}

}  // namespace mw::db
