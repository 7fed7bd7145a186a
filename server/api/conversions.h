// Protobuf <-> domain conversion, in one place for covgapd and the covgap CLI.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "covgap/v1/access.pb.h"
#include "covgap/v1/gaps.pb.h"
#include "covgap/v1/lifecycle.pb.h"
#include "covgap/v1/measurement.pb.h"
#include "covgap/v1/prediction.pb.h"
#include "covgap/v1/schools.pb.h"
#include "geo/gaps/gap_analysis.h"
#include "geo/gaps/gap_verification.h"
#include "geo/model/gap.h"
#include "geo/model/ingest_report.h"
#include "geo/model/measurement.h"
#include "geo/model/measurement_rules.h"
#include "geo/model/school_coverage.h"
#include "geo/model/site.h"
#include "geo/prediction/campaign.h"
#include "geo/prediction/validation.h"
#include "importers/import_report.h"
#include "server/store/store.h"

namespace covgap::api {

v1::Technology ToProto(geo::Technology tech);
v1::Source ToProto(geo::Source source);
// nullopt for TECHNOLOGY_UNSPECIFIED or an unknown enum value.
std::optional<geo::Technology> FromProto(v1::Technology tech);

void ToProto(const geo::Measurement& m, v1::Measurement& out);
// Fills `out`; returns a rejection when the message cannot be a measurement at all (unknown
// technology or source). The validation rules proper are geo::MeasurementValidator's.
std::optional<geo::Rejection> FromProto(const v1::Measurement& in, geo::Measurement& out);

void ToProto(const store::StoreStats& stats, v1::Stats& out);
// The caller as WhoAmI answers it; `token` null when covgapd runs without access control.
void ToProto(std::string_view role, const std::string& operator_id, const std::string& token_id,
             const store::TokenRecord* token, const std::vector<std::string>& allowed_rpcs,
             v1::WhoAmIResponse& out);
// Households are left unset unless `with_households` (the authority).
void ToProto(const store::RegistryCounts& counts, bool with_households, v1::RegistryStats& out);

// Registry rows. FromProto fills `out` or says why the row cannot be stored (unknown level or
// category, coordinates outside the region or swapped, negative counts, empty id).
void ToProto(const geo::AdminArea& a, v1::Area& out);
std::optional<geo::Rejection> FromProto(const v1::Area& in, geo::AdminArea& out);
void ToProto(const geo::School& s, v1::School& out);
std::optional<geo::Rejection> FromProto(const v1::School& in, const geo::Region& region,
                                        geo::School& out);
void ToProto(const geo::Household& h, v1::Household& out);
std::optional<geo::Rejection> FromProto(const v1::Household& in, const geo::Region& region,
                                        geo::Household& out);

void ToProto(const geo::Site& s, v1::Site& out);

void ToProto(const geo::Gap& g, bool with_geometry, v1::Gap& out);
v1::GapKind ToProto(geo::GapKind kind);
std::optional<geo::GapKind> FromProto(v1::GapKind kind);
store::GapQuery FromProto(const v1::GapFilter& filter);
// A page of ListGaps: the gaps, the total matching and, when more follow, the next page's token
// (the decimal offset of its first gap).
void ToProto(const std::vector<geo::Gap>& gaps, std::uint64_t total, const store::GapQuery& query,
             v1::ListGapsResponse& out);

// Analysis parameters with covgap's defaults for what the request leaves out; `now_ms` is the
// default as-of time. Fails for an unknown method or a technology without thresholds.
StatusOr<geo::AnalysisParams> FromProto(const v1::RunAnalysisRequest& in, std::int64_t now_ms);

// One per-school coverage record (its school id is the row's).
void ToProto(const geo::SchoolCoverage& c, v1::SchoolCoverage& out);

// Gap life cycle.
void ToProto(const store::GapEvent& e, v1::GapEvent& out);

// Coverage prediction (docs/prediction.md).
void ToProto(const geo::prediction::ModelSummary& m, v1::PredictionModel& out);

// The schools of a run with their signal and coverage records.
void ToProto(const geo::SchoolListing& listing, v1::ListSchoolsResponse& out);

// One gap's verification (VerifyGaps).
void ToProto(const geo::VerificationOutcome& o, v1::GapVerification& out);

// Access tokens (never their secret) and audit entries.
void ToProto(const store::TokenRecord& token, v1::Token& out);
// A token just created: its record and the secret text, shown this once.
void ToProto(const store::TokenRecord& token, const std::string& secret_text,
             v1::CreateTokenResponse& out);
void ToProto(const store::AuditEntry& entry, v1::AuditEntry& out);

// A file import: its spec in, its report out.
importers::ImportOrder FromProto(const v1::ImportSpec& in);
void ToProto(const importers::ImportReport& report, v1::ImportReport& out);
void ToProto(const importers::RowsImport& result, v1::ImportSummary& out);

// What an ingest call did.
void ToProto(const geo::IngestReport& report, v1::IngestSummary& out);

// A stored run: its record, the method it ran with and its as-of time (from its params_json).
void ToProto(const store::AnalysisRun& run, std::string_view method, std::int64_t as_of_ms,
             v1::AnalysisRunInfo& out);
// A run just stored, with what the engine reports: the fitted models, per-grid class counts and
// the stage timings (GetLatestRun has only the stored record).
void ToProto(const store::AnalysisRun& run, const geo::AnalysisParams& params,
             const geo::AnalysisResult& result, v1::AnalysisRunInfo& out);
// RunAnalysis's stream: a stage reached, then the last message (stage "stored") with the run.
void ToProto(std::string_view stage, double fraction, v1::AnalysisProgress& out);
void ToStoredProgress(const store::AnalysisRun& run, const geo::AnalysisParams& params,
                      const geo::AnalysisResult& result, v1::AnalysisProgress& out);
void ToProto(const geo::prediction::ValidationMetrics& m, v1::ValidationMetrics& out);
void ToProto(const geo::prediction::GroupValidation& g, v1::GroupValidation& out);
void ToProto(const geo::prediction::Waypoint& w, v1::Waypoint& out);
void ToProto(const geo::prediction::CampaignPlan& plan, v1::CampaignResponse& out);
void ToProto(const geo::prediction::ValidationReport& report, v1::ValidateResponse& out);
// Folds (default 5, 2 … 20) and block size (default 2 km, over 0 and at most 100 km).
StatusOr<geo::prediction::ValidationOptions> FromProto(const v1::ValidateRequest& in);
// Budget (default 150 km), waypoints (default 150, at most 2000), spacing (default 500 m).
StatusOr<geo::prediction::CampaignOptions> FromProto(const v1::CampaignRequest& in);

}  // namespace covgap::api
