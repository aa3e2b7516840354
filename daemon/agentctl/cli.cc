// Command-line parsing for agentctl. Options may come before or after the command; "--" ends
// options (so a feedback message may start with a dash).
#include "daemon/agentctl/cli.h"

#include <charconv>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "daemon/agentctl/repository.h"

namespace agentctl {
namespace {

using base::Error;
using base::Expected;

constexpr const char* kDefaultEndpoint = "unix:/run/agentd/agentd.sock";

// Commands and how many positional arguments each takes (min, max).
const std::map<std::string, std::pair<size_t, size_t>>& command_arities() {
  static const std::map<std::string, std::pair<size_t, size_t>> arities = {
      {"submit", {1, 1}},   {"get", {1, 1}},  {"list", {0, 0}},     {"cancel", {1, 1}},
      {"feedback", {2, 2}}, {"exec", {1, 1}}, {"policies", {0, 0}}, {"info", {0, 0}},
  };
  return arities;
}

// Options that take a value, and the commands that accept them (empty: every command).
const std::map<std::string, std::set<std::string>>& valued_options() {
  static const std::map<std::string, std::set<std::string>> options = {
      {"--server", {}},          {"--unix", {}},
      {"--token", {}},           {"--token-file", {}},
      {"--cacert", {}},          {"--state", {"list"}},
      {"--limit", {"list"}},     {"--before", {"list"}},
      {"--agent", {"feedback"}}, {"--policy", {"exec"}},
      {"--language", {"exec"}},  {"--stdin", {"exec"}},
      {"--timeout", {"exec"}},   {"--idempotency-key", {"submit"}},
      {"--repo", {"submit"}},    {"--ref", {"submit"}},
      {"--test", {"submit"}},
  };
  return options;
}

Expected<std::string> read_token_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error{"cannot read the token file " + path};
  std::string token;
  std::getline(in, token);
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
  if (token.empty()) return Error{"the token file " + path + " is empty"};
  return token;
}

Expected<double> parse_seconds(const std::string& text) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || !(value > 0) || value > 86400)
    return Error{"--timeout: expected seconds between 0 and 86400, got \"" + text + "\""};
  return value;
}

Expected<int> parse_limit(const std::string& text) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < 1 || value > 500)
    return Error{"--limit: expected a whole number from 1 to 500, got \"" + text + "\""};
  return value;
}

// Applies one option with a value to the invocation.
base::Status apply_option(Invocation& inv, std::map<std::string, std::string>& connection,
                          const std::string& name, const std::string& value) {
  if (name == "--server" || name == "--unix" || name == "--token" || name == "--token-file" ||
      name == "--cacert") {
    connection[name] = value;
  } else if (name == "--state") {
    inv.state = value;
  } else if (name == "--limit") {
    auto limit = parse_limit(value);
    if (!limit) return limit.error();
    inv.limit = *limit;
  } else if (name == "--before") {
    inv.before = value;
  } else if (name == "--agent") {
    inv.agent = value;
  } else if (name == "--policy") {
    inv.policy = value;
  } else if (name == "--language") {
    inv.language = value;
  } else if (name == "--stdin") {
    inv.stdin_file = value;
  } else if (name == "--timeout") {
    auto seconds = parse_seconds(value);
    if (!seconds) return seconds.error();
    inv.timeout = *seconds;
  } else if (name == "--idempotency-key") {
    inv.idempotency_key = value;
  } else if (name == "--repo" || name == "--ref") {
    if (value.empty()) return Error{name + " needs a non-empty value"};
    (name == "--repo" ? inv.repo : inv.ref) = value;
  } else if (name == "--test") {
    auto words = split_words(value);
    if (!words) return Error{"--test: " + words.error().message};
    if (words->empty()) return Error{"--test: expected a command, got \"" + value + "\""};
    inv.test_command = std::move(*words);
  }
  return base::Ok{};
}

