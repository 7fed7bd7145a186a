// PostgreSQL store: the registry (operators, administrative areas, schools, households, sites).
#include "server/store/postgres/store_impl.h"

namespace covgap::store::postgres {

StatusOr<std::vector<std::string>> PostgresStore::Operators() {
  auto r = Query("SELECT operator_id FROM operators ORDER BY operator_id");
  if (!r.ok()) return r.status();
  std::vector<std::string> ids;
  for (int i = 0; i < r->Rows(); ++i) ids.push_back(r->Text(i, 0));
  return ids;
}

Status PostgresStore::RegisterOperator(const std::string& operator_id, const std::string& name) {
  return Query(
             "INSERT INTO operators VALUES($1, $2) ON CONFLICT (operator_id) DO UPDATE SET name "
             "= excluded.name",
             PgParams().Add(operator_id).Add(name))
      .status();
}

StatusOr<UpsertCounts> PostgresStore::UpsertAreas(const std::vector<geo::AdminArea>& areas) {
  return Upsert(
      "INSERT INTO areas VALUES($1, $2, $3, $4, covgap_geom($4, 4326)) ON CONFLICT (level, "
      "code) DO UPDATE SET name = excluded.name, wkb = excluded.wkb, geom = excluded.geom "
      "RETURNING (xmax = 0)",
      areas, [](const geo::AdminArea& a) {
        return PgParams().Add(static_cast<int>(a.level)).Add(a.code).Add(a.name).AddBytes(a.wkb);
      });
}

StatusOr<std::vector<geo::AdminArea>> PostgresStore::Areas() {
  auto r = Query("SELECT level, code, name, wkb FROM areas ORDER BY level, code");
  if (!r.ok()) return r.status();
  std::vector<geo::AdminArea> out;
  for (int i = 0; i < r->Rows(); ++i) {
    geo::AdminArea& a = out.emplace_back();
    a.level = static_cast<geo::AreaLevel>(r->Int(i, 0));
    a.code = r->Text(i, 1);
    a.name = r->Text(i, 2);
    a.wkb = r->Bytes(i, 3);
  }
  return out;
}

StatusOr<UpsertCounts> PostgresStore::UpsertSchools(const std::vector<geo::School>& schools) {
  return Upsert(
      "INSERT INTO schools VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (school_id) "
      "DO UPDATE SET name = excluded.name, level = excluded.level, district = "
      "excluded.district, commune = excluded.commune, lat = excluded.lat, lon = excluded.lon, "
      "students = excluded.students, students_nodev = excluded.students_nodev RETURNING (xmax "
      "= 0)",
      schools, [](const geo::School& x) {
        return PgParams()
            .Add(x.school_id)
            .Add(x.name)
            .Add(static_cast<int>(x.level))
            .Add(x.district)
            .Add(x.commune)
            .Add(x.lat)
            .Add(x.lon)
            .Add(static_cast<std::int64_t>(x.students))
            .Add(static_cast<std::int64_t>(x.students_nodev));
      });
}

StatusOr<std::vector<geo::School>> PostgresStore::Schools() {
  auto r = Query(
      "SELECT school_id, name, level, district, commune, lat, lon, students, students_nodev "
      "FROM schools ORDER BY school_id");
  if (!r.ok()) return r.status();
  std::vector<geo::School> out;
  for (int i = 0; i < r->Rows(); ++i) {
    geo::School& x = out.emplace_back();
    x.school_id = r->Text(i, 0);
    x.name = r->Text(i, 1);
    x.level = static_cast<geo::SchoolLevel>(r->Int(i, 2));
    x.district = r->Text(i, 3);
    x.commune = r->Text(i, 4);
    x.lat = r->Real(i, 5);
    x.lon = r->Real(i, 6);
    x.students = r->Int(i, 7);
    x.students_nodev = r->Int(i, 8);
  }
  return out;
}

StatusOr<UpsertCounts> PostgresStore::UpsertHouseholds(
    const std::vector<geo::Household>& households) {
  return Upsert(
      "INSERT INTO households VALUES($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (household_id) "
      "DO UPDATE SET category = excluded.category, lat = excluded.lat, lon = excluded.lon, "
      "students_nodev = excluded.students_nodev, district = excluded.district, commune = "
      "excluded.commune RETURNING (xmax = 0)",
      households, [](const geo::Household& x) {
        return PgParams()
            .Add(x.household_id)
            .Add(static_cast<int>(x.category))
            .Add(x.lat)
            .Add(x.lon)
            .Add(static_cast<std::int64_t>(x.students_nodev))
            .Add(x.district)
            .Add(x.commune);
      });
}

StatusOr<std::vector<geo::Household>> PostgresStore::Households() {
  auto r = Query(
      "SELECT household_id, category, lat, lon, students_nodev, district, commune FROM "
      "households ORDER BY household_id");
  if (!r.ok()) return r.status();
  std::vector<geo::Household> out;
  for (int i = 0; i < r->Rows(); ++i) {
    geo::Household& x = out.emplace_back();
    x.household_id = r->Text(i, 0);
    x.category = static_cast<geo::HouseholdCategory>(r->Int(i, 1));
    x.lat = r->Real(i, 2);
    x.lon = r->Real(i, 3);
    x.students_nodev = r->Int(i, 4);
    x.district = r->Text(i, 5);
    x.commune = r->Text(i, 6);
  }
  return out;
}

StatusOr<UpsertCounts> PostgresStore::UpsertSites(const std::vector<geo::Site>& sites) {
  return Upsert(
      "INSERT INTO sites VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (site_id) "
      "DO UPDATE SET operator_id = excluded.operator_id, tech = excluded.tech, lat = "
      "excluded.lat, lon = excluded.lon, height_m = excluded.height_m, azimuth_deg = "
      "excluded.azimuth_deg, beamwidth_deg = excluded.beamwidth_deg, band_mhz = "
      "excluded.band_mhz, eirp_dbm = excluded.eirp_dbm RETURNING (xmax = 0)",
      sites, [](const geo::Site& x) {
        PgParams p;
        p.Add(x.site_id).Add(x.operator_id).Add(static_cast<int>(x.tech)).Add(x.lat).Add(x.lon);
        p.Add(x.height_m);
        AddOptional(p, x.azimuth_deg);
        AddOptional(p, x.beamwidth_deg);
        p.Add(x.band_mhz).Add(x.eirp_dbm);
        return p;
      });
}

StatusOr<std::vector<geo::Site>> PostgresStore::Sites() {
  auto r = Query(
      "SELECT site_id, operator_id, tech, lat, lon, height_m, azimuth_deg, beamwidth_deg, "
      "band_mhz, eirp_dbm FROM sites ORDER BY operator_id, tech, site_id");
  if (!r.ok()) return r.status();
  std::vector<geo::Site> out;
  for (int i = 0; i < r->Rows(); ++i) {
    geo::Site& x = out.emplace_back();
    x.site_id = r->Text(i, 0);
    x.operator_id = r->Text(i, 1);
    x.tech = static_cast<geo::Technology>(r->Int(i, 2));
    x.lat = r->Real(i, 3);
    x.lon = r->Real(i, 4);
    x.height_m = r->Real(i, 5);
    if (!r->IsNull(i, 6)) x.azimuth_deg = r->Real(i, 6);
    if (!r->IsNull(i, 7)) x.beamwidth_deg = r->Real(i, 7);
    x.band_mhz = r->Real(i, 8);
    x.eirp_dbm = r->Real(i, 9);
  }
  return out;
}

StatusOr<PgResult> PostgresStore::Query(const std::string& sql, const PgParams& params) {
  auto conn = pool_.Acquire();
  if (!conn.ok()) return conn.status();
  return (*conn)->Query(sql, params);
}

}  // namespace covgap::store::postgres
