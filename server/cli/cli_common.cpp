#include "server/cli/cli_common.h"

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>

#include "geo/base/time_format.h"

namespace covgap::cli {

Args::Args(std::vector<std::string> args, const std::vector<std::string>& switches) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.size() > 2 && a.starts_with("--")) {
      const auto eq = a.find('=');
      if (eq != std::string::npos) {
        flags_.emplace(a.substr(2, eq - 2), a.substr(eq + 1));
        continue;
      }
      const std::string name = a.substr(2);
      bool is_switch = false;
      for (const auto& s : switches) is_switch |= (s == name);
      if (is_switch || i + 1 >= args.size()) {
        flags_.emplace(name, "");
      } else {
        flags_.emplace(name, args[++i]);
      }
    } else if (a.size() == 2 && a[0] == '-' && std::isalpha(static_cast<unsigned char>(a[1]))) {
      // A short flag such as -o takes the next argument as its value.
      flags_.emplace(a.substr(1), i + 1 < args.size() ? args[++i] : "");
    } else {
      positional_.push_back(a);
    }
  }
}

bool Args::Has(std::string_view name) const { return flags_.find(name) != flags_.end(); }

std::string Args::Get(std::string_view name, const std::string& fallback) const {
  auto it = flags_.find(name);
  return it == flags_.end() ? fallback : it->second;
}

std::vector<std::string> Args::GetAll(std::string_view name) const {
  std::vector<std::string> out;
  auto [b, e] = flags_.equal_range(name);
  for (auto it = b; it != e; ++it) out.push_back(it->second);
  return out;
}

std::string Args::Unknown(const std::vector<std::string>& known) const {
  for (const auto& [name, value] : flags_) {
    bool ok = false;
    for (const auto& k : known) ok |= (k == name);
    if (!ok) return "--" + name;
  }
  return "";
}

void Authorize(grpc::ClientContext& context, const GlobalOptions& options) {
  if (!options.token.empty()) context.AddMetadata("authorization", "Bearer " + options.token);
}

std::shared_ptr<grpc::Channel> Connect(const GlobalOptions& options, std::string& error) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  args.SetMaxSendMessageSize(64 << 20);
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (!options.tls_ca.empty()) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = options.tls_ca;
    ssl.pem_cert_chain = options.tls_cert;
    ssl.pem_private_key = options.tls_key;
    credentials = grpc::SslCredentials(ssl);
    if (!options.tls_server_name.empty()) {
      args.SetSslTargetNameOverride(options.tls_server_name);
    }
  }
  auto channel = grpc::CreateCustomChannel(options.server, credentials, args);
  const auto deadline =
      std::chrono::system_clock::now() + std::chrono::seconds(options.connect_timeout_s);
  // Wait for READY, but give up at the first failed attempt: a refused connection is final.
  grpc_connectivity_state state = channel->GetState(/*try_to_connect=*/true);
  while (state != GRPC_CHANNEL_READY) {
    if (state == GRPC_CHANNEL_TRANSIENT_FAILURE || state == GRPC_CHANNEL_SHUTDOWN) {
      error = "cannot reach covgapd at " + options.server +
              (options.tls_ca.empty()
                   ? " (connection refused or address not reachable; is covgapd running? use "
                     "--server HOST:PORT or COVGAP_SERVER; does it need TLS, --tls-ca?)"
                   : " (connection refused, address not reachable, or the TLS handshake "
                     "failed: check --tls-ca, --tls-server-name and, for mutual TLS, "
                     "--tls-cert/--tls-key)");
      return nullptr;
    }
    if (!channel->WaitForStateChange(state, deadline)) {
      error = "cannot reach covgapd at " + options.server + " (nothing answered within " +
              std::to_string(options.connect_timeout_s) +
              " s; is covgapd running? use --server HOST:PORT or COVGAP_SERVER)";
      return nullptr;
    }
    state = channel->GetState(true);
  }
  return channel;
}

std::shared_ptr<grpc::Channel> ConnectOrReport(const GlobalOptions& options) {
  std::string error;
  auto channel = Connect(options, error);
  if (!channel) std::fprintf(stderr, "covgap: %s\n", error.c_str());
  return channel;
}

