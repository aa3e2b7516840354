#include "sandbox/agentbox/cli.h"

#include <sys/stat.h>

#include <charconv>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "base/size.h"
#include "sandbox/seccomp.h"

namespace sandbox::agentbox {
namespace {

const char kUsage[] = R"(usage: agentbox run [options] -- CMD [ARGS...]

Runs CMD in a sandbox (user, pid, mount, network, ipc, uts and cgroup namespaces; seccomp;
cgroup limits) and prints the result as one JSON object on stdout. Exit status: 0 when the
sandbox ran (whatever CMD did), 1 when it could not be set up, 2 for bad flags.

options:
  --memory SIZE          memory limit, no swap (default 512M); SIZE like 4096, 64K, 512M, 1G
  --pids N               most processes at once (default 64)
  --cpu-time SEC         total CPU time of all processes (default: none); SEC like 2, 0.5, 500ms
  --wall-time SEC        wall-clock limit; kills the whole sandbox (default 10)
  --output-limit SIZE    cap on captured stdout and on stderr each (default 1M); more stops CMD
  --ro-bind SRC[:DST]    bind host path SRC read-only at DST (default DST = SRC)
  --bind SRC[:DST]       bind host path SRC writable at DST (nosuid, nodev); writes need the
                         sandbox's host uid to have permission on SRC
  --tmpfs DST[:SIZE]     empty tmpfs at DST (default size 64M)
  --workdir DIR          working directory inside (default /workspace, a 256M tmpfs)
  --env K=V              environment variable (repeatable); nothing is inherited from the
                         host; PATH, HOME, LANG and TMPDIR have defaults that --env overrides
  --stdin FILE           feed FILE to CMD's stdin (default: empty)
  --seccomp PROFILE      default (built-in strict profile), none, or a FILE in Docker's
                         seccomp JSON format (default: default)
  --net MODE             none (fresh namespace, only lo) or host (default: none)
  -h, --help             this text
)";

std::string flag_error(const std::string& flag, const std::string& what) {
  return flag + ": " + what;
}

Expected<std::string> read_file(const std::string& flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{flag_error(flag, "cannot read \"" + path + "\"")};
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

Expected<uint32_t> parse_count(const std::string& flag, const std::string& text) {
  uint32_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value == 0)
    return Error{flag_error(flag, "expected a positive whole number, got \"" + text + "\"")};
  return value;
}

// "SRC:DST" or "SRC"; SRC must exist on the host and DST be absolute.
Expected<Mount> parse_bind(const std::string& flag, const std::string& text, MountType type) {
  const size_t colon = text.find(':');
  Mount m{type, text.substr(0, colon), colon == std::string::npos ? text : text.substr(colon + 1),
          0};
  struct stat st {};
  if (m.source.empty() || ::stat(m.source.c_str(), &st) != 0)
    return Error{
        flag_error(flag, "source \"" + m.source + "\" does not exist (expected SRC[:DST])")};
  if (m.target.empty() || m.target[0] != '/')
    return Error{flag_error(flag, "destination \"" + m.target + "\" is not an absolute path")};
  return m;
}

Expected<Mount> parse_tmpfs(const std::string& flag, const std::string& text) {
  const size_t colon = text.find(':');
  Mount m{MountType::tmpfs, "", text.substr(0, colon), 0};
  if (m.target.empty() || m.target[0] != '/')
    return Error{flag_error(
        flag, "destination \"" + m.target + "\" is not an absolute path (expected DST[:SIZE])")};
  if (colon != std::string::npos) {
    auto size = parse_size(text.substr(colon + 1));
    if (!size) return Error{flag_error(flag, size.error().message)};
    m.size_bytes = *size;
  }
  return m;
}

struct Parser {
  Spec spec = default_spec({});
  std::set<std::string> seen;  // single-valued flags already given
  std::vector<Mount> user_mounts;
  std::vector<std::string> user_env;

  Status once(const std::string& flag) {
    if (!seen.insert(flag).second) return Error{flag_error(flag, "given more than once")};
    return Ok{};
  }

