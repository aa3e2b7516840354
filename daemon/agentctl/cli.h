// agentctl's command line: the command, its arguments, and where the daemon is. Parsing never
// touches the network; a bad command line is a usage error (exit status 2).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/expected.h"

namespace agentctl {

// Exit statuses, documented in `agentctl --help` and docs/operations.md. Scripts rely on them.
enum ExitStatus : int {
  kSucceeded = 0,   // the command did what was asked; for a task: it succeeded
  kTaskFailed = 1,  // the task failed, was cancelled or interrupted, or ran out of budget;
                    // exec: the program did not exit 0
  kUsage = 2,       // bad command line or input, or the server called the request invalid
  kConnection = 3,  // cannot connect, authentication refused, or the connection was lost
  kRefused = 4,     // the server refused the request (unknown task, quota, rate, draining...)
};

// Where the daemon listens: ws://host:port[/path], wss://..., or a unix socket.
struct Endpoint {
  enum class Kind { tcp, tls, unix_socket } kind = Kind::unix_socket;
  std::string host;  // tcp/tls
  std::string port;  // tcp/tls
  std::string path = "/v1/ws";
  std::string unix_path;  // unix_socket
  std::string ca_file;    // tls: trust these CAs instead of the system's
};

struct Invocation {
  std::string command;                 // submit, get, list, cancel, feedback, exec, policies, info
  std::vector<std::string> arguments;  // positional arguments after the command
  Endpoint endpoint;
  std::string token;
  bool json = false;                           // one JSON object per line, for scripts
  bool follow = false;                         // submit: stream the task's events until it ends
  std::optional<std::string> state;            // list --state
  std::optional<int> limit;                    // list --limit
  std::optional<std::string> before;           // list --before
  std::optional<std::string> agent;            // feedback --agent
  std::optional<std::string> policy;           // exec --policy
  std::optional<std::string> language;         // exec --language
  std::optional<std::string> stdin_file;       // exec --stdin FILE
  std::optional<double> timeout;               // exec --timeout SECONDS
  std::optional<std::string> idempotency_key;  // submit --idempotency-key
  std::optional<std::string> repo;             // submit --repo PATH
  std::optional<std::string> ref;              // submit --ref R
  std::optional<std::vector<std::string>> test_command;  // submit --test CMD, split into argv
  bool patch = false;                                    // get --patch
  bool help = false;
};

// Reads environment variables through `getenv` (AGENTD_SERVER, AGENTD_TOKEN, AGENTD_TOKEN_FILE);
// flags win over the environment.
using Getenv = const char* (*)(const char*);
base::Expected<Invocation> parse_command_line(const std::vector<std::string>& args, Getenv getenv);

// "ws://127.0.0.1:7700", "wss://host/v1/ws", "unix:/run/agentd/agentd.sock", "host:port".
base::Expected<Endpoint> parse_endpoint(const std::string& text);

std::string usage_text();

}  // namespace agentctl
