// The embedded store: one SQLite file (WAL, synchronous=FULL) in covgapd's data directory.
//
// Measurements are kept as encoded column chunks, one per (batch, operator, technology), so that
// ingestion writes a few large rows per batch and an analysis reads them back at memory speed;
// per-operator/technology counts are maintained in the same transaction. A lock file
// (DATA_DIR/covgap.lock, flock) keeps a second covgapd off the same directory.
#pragma once

#include <memory>
#include <string>

#include "geo/base/status.h"
#include "server/store/store.h"

namespace covgap::store {

struct SqliteStoreOptions {
  bool create_if_missing = true;
};

// Opens (and creates or migrates) DATA_DIR/covgap.sqlite.
StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& data_dir,
                                                 const SqliteStoreOptions& options = {});

}  // namespace covgap::store
