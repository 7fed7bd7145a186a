// SQLite store: the registry (operators, administrative areas, schools, households, sites).
#include "server/store/sqlite/store_impl.h"

namespace covgap::store::sqlite {

StatusOr<std::vector<std::string>> SqliteStore::Operators() {
  std::lock_guard lock(lookup_mu_);
  auto q =
      Statement::Prepare(lookup_.get(), "SELECT operator_id FROM operators ORDER BY operator_id");
  if (!q.ok()) return q.status();
  std::vector<std::string> ids;
  while (true) {
    auto row = q->Step();
    if (!row.ok()) return row.status();
    if (!row.value()) break;
    ids.push_back(q->Text(0));
  }
  return ids;
}

Status SqliteStore::RegisterOperator(const std::string& operator_id, const std::string& name) {
  std::lock_guard lock(write_mu_);
  auto q = Statement::Prepare(writer_.get(),
                              "INSERT INTO operators VALUES(?, ?) ON CONFLICT(operator_id) DO "
                              "UPDATE SET name = excluded.name");
  if (!q.ok()) return q.status();
  return q->Bind(1, operator_id).Bind(2, name).Run();
}

StatusOr<UpsertCounts> SqliteStore::UpsertAreas(const std::vector<geo::AdminArea>& areas) {
  return Upsert("SELECT 1 FROM areas WHERE level = ?1 AND code = ?2",
                "INSERT INTO areas VALUES(?1, ?2, ?3, ?4) ON CONFLICT(level, code) DO UPDATE SET "
                "name = excluded.name, wkb = excluded.wkb",
                areas, [](Statement& q, const geo::AdminArea& a) {
                  q.Bind(1, static_cast<std::int64_t>(a.level)).Bind(2, a.code);
                  q.Bind(3, a.name).BindBlob(4, a.wkb);
                });
}

StatusOr<std::vector<geo::AdminArea>> SqliteStore::Areas() {
  std::vector<geo::AdminArea> out;
  Status s = Query("SELECT level, code, name, wkb FROM areas ORDER BY level, code",
                   [&](const Statement& q) {
                     geo::AdminArea& a = out.emplace_back();
                     a.level = static_cast<geo::AreaLevel>(q.Int(0));
                     a.code = q.Text(1);
                     a.name = q.Text(2);
                     const auto blob = q.Blob(3);
                     a.wkb.assign(reinterpret_cast<const char*>(blob.data()), blob.size());
                   });
  if (!s.ok()) return s;
  return out;
}

StatusOr<UpsertCounts> SqliteStore::UpsertSchools(const std::vector<geo::School>& schools) {
  return Upsert(
      "SELECT 1 FROM schools WHERE school_id = ?1",
      "INSERT OR REPLACE INTO schools VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", schools,
      [](Statement& q, const geo::School& x) {
        q.Bind(1, x.school_id).Bind(2, x.name).Bind(3, static_cast<std::int64_t>(x.level));
        q.Bind(4, x.district).Bind(5, x.commune).Bind(6, x.lat).Bind(7, x.lon);
        q.Bind(8, x.students).Bind(9, x.students_nodev);
      });
}

StatusOr<std::vector<geo::School>> SqliteStore::Schools() {
  std::vector<geo::School> out;
  Status s = Query(
      "SELECT school_id, name, level, district, commune, lat, lon, students, students_nodev "
      "FROM schools ORDER BY school_id",
      [&](const Statement& q) {
        geo::School& x = out.emplace_back();
        x.school_id = q.Text(0);
        x.name = q.Text(1);
        x.level = static_cast<geo::SchoolLevel>(q.Int(2));
        x.district = q.Text(3);
        x.commune = q.Text(4);
        x.lat = q.Real(5);
        x.lon = q.Real(6);
        x.students = q.Int(7);
        x.students_nodev = q.Int(8);
      });
  if (!s.ok()) return s;
  return out;
}

StatusOr<UpsertCounts> SqliteStore::UpsertHouseholds(
    const std::vector<geo::Household>& households) {
  return Upsert("SELECT 1 FROM households WHERE household_id = ?1",
                "INSERT OR REPLACE INTO households VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)", households,
                [](Statement& q, const geo::Household& x) {
                  q.Bind(1, x.household_id).Bind(2, static_cast<std::int64_t>(x.category));
                  q.Bind(3, x.lat).Bind(4, x.lon).Bind(5, x.students_nodev);
                  q.Bind(6, x.district).Bind(7, x.commune);
                });
}

StatusOr<std::vector<geo::Household>> SqliteStore::Households() {
  std::vector<geo::Household> out;
  Status s = Query(
      "SELECT household_id, category, lat, lon, students_nodev, district, commune FROM "
      "households ORDER BY household_id",
      [&](const Statement& q) {
        geo::Household& x = out.emplace_back();
        x.household_id = q.Text(0);
        x.category = static_cast<geo::HouseholdCategory>(q.Int(1));
        x.lat = q.Real(2);
        x.lon = q.Real(3);
        x.students_nodev = q.Int(4);
        x.district = q.Text(5);
        x.commune = q.Text(6);
      });
  if (!s.ok()) return s;
  return out;
}

StatusOr<UpsertCounts> SqliteStore::UpsertSites(const std::vector<geo::Site>& sites) {
  return Upsert("SELECT 1 FROM sites WHERE site_id = ?1",
                "INSERT OR REPLACE INTO sites VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                sites, [](Statement& q, const geo::Site& x) {
                  q.Bind(1, x.site_id).Bind(2, x.operator_id);
                  q.Bind(3, static_cast<std::int64_t>(x.tech)).Bind(4, x.lat).Bind(5, x.lon);
                  q.Bind(6, x.height_m);
                  BindOptional(q, 7, x.azimuth_deg);
                  BindOptional(q, 8, x.beamwidth_deg);
                  q.Bind(9, x.band_mhz).Bind(10, x.eirp_dbm);
                });
}

