// The PostgreSQL 15 + PostGIS 3 store, for several covgapd replicas sharing one database
// (docs/postgresql.md).
//
// Measurements are rows of a table partitioned by month of measurement time, written with binary
// COPY in one transaction per CommitBatches call; a `batches` table keyed by batch_id makes
// ingestion idempotent across replicas. Gaps and areas keep their WKB bytes and a PostGIS
// geometry (GiST-indexed). The analysis lock is a session advisory lock; gap events and new
// analyses NOTIFY the channel covgap_changes, which OnExternalChange LISTENs to.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "geo/base/status.h"
#include "server/store/store.h"

namespace covgap::store {

// True for "postgresql://..." and "postgres://..." URIs.
bool IsPostgresUri(std::string_view spec);

// The conninfo with any password replaced by "***" (for logs and messages; postgres/conn.cpp).
std::string RedactConninfo(const std::string& conninfo);

// Connects to `conninfo` (a URI or "key=value" string), creates the PostGIS extension when
// missing and applies the schema migrations (one process at a time, under an advisory lock).
StatusOr<std::unique_ptr<Store>> OpenPostgresStore(const std::string& conninfo);

}  // namespace covgap::store