// Resolves the endpoint and token: flags first, then AGENTD_SERVER / AGENTD_TOKEN(_FILE).
base::Status resolve_connection(Invocation& inv, std::map<std::string, std::string>& flags,
                                Getenv getenv) {
  auto env = [&](const char* name) -> std::string {
    const char* value = getenv(name);
    return value ? value : "";
  };
  if (flags.count("--server") && flags.count("--unix"))
    return Error{"--server and --unix name two servers: pass one"};
  std::string address = flags.count("--unix")     ? "unix:" + flags["--unix"]
                        : flags.count("--server") ? flags["--server"]
                                                  : env("AGENTD_SERVER");
  if (address.empty()) address = kDefaultEndpoint;
  auto endpoint = parse_endpoint(address);
  if (!endpoint) return endpoint.error();
  inv.endpoint = *endpoint;
  if (flags.count("--cacert")) inv.endpoint.ca_file = flags["--cacert"];

  if (flags.count("--token") && flags.count("--token-file"))
    return Error{"--token and --token-file both give a token: pass one"};
  if (flags.count("--token")) {
    inv.token = flags["--token"];
  } else {
    const std::string file =
        flags.count("--token-file") ? flags["--token-file"] : env("AGENTD_TOKEN_FILE");
    if (!file.empty()) {
      auto token = read_token_file(file);
      if (!token) return token.error();
      inv.token = *token;
    } else {
      inv.token = env("AGENTD_TOKEN");
    }
  }
  if (inv.token.find_first_of("\r\n") != std::string::npos)
    return Error{"the token holds a line break"};
  return base::Ok{};
}

base::Status check_command(const Invocation& inv) {
  const auto arity = command_arities().find(inv.command);
  if (arity == command_arities().end())
    return Error{"unknown command \"" + inv.command + "\"; see agentctl --help"};
  const auto [min, max] = arity->second;
  if (inv.arguments.size() < min || inv.arguments.size() > max) {
    std::ostringstream message;
    message << inv.command << ": expected " << min;
    if (max != min) message << " to " << max;
    message << " argument(s), got " << inv.arguments.size() << "; see agentctl --help";
    return Error{message.str()};
  }
  if (inv.follow && inv.command != "submit") return Error{"--follow is an option of submit"};
  if (inv.patch && inv.command != "get") return Error{"--patch is an option of get"};
  if (inv.command == "exec" && (!inv.policy || !inv.language))
    return Error{"exec: --policy and --language are required"};
  return base::Ok{};
}

}  // namespace

Expected<Endpoint> parse_endpoint(const std::string& text) {
  Endpoint endpoint;
  if (text.rfind("unix:", 0) == 0) {
    endpoint.kind = Endpoint::Kind::unix_socket;
    endpoint.unix_path = text.substr(5);
    if (endpoint.unix_path.empty())
      return Error{"unix: needs a socket path, e.g. unix:/run/agentd/agentd.sock"};
    return endpoint;
  }
  std::string rest = text;
  std::string default_port = "80";
  endpoint.kind = Endpoint::Kind::tcp;
  if (rest.rfind("wss://", 0) == 0) {
    endpoint.kind = Endpoint::Kind::tls;
    default_port = "443";
    rest = rest.substr(6);
  } else if (rest.rfind("ws://", 0) == 0) {
    rest = rest.substr(5);
  } else if (rest.find("://") != std::string::npos) {
    return Error{"server address \"" + text + "\": expected ws://, wss:// or unix:"};
  }
  if (const size_t slash = rest.find('/'); slash != std::string::npos) {
    endpoint.path = rest.substr(slash);
    rest = rest.substr(0, slash);
  }
  if (!rest.empty() && rest.front() == '[') {  // [::1]:7700
    const size_t close = rest.find(']');
    if (close == std::string::npos) return Error{"server address \"" + text + "\": unclosed ["};
    endpoint.host = rest.substr(1, close - 1);
    rest = rest.substr(close + 1);
    endpoint.port = rest.empty() ? default_port : rest.substr(rest.front() == ':' ? 1 : 0);
  } else if (const size_t colon = rest.rfind(':'); colon != std::string::npos) {
    endpoint.host = rest.substr(0, colon);
    endpoint.port = rest.substr(colon + 1);
  } else {
    endpoint.host = rest;
    endpoint.port = default_port;
  }
  if (endpoint.host.empty() || endpoint.port.empty() ||
      endpoint.port.find_first_not_of("0123456789") != std::string::npos)
    return Error{"server address \"" + text + "\": expected HOST:PORT, e.g. ws://127.0.0.1:7700"};
  return endpoint;
}

