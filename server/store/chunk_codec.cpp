#include "server/store/chunk_codec.h"

#include <bit>
#include <cmath>
#include <cstring>

namespace covgap::store {
namespace {

static_assert(std::endian::native == std::endian::little, "chunk encoding assumes little-endian");
constexpr char kMagic[4] = {'C', 'G', 'M', '1'};

template <typename T>
void Put(std::string& out, const std::vector<T>& v) {
  out.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

template <typename T>
bool Get(std::span<const std::uint8_t>& in, std::size_t n, std::vector<T>& v) {
  if (in.size() < n * sizeof(T)) return false;
  v.resize(n);
  std::memcpy(v.data(), in.data(), n * sizeof(T));
  in = in.subspan(n * sizeof(T));
  return true;
}

}  // namespace

std::string EncodeColumns(const MeasurementColumns& c) {
  const std::uint32_t n = static_cast<std::uint32_t>(c.size());
  std::string out;
  out.reserve(8 + n * 48);
  out.append(kMagic, 4);
  out.append(reinterpret_cast<const char*>(&n), 4);
  Put(out, c.lat_e7);
  Put(out, c.lon_e7);
  Put(out, c.time_ms);
  Put(out, c.signal_dbm);
  Put(out, c.source);
  Put(out, c.device_hash);
  Put(out, c.accuracy_m);
  Put(out, c.quality_db);
  Put(out, c.sinr_db);
  Put(out, c.dl_kbps);
  return out;
}

Status DecodeColumns(std::span<const std::uint8_t> in, MeasurementColumns& c) {
  if (in.size() < 8 || std::memcmp(in.data(), kMagic, 4) != 0) {
    return {StatusCode::kDataLoss, "measurement chunk has no CGM1 header"};
  }
  std::uint32_t n = 0;
  std::memcpy(&n, in.data() + 4, 4);
  in = in.subspan(8);
  const bool ok = Get(in, n, c.lat_e7) && Get(in, n, c.lon_e7) && Get(in, n, c.time_ms) &&
                  Get(in, n, c.signal_dbm) && Get(in, n, c.source) && Get(in, n, c.device_hash) &&
                  Get(in, n, c.accuracy_m) && Get(in, n, c.quality_db) && Get(in, n, c.sinr_db) &&
                  Get(in, n, c.dl_kbps);
  if (!ok || !in.empty()) {
    return {StatusCode::kDataLoss, "measurement chunk is truncated or has trailing bytes"};
  }
  return Status::Ok();
}

void AppendMeasurement(const geo::Measurement& m, std::uint64_t device_hash,
                       MeasurementColumns& c) {
  c.lat_e7.push_back(static_cast<std::int32_t>(std::lround(m.lat * 1e7)));
  c.lon_e7.push_back(static_cast<std::int32_t>(std::lround(m.lon * 1e7)));
  c.time_ms.push_back(m.time_ms);
  c.signal_dbm.push_back(static_cast<std::int16_t>(m.signal_dbm));
  c.source.push_back(static_cast<std::uint8_t>(m.source));
  c.device_hash.push_back(device_hash);
  c.accuracy_m.push_back(m.accuracy_m);
  c.quality_db.push_back(m.quality_db);
  c.sinr_db.push_back(m.sinr_db);
  c.dl_kbps.push_back(m.dl_kbps);
}

}  // namespace covgap::store
