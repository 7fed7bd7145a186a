// Shared pieces of the covgap CLI: global options, the channel to covgapd, turning gRPC failures
// into one clear sentence, number formatting and a small JSON writer.
#pragma once

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "geo/base/json_writer.h"
#include "geo/base/numbers.h"

namespace covgap::cli {

using geo::JsonWriter;

// Exit codes of every command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;        // bad input file, server refused the request
inline constexpr int kExitUsage = 2;        // bad command line
inline constexpr int kExitUnreachable = 3;  // covgapd could not be reached or the call broke off
inline constexpr int kExitDenied = 4;       // no valid token, or the token may not do this

struct GlobalOptions {
  std::string server = "127.0.0.1:50051";
  int connect_timeout_s = 5;
  bool json = false;
  std::string token;     // the bearer token (from --token-file or $COVGAP_TOKEN)
  std::string tls_ca;    // PEM of the CA that signed covgapd's certificate: use TLS
  std::string tls_cert;  // client certificate and key (PEM), for mutual TLS
  std::string tls_key;
  std::string tls_server_name;  // override the name checked in the server's certificate
};

// Adds the bearer token to a call.
void Authorize(grpc::ClientContext& context, const GlobalOptions& options);

// Command-line arguments of one command: flags (--name value / --name=value / --switch) and
// positional arguments.
class Args {
 public:
  Args(std::vector<std::string> args, const std::vector<std::string>& switches);
  bool Has(std::string_view name) const;
  std::string Get(std::string_view name, const std::string& fallback = "") const;
  std::vector<std::string> GetAll(std::string_view name) const;
  const std::vector<std::string>& positional() const { return positional_; }
  // Flags given that are not in `known`; empty when all are known.
  std::string Unknown(const std::vector<std::string>& known) const;

 private:
  std::multimap<std::string, std::string, std::less<>> flags_;
  std::vector<std::string> positional_;
};

// Connects to covgapd, waiting up to the connect timeout. Null with `error` set when unreachable.
std::shared_ptr<grpc::Channel> Connect(const GlobalOptions& options, std::string& error);
// Connect(), printing the reason to stderr when covgapd cannot be reached (null then).
std::shared_ptr<grpc::Channel> ConnectOrReport(const GlobalOptions& options);
// "cannot reach covgapd at HOST:PORT (…)" or the server's own message, without gRPC noise.
std::string DescribeRpcError(const grpc::Status& status, const GlobalOptions& options);
// Exit code for a failed call.
int ExitCodeFor(const grpc::Status& status);

// Every failure a command reports is one line on stderr, "covgap COMMAND: what went wrong and what
// to do", so that a person (or a script reading the exit status) can act on it.
// A bad command line: "covgap COMMAND: WHY (covgap help WORD)"; returns kExitUsage.
int UsageError(std::string_view command, std::string_view why);
// kExitOk when `args` has only `known` flags and at most `max_positional` positional arguments;
// otherwise UsageError() naming the first unexpected one.
int ArgumentError(std::string_view command, const Args& args, const std::vector<std::string>& known,
                  std::size_t max_positional = 0);
// A bad input file or a value the command cannot use: "covgap COMMAND: WHY"; returns kExitError.
int InputError(std::string_view command, std::string_view why);
// A failed call: "covgap COMMAND: " + DescribeRpcError(); returns ExitCodeFor(status).
int RpcError(std::string_view command, const grpc::Status& status, const GlobalOptions& options);

// A whole number in [min, max] (no trailing garbage); nullopt otherwise (geo/base/numbers.h).
using geo::ParseInteger;

// "YYYY-MM-DD" (midnight UTC) or an ISO 8601 date and time -> unix ms; nullopt when neither.
std::optional<std::int64_t> ParseDateOrTime(const std::string& text);

// 1234567 -> "1,234,567".
std::string Thousands(std::uint64_t n);

// `text` as a table column of `width` characters (UTF-8 code points, precomposed Vietnamese is
// one column each): cut at a character boundary with "…" when longer, padded with spaces.
std::string Column(std::string_view text, std::size_t width);

// Prints "  columns    field ← column, …" (one item per field read, e.g. "students_nodev ←
// students_without_device"), wrapped at 100 characters under the first item.
void PrintColumnUse(const std::vector<std::string>& items);

}  // namespace covgap::cli