Expected<Invocation> parse_command_line(const std::vector<std::string>& args, Getenv getenv) {
  Invocation inv;
  std::map<std::string, std::string> connection_flags;
  bool options_ended = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (options_ended || arg == "-" || arg.empty() || arg.front() != '-') {
      if (inv.command.empty())
        inv.command = arg;
      else
        inv.arguments.push_back(arg);
      continue;
    }
    if (arg == "--") {
      options_ended = true;
      continue;
    }
    if (arg == "-h" || arg == "--help") {
      inv.help = true;
      continue;
    }
    if (arg == "--json") {
      inv.json = true;
      continue;
    }
    if (arg == "--follow" || arg == "-f") {
      inv.follow = true;
      continue;
    }
    if (arg == "--patch") {
      inv.patch = true;
      continue;
    }
    std::string name = arg, value;
    const size_t equals = arg.find('=');
    const bool inline_value = equals != std::string::npos;
    if (inline_value) {
      name = arg.substr(0, equals);
      value = arg.substr(equals + 1);
    }
    const auto option = valued_options().find(name);
    if (option == valued_options().end())
      return Error{"unknown option " + name + "; see agentctl --help"};
    if (!inline_value) {
      if (i + 1 >= args.size()) return Error{name + " needs a value"};
      value = args[++i];
    }
    if (!option->second.empty() && !inv.command.empty() && !option->second.count(inv.command))
      return Error{name + " is not an option of " + inv.command};
    if (auto status = apply_option(inv, connection_flags, name, value); !status)
      return status.error();
  }
  if (inv.help) return inv;
  if (inv.command.empty()) return Error{"no command given; see agentctl --help"};
  if (auto status = check_command(inv); !status) return status.error();
  if (auto status = resolve_connection(inv, connection_flags, getenv); !status)
    return status.error();
  return inv;
}

std::string usage_text() {
  return R"(usage: agentctl [OPTIONS] COMMAND [ARGS]

Commands:
  submit FILE|- [--follow] [--idempotency-key K] [--repo PATH] [--ref R] [--test CMD]
                          submit the task spec in FILE (- reads stdin); prints the task id,
                          or with --follow streams its events until it ends. --repo sets
                          the spec's repository: the git repository at PATH (sent as a path
                          to a daemon on this host, as a git bundle to a remote one), --ref
                          the commit the agents start from, --test the command that runs
                          its tests (split into words as a shell would, without a shell)
  get ID [--patch]        the task's state, spec, result and usage; --patch prints only
                          the patch of a repository task (agentctl get ID --patch | git apply)
  list [--state S] [--limit N] [--before ID]
                          your tasks, newest first (S: queued, running, succeeded, failed,
                          cancelled, interrupted, budget_exhausted)
  cancel ID               cancel a queued or running task
  feedback ID MESSAGE [--agent A]
                          send MESSAGE to agent A of a running task (default: every agent)
  exec --policy P --language L [--stdin FILE] [--timeout S] FILE|-
                          run code in a sandbox under policy P, no LLM (L: python, bash, c,
                          cpp, node); prints its stdout and stderr
  policies                the policies your token may use
  info                    server version, patterns, policies, cgroup version, GPUs, limits

Options:
  --server URL            ws://HOST:PORT, wss://HOST:PORT or unix:PATH (env AGENTD_SERVER;
                          default unix:/run/agentd/agentd.sock)
  --unix PATH             the daemon's unix socket (same as --server unix:PATH)
  --token T               bearer token (env AGENTD_TOKEN); prefer --token-file or the
                          environment: a command line is visible to other users
  --token-file FILE       read the token from the first line of FILE (env AGENTD_TOKEN_FILE)
  --cacert FILE           wss://: trust the CA certificates in FILE instead of the system's
  --json                  print JSON, one object per line, for scripts
  -h, --help              this text

Exit status:
  0  succeeded (for submit --follow: the task succeeded)
  1  the task failed, was cancelled or interrupted, or exhausted its budget; exec: the
     program did not run to exit status 0; get --patch: the task has no patch to print
  2  usage error: bad command line or input file, or the server called the request invalid
  3  connection error: cannot connect, token refused, or the connection was lost for good
  4  the server refused the request (unknown task, quota, rate limit, draining, policy not
     allowed, internal error)
)";
}

}  // namespace agentctl