namespace {

// The server's message on one line: a multi-line message keeps its first line.
std::string OneLine(std::string text) {
  if (const auto nl = text.find('\n'); nl != std::string::npos) text.resize(nl);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\r')) text.pop_back();
  return text;
}

bool Mentions(const std::string& text, std::initializer_list<const char*> words) {
  for (const char* w : words) {
    if (text.find(w) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

std::string DescribeRpcError(const grpc::Status& status, const GlobalOptions& options) {
  std::string message = OneLine(status.error_message());
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      if (Mentions(message, {"ssl", "SSL", "handshake", "certificate"})) {
        return "the TLS handshake with covgapd at " + options.server +
               " failed: check --tls-ca, --tls-server-name and, for mutual TLS, --tls-cert and "
               "--tls-key";
      }
      if (Mentions(message, {"failed to connect", "Socket closed", "Connection reset",
                             "Broken pipe", "connection", "Connection refused"})) {
        return "lost the connection to covgapd at " + options.server +
               " (the server stopped or the network failed): check that covgapd is running, then "
               "run the command again";
      }
      return "covgapd at " + options.server + " is unavailable (" + message +
             "): run the command again in a moment";
    case grpc::StatusCode::UNAUTHENTICATED:
      // The server's own message says what to do when it knows (no token, expired token).
      if (Mentions(message, {"covgap ", "COVGAP_TOKEN"}))
        return "covgapd refused the call: " + message;
      return "covgapd refused the token (" + message +
             "): ask the authority for a valid one (covgap token create) and pass it with "
             "--token-file FILE or COVGAP_TOKEN";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "not allowed: " + message +
             "; use a token whose role may do this (covgap doctor shows yours; roles in "
             "docs/security.md)";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "covgapd at " + options.server +
             " did not answer in time: check that it is not overloaded, then run the command "
             "again";
    default:
      return message;
  }
}

int UsageError(std::string_view command, std::string_view why) {
  const std::string_view word = command.substr(0, command.find(' '));
  std::fprintf(stderr, "covgap %.*s: %.*s (covgap help %.*s)\n", static_cast<int>(command.size()),
               command.data(), static_cast<int>(why.size()), why.data(),
               static_cast<int>(word.size()), word.data());
  return kExitUsage;
}

int ArgumentError(std::string_view command, const Args& args, const std::vector<std::string>& known,
                  std::size_t max_positional) {
  if (std::string bad = args.Unknown(known); !bad.empty()) {
    return UsageError(command, "unknown option " + bad);
  }
  if (args.positional().size() > max_positional) {
    return UsageError(command, "unexpected argument '" + args.positional()[max_positional] + "'");
  }
  return kExitOk;
}

int InputError(std::string_view command, std::string_view why) {
  std::fprintf(stderr, "covgap %.*s: %s\n", static_cast<int>(command.size()), command.data(),
               OneLine(std::string(why)).c_str());
  return kExitError;
}

int RpcError(std::string_view command, const grpc::Status& status, const GlobalOptions& options) {
  std::fprintf(stderr, "covgap %.*s: %s\n", static_cast<int>(command.size()), command.data(),
               DescribeRpcError(status, options).c_str());
  return ExitCodeFor(status);
}

std::optional<std::int64_t> ParseDateOrTime(const std::string& text) {
  if (text.size() == 10) return geo::ParseIso8601(text + "T00:00:00Z");
  return geo::ParseIso8601(text);
}

int ExitCodeFor(const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::CANCELLED:
      return kExitUnreachable;
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED:
      return kExitDenied;
    default:
      return kExitError;
  }
}

std::string Thousands(std::uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  const int len = static_cast<int>(digits.size());
  for (int i = 0; i < len; ++i) {
    if (i > 0 && (len - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

void PrintColumnUse(const std::vector<std::string>& items) {
  if (items.empty()) return;
  constexpr std::size_t kWidth = 100;
  const std::string indent = "  columns    ";
  auto characters = [](std::string_view s) {
    std::size_t n = 0;
    for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return n;
  };
  std::string line = indent;
  std::size_t width = indent.size();
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string item = items[i] + (i + 1 < items.size() ? "," : "");
    if (width > indent.size() && width + 1 + characters(item) > kWidth) {
      std::printf("%s\n", line.c_str());
      line = std::string(indent.size(), ' ');
      width = indent.size();
    }
    if (width > indent.size()) {
      line += ' ';
      ++width;
    }
    line += item;
    width += characters(item);
  }
  std::printf("%s\n", line.c_str());
}

std::string Column(std::string_view text, std::size_t width) {
  std::vector<std::size_t> starts;  // byte offset of each code point
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) starts.push_back(i);
  }
  std::string out;
  std::size_t shown = starts.size();
  if (starts.size() > width) {
    shown = width == 0 ? 0 : width - 1;
    out.assign(text.substr(0, shown < starts.size() ? starts[shown] : text.size()));
    if (width > 0) out += "…";
    return out;
  }
  out.assign(text);
  out.append(width - shown, ' ');
  return out;
}

}  // namespace covgap::cli
