// Reads Docker's seccomp profile format (moby/profiles/seccomp) strictly: every key is known,
// every value has the expected type, and each error names the JSON path. includes/excludes are
// evaluated here for a sandbox on this host that holds no capabilities, as Docker does for a
// container with every capability dropped.
#include "sandbox/seccomp_profile.h"

#include <seccomp.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>

namespace sandbox::seccomp::detail {
namespace {

using nlohmann::json;

// Thrown only inside this file and turned into an Error by parse_docker_profile: a parse
// error has nothing to clean up, and threading Expected through every field would bury the
// format under error plumbing.
struct ProfileError {
  std::string path;
  std::string message;
};

[[noreturn]] void fail(const std::string& path, std::string message) {
  throw ProfileError{path, std::move(message)};
}

std::string member_path(const std::string& parent, std::string_view key) {
  return parent.empty() ? std::string(key) : parent + "/" + std::string(key);
}

std::string element_path(const std::string& parent, std::size_t index) {
  return parent + "/" + std::to_string(index);
}

// A value for an error message: short, and never the dump of a (possibly huge or deeply
// nested) structure from a hostile profile.
std::string describe(const json& value) {
  if (value.is_structured()) return value.type_name();
  const std::string text = value.dump();
  return text.size() > 64 ? text.substr(0, 64) + "..." : text;
}

std::string in_quotes(const std::string& text) {
  return describe(json(text));
}

// ---- typed access ----------------------------------------------------------------------

void require_object(const json& value, const std::string& path,
                    std::initializer_list<std::string_view> known_keys) {
  if (!value.is_object()) fail(path, std::string("expected an object, got ") + value.type_name());
  for (const auto& [key, member] : value.items()) {
    if (std::find(known_keys.begin(), known_keys.end(), key) != known_keys.end()) continue;
    std::string expected;
    for (std::string_view known : known_keys) {
      expected += (expected.empty() ? "" : ", ") + std::string(known);
    }
    const bool plain = key.size() <= 64 && std::all_of(key.begin(), key.end(), [](char c) {
                         return c > ' ' && c < 0x7f && c != '/';
                       });
    fail(member_path(path, plain ? key : in_quotes(key)),
         "unknown key; expected one of: " + expected);
  }
}

// The member, or nullptr when it is absent or null (Docker's Go types read null as absent).
const json* optional_member(const json& object, std::string_view key) {
  const auto found = object.find(key);
  if (found == object.end() || found->is_null()) return nullptr;
  return &*found;
}

const json& required_member(const json& object, const std::string& path, std::string_view key,
                            std::string_view what) {
  const json* member = optional_member(object, key);
  if (member == nullptr) fail(member_path(path, key), "missing; expected " + std::string(what));
  return *member;
}

std::string as_string(const json& value, const std::string& path) {
  if (!value.is_string()) fail(path, std::string("expected a string, got ") + value.type_name());
  return value.get<std::string>();
}

std::uint64_t as_unsigned(const json& value, const std::string& path, std::uint64_t max) {
  const bool non_negative_integer =
      value.is_number_unsigned() || (value.is_number_integer() && value.get<std::int64_t>() >= 0);
  if (!non_negative_integer || value.get<std::uint64_t>() > max) {
    fail(path, "expected an integer from 0 to " + std::to_string(max) + ", got " + describe(value));
  }
  return value.get<std::uint64_t>();
}

std::vector<std::string> as_string_list(const json& value, const std::string& path) {
  if (!value.is_array())
    fail(path, std::string("expected a list of strings, got ") + value.type_name());
  std::vector<std::string> strings;
  for (std::size_t i = 0; i < value.size(); ++i) {
    strings.push_back(as_string(value[i], element_path(path, i)));
  }
  return strings;
}

const json& as_list(const json& value, const std::string& path) {
  if (!value.is_array()) fail(path, std::string("expected a list, got ") + value.type_name());
  return value;
}

// An SCMP_ARCH_* name's token, 0 when libseccomp does not know it.
std::uint32_t resolve_arch(const std::string& name, const std::string& path) {
  if (name.rfind("SCMP_ARCH_", 0) != 0) {
    fail(path,
         in_quotes(name) + " is not an architecture; expected a name such as \"SCMP_ARCH_X86_64\"");
  }
  return arch_token(name);
}

// ---- actions -----------------------------------------------------------------------------

constexpr std::uint64_t kMaxErrno = 4095;
constexpr std::uint64_t kMaxTraceData = 0xffff;

std::uint32_t parse_action(const json& action_json, const std::string& action_path,
                           const json* errno_json, const std::string& errno_path) {
  const std::string name = as_string(action_json, action_path);
  if (name == "SCMP_ACT_ERRNO") {
    return SCMP_ACT_ERRNO(errno_json ? as_unsigned(*errno_json, errno_path, kMaxErrno) : EPERM);
  }
  if (name == "SCMP_ACT_TRACE") {
    return SCMP_ACT_TRACE(errno_json ? as_unsigned(*errno_json, errno_path, kMaxTraceData) : EPERM);
  }
  if (name == "SCMP_ACT_NOTIFY") {
    fail(action_path,
         "SCMP_ACT_NOTIFY needs a user-space notifier, which agentd does not run; expected "
         "another action");
  }
  static const std::pair<std::string_view, std::uint32_t> kPlainActions[] = {
      {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW},
      {"SCMP_ACT_KILL", SCMP_ACT_KILL},
      {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD},
      {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS},
      {"SCMP_ACT_TRAP", SCMP_ACT_TRAP},
      {"SCMP_ACT_LOG", SCMP_ACT_LOG},
  };
  for (const auto& [known, value] : kPlainActions) {
    if (name != known) continue;
    if (errno_json)
      fail(errno_path, "applies only to SCMP_ACT_ERRNO and SCMP_ACT_TRACE, not " + name);
    return value;
  }
  fail(action_path,
       "unknown action " + in_quotes(name) +
           "; expected SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_ACT_KILL, SCMP_ACT_KILL_PROCESS, "
           "SCMP_ACT_KILL_THREAD, SCMP_ACT_TRAP, SCMP_ACT_TRACE or SCMP_ACT_LOG");
}

// ---- syscalls[] entries ------------------------------------------------------------------

ArgCondition parse_arg(const json& arg, const std::string& path) {
  require_object(arg, path, {"index", "value", "valueTwo", "op"});
  static const std::pair<std::string_view, CompareOp> kOps[] = {
      {"SCMP_CMP_NE", CompareOp::kNe},
      {"SCMP_CMP_LT", CompareOp::kLt},
      {"SCMP_CMP_LE", CompareOp::kLe},
      {"SCMP_CMP_EQ", CompareOp::kEq},
      {"SCMP_CMP_GE", CompareOp::kGe},
      {"SCMP_CMP_GT", CompareOp::kGt},
      {"SCMP_CMP_MASKED_EQ", CompareOp::kMaskedEq},
  };
  ArgCondition condition;
  condition.index = static_cast<unsigned>(
      as_unsigned(required_member(arg, path, "index", "an argument index from 0 to 5"),
                  member_path(path, "index"), 5));
  const std::string op_path = member_path(path, "op");
  const std::string op =
      as_string(required_member(arg, path, "op", "an SCMP_CMP_* operator"), op_path);
  const auto known = std::find_if(std::begin(kOps), std::end(kOps),
                                  [&](const auto& entry) { return entry.first == op; });
  if (known == std::end(kOps)) {
    fail(op_path, "unknown operator " + in_quotes(op) +
                      "; expected SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_EQ, "
                      "SCMP_CMP_GE, SCMP_CMP_GT or SCMP_CMP_MASKED_EQ");
  }
  condition.op = known->second;
  constexpr std::uint64_t kAny = ~std::uint64_t{0};
  condition.value = as_unsigned(required_member(arg, path, "value", "an unsigned integer"),
                                member_path(path, "value"), kAny);
  if (const json* two = optional_member(arg, "valueTwo")) {
    condition.value_two = as_unsigned(*two, member_path(path, "valueTwo"), kAny);
  }
  if (condition.op != CompareOp::kMaskedEq && condition.value_two != 0) {
    fail(member_path(path, "valueTwo"),
         "is used only by SCMP_CMP_MASKED_EQ; expected it absent or 0");
  }
  return condition;
}

HostCriteria parse_criteria(const json& filter, const std::string& path) {
  require_object(filter, path, {"caps", "arches", "minKernel"});
  HostCriteria criteria;
  if (const json* caps = optional_member(filter, "caps")) {
    criteria.caps = as_string_list(*caps, member_path(path, "caps"));
  }
  if (const json* arches = optional_member(filter, "arches")) {
    criteria.arches = as_string_list(*arches, member_path(path, "arches"));
  }
  if (const json* kernel = optional_member(filter, "minKernel")) {
    const std::string kernel_path = member_path(path, "minKernel");
    const std::string version = as_string(*kernel, kernel_path);
    char trailing = 0;
    if (std::sscanf(version.c_str(), "%u.%u%c", &criteria.min_major, &criteria.min_minor,
                    &trailing) != 2 ||
        !std::isdigit(static_cast<unsigned char>(version.front()))) {
      fail(kernel_path,
           in_quotes(version) +
               " is not a kernel version; expected \"<major>.<minor>\" such as \"4.8\"");
    }
    criteria.has_min_kernel = true;
  }
  return criteria;
}

std::vector<std::string> parse_names(const json& entry, const std::string& path) {
  const json* names = optional_member(entry, "names");
  const json* legacy_name = optional_member(entry, "name");
  if (names != nullptr && legacy_name != nullptr) {
    fail(path, "has both \"names\" and \"name\"; expected only one");
  }
  if (legacy_name != nullptr) return {as_string(*legacy_name, member_path(path, "name"))};
  if (names == nullptr)
    fail(member_path(path, "names"), "missing; expected a list of syscall names");
  std::vector<std::string> list = as_string_list(*names, member_path(path, "names"));
  if (list.empty())
    fail(member_path(path, "names"), "is empty; expected at least one syscall name");
  return list;
}

// The rule, or an empty `names` when the entry does not apply to this host.
SyscallRule parse_syscall(const json& entry, const std::string& path, const Host& host) {
  require_object(
      entry, path,
      {"names", "name", "action", "errnoRet", "args", "comment", "includes", "excludes"});
  SyscallRule rule;
  rule.json_path = path;
  std::vector<std::string> names = parse_names(entry, path);
  rule.action = parse_action(required_member(entry, path, "action", "an SCMP_ACT_* action"),
                             member_path(path, "action"), optional_member(entry, "errnoRet"),
                             member_path(path, "errnoRet"));
  if (const json* comment = optional_member(entry, "comment"))
    as_string(*comment, member_path(path, "comment"));
  std::vector<ArgCondition> conditions;
  if (const json* args = optional_member(entry, "args")) {
    const std::string args_path = member_path(path, "args");
    for (std::size_t i = 0; i < as_list(*args, args_path).size(); ++i) {
      conditions.push_back(parse_arg((*args)[i], element_path(args_path, i)));
    }
    Expected<std::vector<std::vector<ArgCondition>>> expanded = expand_conditions(conditions);
    if (!expanded) fail(args_path, expanded.error().message);
    rule.alternatives = std::move(expanded).value();
  } else {
    rule.alternatives = {{}};
  }
  std::optional<HostCriteria> includes;
  std::optional<HostCriteria> excludes;
  if (const json* filter = optional_member(entry, "includes")) {
    includes = parse_criteria(*filter, member_path(path, "includes"));
  }
  if (const json* filter = optional_member(entry, "excludes")) {
    excludes = parse_criteria(*filter, member_path(path, "excludes"));
  }
  if (applies_here(includes ? &*includes : nullptr, excludes ? &*excludes : nullptr, host)) {
    rule.names = std::move(names);
  }
  return rule;
}

// ---- top level ---------------------------------------------------------------------------

void add_arch(Profile& profile, std::uint32_t arch, const Host& host) {
  const auto& extra = profile.extra_arches;
  if (arch == host.native_arch || std::find(extra.begin(), extra.end(), arch) != extra.end())
    return;
  profile.extra_arches.push_back(arch);
}

// archMap: only the entry for the native architecture counts; its subArchitectures are added.
void parse_arch_map(const json& arch_map, Profile& profile, const Host& host) {
  const std::string path = "archMap";
  for (std::size_t i = 0; i < as_list(arch_map, path).size(); ++i) {
    const std::string entry_path = element_path(path, i);
    const json& entry = arch_map[i];
    require_object(entry, entry_path, {"architecture", "subArchitectures"});
    const std::string arch_path = member_path(entry_path, "architecture");
    const std::string arch = as_string(
        required_member(entry, entry_path, "architecture", "a name such as \"SCMP_ARCH_X86_64\""),
        arch_path);
    std::vector<std::string> subs;
    const std::string subs_path = member_path(entry_path, "subArchitectures");
    if (const json* list = optional_member(entry, "subArchitectures"))
      subs = as_string_list(*list, subs_path);
    if (resolve_arch(arch, arch_path) != host.native_arch) continue;
    for (std::size_t j = 0; j < subs.size(); ++j) {
      const std::uint32_t sub = resolve_arch(subs[j], element_path(subs_path, j));
      if (sub == 0) fail(element_path(subs_path, j), "unknown architecture " + in_quotes(subs[j]));
      add_arch(profile, sub, host);
    }
  }
}

// The older "architectures" list: those this kernel can run besides the native one are added;
// the others could never appear in a syscall here.
void parse_architectures(const json& list, Profile& profile, const Host& host) {
  const std::vector<std::string> names = as_string_list(list, "architectures");
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::uint32_t arch = resolve_arch(names[i], element_path("architectures", i));
    if (std::find(host.compat_arches.begin(), host.compat_arches.end(), arch) !=
        host.compat_arches.end()) {
      add_arch(profile, arch, host);
    }
  }
}

// Keys of the OCI format that ask for things agentd does not do: refuse rather than ignore.
void refuse_unsupported(const json& root) {
  if (const json* flags = optional_member(root, "flags")) {
    const std::vector<std::string> names = as_string_list(*flags, "flags");
    if (!names.empty()) {
      fail("flags/0", in_quotes(names.front()) +
                          " is not supported: agentd loads filters itself, "
                          "without flags; expected an empty list");
    }
  }
  for (std::string_view key : {"listenerPath", "listenerMetadata"}) {
    if (const json* value = optional_member(root, key)) {
      if (!as_string(*value, std::string(key)).empty()) {
        fail(std::string(key),
             "is not supported: agentd runs no seccomp notifier; expected it "
             "absent or empty");
      }
    }
  }
}

Profile parse_root(const json& root, const Host& host) {
  require_object(root, "",
                 {"defaultAction", "defaultErrnoRet", "architectures", "archMap", "syscalls",
                  "flags", "listenerPath", "listenerMetadata"});
  Profile profile;
  profile.default_action =
      parse_action(required_member(root, "", "defaultAction", "an SCMP_ACT_* action"),
                   "defaultAction", optional_member(root, "defaultErrnoRet"), "defaultErrnoRet");
  refuse_unsupported(root);
  const json* arch_map = optional_member(root, "archMap");
  const json* architectures = optional_member(root, "architectures");
  if (arch_map != nullptr && architectures != nullptr) {
    fail("architectures", "cannot be used together with \"archMap\"; expected only one");
  }
  if (arch_map != nullptr) parse_arch_map(*arch_map, profile, host);
  if (architectures != nullptr) parse_architectures(*architectures, profile, host);
  if (const json* syscalls = optional_member(root, "syscalls")) {
    for (std::size_t i = 0; i < as_list(*syscalls, "syscalls").size(); ++i) {
      SyscallRule rule = parse_syscall((*syscalls)[i], element_path("syscalls", i), host);
      if (!rule.names.empty()) profile.rules.push_back(std::move(rule));
    }
  }
  return profile;
}

}  // namespace

Expected<Profile> parse_docker_profile(std::string_view json_text, std::string_view origin) {
  json root;
  try {
    root = json::parse(json_text);
  } catch (const json::parse_error& error) {
    return Error{std::string(origin) + ": invalid JSON: " + error.what()};
  }
  try {
    return parse_root(root, this_host());
  } catch (const ProfileError& error) {
    const std::string where = error.path.empty() ? "(top level)" : error.path;
    return Error{std::string(origin) + ": " + where + ": " + error.message};
  }
}

}  // namespace sandbox::seccomp::detail
