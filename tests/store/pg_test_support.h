// Test databases on the PostgreSQL cluster named by COVGAP_TEST_PG (an admin conninfo URI, e.g.
// postgresql://postgres@127.0.0.1:5432/postgres; scripts/test.sh starts a throwaway cluster and
// sets it). Each test gets its own database, dropped and created afresh.
#pragma once

#include <cstdlib>
#include <functional>
#include <string>

#include "server/store/postgres/conn.h"

namespace covgap::store {

inline constexpr const char* kPgSkipMessage =
    "COVGAP_TEST_PG is not set: the PostgreSQL store tests need a cluster; run scripts/test.sh "
    "(it starts a throwaway one), or scripts/pg_cluster.sh start DIR and export COVGAP_TEST_PG="
    "<the printed URI>";

inline std::string PgAdminConninfo() {
  const char* v = std::getenv("COVGAP_TEST_PG");
  return v ? v : "";
}

// A database name for `key` (any string, e.g. a test name): short and a valid identifier.
inline std::string PgTestDatabaseName(const std::string& key) {
  return "covgap_t_" + std::to_string(std::hash<std::string>{}(key) % 1000000000000ULL);
}

// The admin URI with its database replaced by `db`.
inline std::string PgConninfoFor(const std::string& db) {
  std::string admin = PgAdminConninfo();
  const auto query = admin.find('?');
  std::string params = query == std::string::npos ? "" : admin.substr(query);
  admin = admin.substr(0, query);
  const auto scheme = admin.find("://");
  const auto slash = admin.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (slash != std::string::npos) admin.resize(slash);
  return admin + "/" + db + params;
}

// Drops (with any sessions left) and creates database `db`; returns its conninfo, or "" with
// `error` set.
inline std::string PgFreshDatabase(const std::string& db, std::string* error) {
  auto admin = PgConn::Connect(PgAdminConninfo());
  if (!admin.ok()) {
    *error = admin.status().message();
    return "";
  }
  for (const std::string& sql :
       {std::string("SET client_min_messages = warning"),
        "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)", "CREATE DATABASE " + db}) {
    if (Status s = admin->Exec(sql); !s.ok()) {
      *error = s.message();
      return "";
    }
  }
  return PgConninfoFor(db);
}

inline void PgDropDatabase(const std::string& db) {
  auto admin = PgConn::Connect(PgAdminConninfo());
  if (admin.ok()) (void)admin->Exec("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
}

}  // namespace covgap::store
