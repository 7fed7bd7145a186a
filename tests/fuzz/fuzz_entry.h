// The bodies of the libFuzzer targets, shared with the regression test
// (fuzz_regressions_test.cpp), so that a saved input replays exactly as it was fuzzed.
//
// Each function feeds one input through the importers, ignores their Status (bad input is what
// they are for), and checks the few invariants their headers promise. It returns "" when those
// hold, else a sentence naming the broken one; a crash or a sanitizer report is the other way to
// fail. See docs/importing.md "Fuzzing".
//
// RunMeasurementInput: the bytes are a measurement file. MeasurementCsvReader::FromString, and
//   OpenMeasurementFile(kAuto: native, G-NetTrack or generic by the header) on a temporary file,
//   since those readers use stdio; every chunk drained. OperatorMap::Load and the header-line
//   parsers on the same bytes.
// RunImporterInput: the first byte picks the file extension (ImporterExtension), the rest is the
//   file, written to /vsimem/fuzz/<hash>/input.<ext>: ReadSchools, ReadHouseholds, ReadSites and
//   ReadAreas (district level). Then ToUtf8Nfc (every encoding), DetectEncoding and
//   ParseColumnMapping on the first 2 KiB of the file. Only the GDAL drivers of the formats
//   docs/importing.md names are registered (CSV, XLSX, ODS, ESRI Shapefile, GPKG, GeoJSON, KML);
//   GDAL and GEOS messages are silenced.
//
// Not thread-safe: one libFuzzer input at a time, process-wide GDAL state.
#pragma once

#include <string>
#include <string_view>

namespace covgap::fuzz {

std::string RunMeasurementInput(std::string_view bytes);
std::string RunImporterInput(std::string_view input);

// The extension a selector byte stands for: 'c' csv, 'j' geojson, 'k' kml, 'g' gpkg, 'z' zip
// (a zipped Shapefile), 'd' dbf (a Shapefile's table alone), 'x' xlsx, 'o' ods; any other byte
// one of those by its value, so every byte selects a format. (A loose .shp needs its .shx.)
std::string_view ImporterExtension(unsigned char selector);

}  // namespace covgap::fuzz
