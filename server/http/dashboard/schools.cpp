// GET /dashboard/api/schools[?district=NAME]: the per-school coverage of the latest run, as
// `covgap schools` (SchoolService.ListSchools, server/app/school_listing.h): each school with its
// signal (covered, uncertain, white_zone, no_data), students, and per operator and technology the
// class of its cell indoors; the counts over the schools listed. FailedPrecondition before the
// first analysis. Schools are registry data; no household is read.
#include <cmath>

#include "server/app/school_listing.h"
#include "server/http/dashboard/api_common.h"
#include "server/http/dashboard/dashboard.h"
#include "server/http/http_auth.h"
#include "server/http/ogc/documents.h"

namespace covgap::server::http::dashboard {
namespace {

std::string_view SignalName(geo::SchoolSignal s) {
  switch (s) {
    case geo::SchoolSignal::kCovered:
      return "covered";
    case geo::SchoolSignal::kWhiteZone:
      return "white_zone";
    case geo::SchoolSignal::kNoData:
      return "no_data";
    case geo::SchoolSignal::kUncertain:
      return "uncertain";
  }
  return "no_data";
}

}  // namespace

HttpResponse Schools(DashboardContext& ctx, const HttpRequest& request) {
  auto caller = Authenticate(ctx.ogc.access, request, Rpc::kListSchools);
  if (!caller.ok()) return ApiError(caller.status());
  if (Status s = ogc::CheckParams(request, {"district"}); !s.ok()) return ApiError(s);
  auto listing = ListSchoolCoverage(ctx.ogc.store, ctx.ogc.store,
                                    request.Param("district").value_or(""), false);
  if (!listing.ok()) return ApiError(listing.status());
  geo::JsonWriter j;
  j.BeginObject().Key("run_id").Number(listing->run_id);
  j.Key("total_schools").Number(listing->total_schools);
  j.Key("white_zone_schools").Number(listing->white_zone_schools);
  j.Key("white_zone_students").Number(listing->white_zone_students);
  j.Key("white_zone_students_nodev").Number(listing->white_zone_students_nodev);
  j.Key("no_data_schools").Number(listing->no_data_schools);
  j.Key("schools").BeginArray();
  for (const geo::SchoolListingRow& row : listing->rows) {
    const geo::School& s = row.school;
    j.BeginObject();
    j.Key("school_id").String(s.school_id).Key("name").String(s.name);
    j.Key("level").String(geo::ToString(s.level)).Key("district").String(s.district);
    j.Key("commune").String(s.commune).Key("lon").Number(s.lon).Key("lat").Number(s.lat);
    j.Key("students").Number(s.students).Key("students_nodev").Number(s.students_nodev);
    j.Key("signal").String(SignalName(row.signal));
    j.Key("coverage").BeginArray();
    for (const geo::SchoolCoverage& c : row.coverage) {
      j.BeginObject();
      j.Key("operator_id").String(c.operator_id).Key("tech").String(geo::ToString(c.tech));
      j.Key("indoor_class").String(geo::ToString(c.indoor_class));
      j.Key("samples").Number(c.samples).Key("median_dbm").Number(c.median_dbm);
      j.Key("p_good_indoor");
      if (c.p_good_indoor) {
        j.Number(*c.p_good_indoor);
      } else {
        j.Null();
      }
      j.EndObject();
    }
    j.EndArray().EndObject();
  }
  j.EndArray().EndObject();
  return ogc::Json(j.str());
}

}  // namespace covgap::server::http::dashboard
