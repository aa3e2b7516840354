// spec["repository"] (docs/repositories.md): a repository on the daemon's host or a bundle, the
// ref the agents start from, and how trees are tested. Whether this tenant may use a host path
// is the daemon's to check (its configuration lists the paths); here the shape is checked.
#include "agents/runtime/base64.h"
#include "agents/runtime/task_spec_parts.h"
#include "base/json_fields.h"
#include "policies/workspace_path.h"

namespace agents::spec_parts {

namespace {

using base::Error;
using base::Ok;
using base::Status;
using nlohmann::json;
using Fields = base::JsonFields;

constexpr size_t kMaxBundleBytes = 32 << 20;
constexpr size_t kMaxArguments = 64;
constexpr size_t kMaxArgumentBytes = 4096;
constexpr size_t kMaxProtectedPaths = 256;

Status parse_command(const Fields& f, const char* key, std::vector<std::string>& out) {
  auto command = f.strings(key, {});
  if (!command) return command.error();
  size_t bytes = 0;
  for (const std::string& argument : *command) bytes = std::max(bytes, argument.size());
  if (command->size() > kMaxArguments || bytes > kMaxArgumentBytes)
    return f.error(key, "an argv list of at most 64 non-empty strings of at most 4096 bytes");
  out = std::move(*command);
  return Ok{};
}

Status parse_source(const Fields& f, RepositorySpec& out) {
  const bool has_path = f.has("path"), has_bundle = f.has("bundle");
  if (has_path == has_bundle)
    return f.error("path",
                   "exactly one of path (a repository on the daemon's host) and bundle "
                   "(a git bundle, base64)");
  if (has_path) {
    auto path = f.string("path", std::nullopt, 4096, true);
    if (!path) return path.error();
    if (path->front() != '/' || path->find('\0') != std::string::npos)
      return f.error("path", "an absolute path on the daemon's host");
    out.path = std::move(*path);
    return Ok{};
  }
  auto text = f.string("bundle", std::nullopt, kMaxBundleBytes * 4 / 3 + 4, true);
  if (!text) return f.error("bundle", "a git bundle of at most 32 MiB, base64");
  auto bytes = runtime::base64_decode(*text);
  if (!bytes) return f.error("bundle", "a git bundle, padded base64");
  out.bundle = std::move(*bytes);
  return Ok{};
}

Status check_pattern(const Fields& f, const TaskSpec& spec) {
  if (spec.pattern != PatternKind::best_of_n && spec.pattern != PatternKind::fan_out &&
      spec.pattern != PatternKind::dag)
    return Error{f.pointer() +
                 ": expected no repository: only best_of_n, fan_out and dag work "
                 "on repositories"};
  if (!spec.input_files.empty())
    return Error{
        "/input_files: expected none with a repository: each agent's workspace is its "
        "worktree (add the files to the repository, or as repository.hidden_tests)"};
  if (spec.pattern != PatternKind::best_of_n) return Ok{};
  if (!spec.tests.empty() || spec.best_of_n.tester_agents != 0)
    return Error{
        "/tests: expected none with a repository: the repository's test_command "
        "(and repository.hidden_tests) test its candidates"};
  if (spec.repository->test_command.empty())
    return f.error("test_command",
                   "the command that runs the repository's tests (best_of_n "
                   "selects by them)");
  return Ok{};
}

}  // namespace

Status parse_repository(const json& root, TaskSpec& spec) {
  const json* value = Fields(root, "").find("repository");
  if (!value) return Ok{};
  Fields f(*value, "/repository");
  if (auto s = f.expect_object(); !s) return s.error();
  if (auto s = f.only({"path", "bundle", "ref", "test_command", "setup_command", "protected_paths",
                       "hidden_tests", "keep_branch"});
      !s)
    return s.error();
  RepositorySpec& out = spec.repository.emplace();
  if (auto s = parse_source(f, out); !s) return s.error();
  auto ref = f.string("ref", "HEAD", 256, true);
  if (!ref) return ref.error();
  if (ref->front() == '-' ||
      ref->find_first_of(std::string(" \t\n\r\0:~^?*[\\", 12)) != std::string::npos)
    return f.error("ref", "a branch, tag or commit id (\"HEAD\", \"main\", \"v1.2\")");
  out.ref = std::move(*ref);
  if (auto s = parse_command(f, "test_command", out.test_command); !s) return s.error();
  if (auto s = parse_command(f, "setup_command", out.setup_command); !s) return s.error();
  auto globs = f.strings("protected_paths", {});
  if (!globs) return globs.error();
  if (globs->size() > kMaxProtectedPaths)
    return f.error("protected_paths", "at most 256 path globs");
  for (size_t i = 0; i < globs->size(); ++i)
    if (auto problem = policies::glob_problem((*globs)[i]))
      return Error{f.at("protected_paths") + "/" + std::to_string(i) + ": " + *problem};
  out.protected_paths = std::move(*globs);
  if (const json* hidden = f.find("hidden_tests"))
    if (auto s = parse_files(*hidden, f.at("hidden_tests"), out.hidden_tests); !s) return s.error();
  auto keep = f.boolean("keep_branch", true);
  if (!keep) return keep.error();
  out.keep_branch = *keep;
  return check_pattern(f, spec);
}

json files_json(const std::vector<InputFile>& files) {
  json out = json::array();
  for (const InputFile& file : files)
    out.push_back({{"path", file.path},
                   {"encoding", "base64"},
                   {"content", runtime::base64_encode(file.content)}});
  return out;
}

json repository_json(const RepositorySpec& repository) {
  json out = {{"ref", repository.ref},
              {"test_command", repository.test_command},
              {"setup_command", repository.setup_command},
              {"protected_paths", repository.protected_paths},
              {"hidden_tests", files_json(repository.hidden_tests)},
              {"keep_branch", repository.keep_branch}};
  if (repository.bundle.empty())
    out["path"] = repository.path;
  else
    out["bundle"] = runtime::base64_encode(repository.bundle);
  return out;
}

}  // namespace agents::spec_parts