  Status apply(const std::string& flag, const std::string& value);
  Status finish();
};

Status Parser::apply(const std::string& flag, const std::string& value) {
  Limits& l = spec.limits;
  auto size_into = [&](uint64_t& out) -> Status {
    auto v = parse_size(value);
    if (!v) return Error{flag_error(flag, v.error().message)};
    if (*v == 0) return Error{flag_error(flag, "expected a size above 0")};
    out = *v;
    return Ok{};
  };
  auto duration_into = [&](std::chrono::milliseconds& out) -> Status {
    auto v = parse_duration(value);
    if (!v) return Error{flag_error(flag, v.error().message)};
    if (v->count() <= 0) return Error{flag_error(flag, "expected a duration above 0")};
    out = *v;
    return Ok{};
  };
  auto mount_into = [&](Expected<Mount> m) -> Status {
    if (!m) return m.error();
    user_mounts.push_back(std::move(m.value()));
    return Ok{};
  };
  const bool repeatable =
      flag == "--ro-bind" || flag == "--bind" || flag == "--tmpfs" || flag == "--env";
  if (!repeatable) {
    if (auto s = once(flag); !s) return s;
  }
  if (flag == "--memory") return size_into(l.memory_bytes);
  if (flag == "--pids") {
    auto n = parse_count(flag, value);
    if (!n) return n.error();
    l.pids = *n;
    return Ok{};
  }
  if (flag == "--cpu-time") return duration_into(l.cpu_time);
  if (flag == "--wall-time") return duration_into(l.wall_time);
  if (flag == "--output-limit") {
    if (auto s = size_into(l.stdout_bytes); !s) return s;
    l.stderr_bytes = l.stdout_bytes;
    return Ok{};
  }
  if (flag == "--ro-bind") return mount_into(parse_bind(flag, value, MountType::ro_bind));
  if (flag == "--bind") return mount_into(parse_bind(flag, value, MountType::rw_bind));
  if (flag == "--tmpfs") return mount_into(parse_tmpfs(flag, value));
  if (flag == "--workdir") {
    if (value.empty() || value[0] != '/')
      return Error{flag_error(flag, "expected an absolute path, got \"" + value + "\"")};
    spec.workdir = value;
    return Ok{};
  }
  if (flag == "--env") {
    const size_t eq = value.find('=');
    if (eq == std::string::npos || eq == 0)
      return Error{flag_error(flag, "expected K=V, got \"" + value + "\"")};
    user_env.push_back(value);
    return Ok{};
  }
  if (flag == "--stdin") {
    auto content = read_file(flag, value);
    if (!content) return content.error();
    spec.stdin_data = std::move(content.value());
    return Ok{};
  }
  if (flag == "--seccomp") {
    if (value == "default") return Ok{};
    if (value == "none") {
      spec.seccomp.disabled = true;
      return Ok{};
    }
    auto filter = seccomp::load_profile_file(value);
    if (!filter) return Error{flag_error(flag, filter.error().message)};
    spec.seccomp.filter = std::move(filter.value());
    return Ok{};
  }
  if (flag == "--net") {
    if (value != "none" && value != "host")
      return Error{flag_error(flag, "expected none or host, got \"" + value + "\"")};
    spec.network = value == "host" ? NetworkMode::host : NetworkMode::none;
    return Ok{};
  }
  return Error{flag + ": unknown option (see agentbox --help)"};
}

// Merges user mounts and environment over the defaults; refuses two mounts at one place.
Status Parser::finish() {
  std::map<std::string, std::string> targets;
  for (const Mount& m : user_mounts) {
    if (!targets.emplace(m.target, m.source).second)
      return Error{"mount destination \"" + m.target + "\" is given twice"};
  }
  for (const Mount& m : user_mounts) spec.mounts.push_back(m);
  for (const std::string& entry : user_env) {
    const std::string key = entry.substr(0, entry.find('=') + 1);
    std::erase_if(spec.env, [&](const std::string& e) { return e.rfind(key, 0) == 0; });
    spec.env.push_back(entry);
  }
  return Ok{};
}

}  // namespace

const char* usage() {
  return kUsage;
}

Expected<Command> parse_command_line(const std::vector<std::string>& args) {
  Command command;
  if (args.empty())
    return Error{"missing command (expected: agentbox run [options] -- CMD [ARGS...])"};
  if (args[0] == "-h" || args[0] == "--help") {
    command.help = true;
    return command;
  }
  if (args[0] != "run")
    return Error{"unknown command \"" + args[0] + "\" (expected: agentbox run [options] -- CMD)"};
  Parser parser;
  size_t i = 1;
  for (; i < args.size() && args[i] != "--"; ++i) {
    std::string flag = args[i], value;
    if (flag == "-h" || flag == "--help") {
      command.help = true;
      return command;
    }
    if (flag.rfind("--", 0) != 0)
      return Error{"unexpected argument \"" + flag + "\" (put the command after --)"};
    if (const size_t eq = flag.find('='); eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag.resize(eq);
    } else if (i + 1 < args.size() && args[i + 1] != "--") {
      value = args[++i];
    } else {
      return Error{flag_error(flag, "expects a value")};
    }
    if (auto s = parser.apply(flag, value); !s) return s.error();
  }
  if (i + 1 >= args.size())
    return Error{"missing command after -- (expected: agentbox run [options] -- CMD [ARGS...])"};
  if (auto s = parser.finish(); !s) return s.error();
  command.spec = std::move(parser.spec);
  command.spec.argv.assign(args.begin() + static_cast<long>(i) + 1, args.end());
  return command;
}

}  // namespace sandbox::agentbox