StatusOr<std::vector<geo::Site>> SqliteStore::Sites() {
  std::vector<geo::Site> out;
  Status s = Query(
      "SELECT site_id, operator_id, tech, lat, lon, height_m, azimuth_deg, beamwidth_deg, "
      "band_mhz, eirp_dbm FROM sites ORDER BY operator_id, tech, site_id",
      [&](const Statement& q) {
        geo::Site& x = out.emplace_back();
        x.site_id = q.Text(0);
        x.operator_id = q.Text(1);
        x.tech = static_cast<geo::Technology>(q.Int(2));
        x.lat = q.Real(3);
        x.lon = q.Real(4);
        x.height_m = q.Real(5);
        if (!q.IsNull(6)) x.azimuth_deg = q.Real(6);
        if (!q.IsNull(7)) x.beamwidth_deg = q.Real(7);
        x.band_mhz = q.Real(8);
        x.eirp_dbm = q.Real(9);
      });
  if (!s.ok()) return s;
  return out;
}

Status SqliteStore::Query(const std::string& sql, const std::function<void(const Statement&)>& row,
                          const std::string& param) {
  std::lock_guard lock(lookup_mu_);
  auto q = LookupStatement(sql);
  if (!q.ok()) return q.status();
  if (!param.empty()) (*q)->Bind(1, param);
  return ForEachRow(**q, row);
}

StatusOr<Statement*> SqliteStore::LookupStatement(const std::string& sql) {
  if (auto it = lookup_statements_.find(sql); it != lookup_statements_.end()) return &it->second;
  auto q = Statement::Prepare(lookup_.get(), sql);
  if (!q.ok()) return q.status();
  return &lookup_statements_.emplace(sql, std::move(q.value())).first->second;
}

}  // namespace covgap::store::sqlite
