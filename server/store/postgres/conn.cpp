#include "server/store/postgres/conn.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace covgap::store {

std::string PgResult::Text(int row, int col) const {
  return std::string(PQgetvalue(r_.get(), row, col),
                     static_cast<std::size_t>(PQgetlength(r_.get(), row, col)));
}

std::int64_t PgResult::Int(int row, int col) const {
  return std::strtoll(PQgetvalue(r_.get(), row, col), nullptr, 10);
}

double PgResult::Real(int row, int col) const {
  return std::strtod(PQgetvalue(r_.get(), row, col), nullptr);
}

bool PgResult::Bool(int row, int col) const { return PQgetvalue(r_.get(), row, col)[0] == 't'; }

std::string PgResult::Bytes(int row, int col) const {
  const char* v = PQgetvalue(r_.get(), row, col);
  const auto n = static_cast<std::size_t>(PQgetlength(r_.get(), row, col));
  std::string out;
  if (n < 2 || v[0] != '\\' || v[1] != 'x') {  // escape format (bytea_output = escape)
    std::size_t len = 0;
    unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(v), &len);
    if (raw) {
      out.assign(reinterpret_cast<const char*>(raw), len);
      PQfreemem(raw);
    }
    return out;
  }
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return c - 'A' + 10;
  };
  out.reserve((n - 2) / 2);
  for (std::size_t i = 2; i + 1 < n; i += 2) {
    out.push_back(static_cast<char>(hex(v[i]) * 16 + hex(v[i + 1])));
  }
  return out;
}

std::uint64_t PgResult::Affected() const {
  return std::strtoull(PQcmdTuples(r_.get()), nullptr, 10);
}

PgParams& PgParams::Add(std::string_view text) {
  values_.emplace_back(text);
  null_.push_back(false);
  lengths_.push_back(0);
  formats_.push_back(0);
  return *this;
}

PgParams& PgParams::Add(std::int64_t v) { return Add(std::string_view(std::to_string(v))); }

PgParams& PgParams::Add(double v) {
  char buf[64];
  if (std::isnan(v)) return Add(std::string_view("NaN"));
  if (std::isinf(v)) return Add(std::string_view(v > 0 ? "Infinity" : "-Infinity"));
  const auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest exact representation
  return Add(std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)));
}

PgParams& PgParams::Add(const std::optional<std::int64_t>& v) { return v ? Add(*v) : AddNull(); }

PgParams& PgParams::AddBytes(std::string_view bytes) {
  values_.emplace_back(bytes);
  null_.push_back(false);
  lengths_.push_back(static_cast<int>(bytes.size()));
  formats_.push_back(1);
  return *this;
}

PgParams& PgParams::AddNull() {
  values_.emplace_back();
  null_.push_back(true);
  lengths_.push_back(0);
  formats_.push_back(0);
  return *this;
}

std::vector<const char*> PgParams::Values() const {
  std::vector<const char*> out;
  out.reserve(values_.size());
  for (std::size_t i = 0; i < values_.size(); ++i) {
    out.push_back(null_[i] ? nullptr : values_[i].data());
  }
  return out;
}

Status PgError(PGconn* conn, const PGresult* r, std::string_view what) {
  std::string message = r ? PQresultErrorMessage(r) : "";
  if (message.empty() && conn) message = PQerrorMessage(conn);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  const std::string sqlstate = state ? state : "";
  std::string text = "postgresql: " + std::string(what) + ": " + message;
  if (sqlstate == "23505") return {StatusCode::kAlreadyExists, text};
  if (sqlstate == "40001" || sqlstate == "40P01") return {StatusCode::kAborted, text};
  if (!conn || PQstatus(conn) != CONNECTION_OK || sqlstate.starts_with("08")) {
    return Unavailable(text + " (the database connection was lost; retry)");
  }
  return Internal(text);
}

std::string RedactConninfo(const std::string& conninfo) {
  std::string out = conninfo;
  if (const auto scheme = out.find("://"); scheme != std::string::npos) {
    const auto at = out.find('@', scheme + 3);
    const auto colon = out.find(':', scheme + 3);
    if (at != std::string::npos && colon != std::string::npos && colon < at) {
      out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  for (const char* key : {"password=", "password ="}) {
    for (auto p = out.find(key); p != std::string::npos; p = out.find(key, p + 1)) {
      auto start = p + std::strlen(key);
      while (start < out.size() && out[start] == ' ') ++start;
      auto end = out.find_first_of(" &", start);
      if (end == std::string::npos) end = out.size();
      out.replace(start, end - start, "***");
    }
  }
  return out;
}

StatusOr<PgConn> PgConn::Connect(const std::string& conninfo) {
  PgConn conn(PQconnectdb(conninfo.c_str()));
  if (!conn.c_) return ResourceExhausted("postgresql: out of memory for a connection");
  if (PQstatus(conn.c_) != CONNECTION_OK) {
    std::string why = PQerrorMessage(conn.c_);
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    for (auto p = why.find("\n\t"); p != std::string::npos; p = why.find("\n\t")) {
      why.replace(p, 2, "; ");
    }
    return Unavailable(
        "cannot connect to PostgreSQL at '" + RedactConninfo(conninfo) + "': " + why +
        " (is the server running and reachable, and do the user, password and "
        "database in the URI exist? e.g. postgresql://covgap@127.0.0.1:5432/covgap)");
  }
  return conn;
}

Status PgConn::Exec(std::string_view sql) {
  PgResult r(PQexec(c_, std::string(sql).c_str()));
  const auto st = r.raw() ? PQresultStatus(r.raw()) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    return PgError(c_, r.raw(), sql.substr(0, 60));
  }
  return Status::Ok();
}

StatusOr<PgResult> PgConn::Query(const std::string& sql, const PgParams& params) {
  const auto values = params.Values();
  PgResult r(PQexecParams(c_, sql.c_str(), params.size(), nullptr, values.data(),
                          params.Lengths().data(), params.Formats().data(), 0));
  const auto st = r.raw() ? PQresultStatus(r.raw()) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    return PgError(c_, r.raw(), std::string_view(sql).substr(0, 60));
  }
  return r;
}

Status PgConn::StartCopy(const std::string& copy_sql, ExecStatusType want) {
  PgResult r(PQexec(c_, copy_sql.c_str()));
  if (!r.raw() || PQresultStatus(r.raw()) != want) {
    return PgError(c_, r.raw(), std::string_view(copy_sql).substr(0, 60));
  }
  return Status::Ok();
}

Status PgConn::FinishCopy(std::string_view what) {
  Status result;
  while (PGresult* raw = PQgetResult(c_)) {
    PgResult r(raw);
    if (PQresultStatus(raw) != PGRES_COMMAND_OK && result.ok()) result = PgError(c_, raw, what);
  }
  return result;
}

Status PgConn::CopyIn(const std::string& copy_sql, std::string_view data) {
  if (Status s = StartCopy(copy_sql, PGRES_COPY_IN); !s.ok()) return s;
  constexpr std::size_t kPiece = 1 << 20;
  for (std::size_t at = 0; at < data.size(); at += kPiece) {
    const auto n = std::min(kPiece, data.size() - at);
    if (PQputCopyData(c_, data.data() + at, static_cast<int>(n)) != 1) {
      return Unavailable(std::string("postgresql: COPY FROM STDIN failed: ") + PQerrorMessage(c_));
    }
  }
  if (PQputCopyEnd(c_, nullptr) != 1) {
    return Unavailable(std::string("postgresql: COPY FROM STDIN failed: ") + PQerrorMessage(c_));
  }
  return FinishCopy("COPY FROM STDIN");
}

}  // namespace covgap::store
