#include "daemon/agentctl/repository.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/ip/address.hpp>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>

extern char** environ;

namespace agentctl {
namespace {

using base::Error;
using base::Expected;
using nlohmann::json;

// Outside quotes: what a shell would take for an operator or an expansion.
bool is_shell_operator(char c) {
  return std::string_view("|&;<>()$`").find(c) != std::string_view::npos;
}

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\n';
}

// Inside double quotes a backslash only escapes these (POSIX, "Double-Quotes").
bool escapable_in_double_quotes(char c) {
  return c == '$' || c == '`' || c == '"' || c == '\\' || c == '\n';
}

// Reads one quoted part starting after its opening quote at text[i - 1]; i ends after the
// closing quote.
base::Status read_quoted(std::string_view text, size_t& i, char quote, std::string& word) {
  while (i < text.size() && text[i] != quote) {
    if (quote == '"' && text[i] == '\\' && i + 1 < text.size() &&
        escapable_in_double_quotes(text[i + 1])) {
      if (text[i + 1] != '\n') word += text[i + 1];
      i += 2;
      continue;
    }
    word += text[i++];
  }
  if (i == text.size())
    return Error{std::string("unbalanced ") + quote + " quote in \"" + std::string(text) + "\""};
  ++i;
  return base::Ok{};
}

// The daemon's task spec takes a path made absolute on the client's side: "." means nothing
// to it.
std::string absolute_path(const std::string& path) {
  std::string absolute = std::filesystem::absolute(path).lexically_normal().string();
  if (absolute.size() > 1 && absolute.back() == '/') absolute.pop_back();
  return absolute;
}

// Runs `argv` with stdout into `out` (at most `limit` bytes), stdin from /dev/null, stderr
// the user's. Nothing goes through a shell.
base::Status run_capturing(const std::vector<std::string>& argv, size_t limit, std::string& out) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return Error{std::string("pipe: ") + std::strerror(errno)};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  if (spawned != 0) {
    close(pipe_fds[0]);
    return Error{"cannot run " + argv[0] + ": " + std::strerror(spawned)};
  }
  bool too_big = false;
  char chunk[65536];
  for (ssize_t n; (n = read(pipe_fds[0], chunk, sizeof chunk)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || out.size() + static_cast<size_t>(n) > limit) {
      too_big = n > 0;
      kill(pid, SIGKILL);
      break;
    }
    out.append(chunk, static_cast<size_t>(n));
  }
  close(pipe_fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (too_big) return Error{"more than " + std::to_string(limit >> 20) + " MiB"};
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return Error{argv[0] + " failed" +
                 (WIFEXITED(status) ? " with exit status " + std::to_string(WEXITSTATUS(status))
                                    : std::string(" on a signal"))};
  return base::Ok{};
}

}  // namespace

Expected<std::vector<std::string>> split_words(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (is_blank(c)) {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      ++i;
    } else if (c == '\'' || c == '"') {
      in_word = true;
      ++i;
      if (auto read = read_quoted(text, i, c, word); !read) return read.error();
    } else if (c == '\\') {
      if (i + 1 == text.size()) return Error{"\"" + std::string(text) + "\" ends with a backslash"};
      if (text[i + 1] != '\n') {
        word += text[i + 1];
        in_word = true;
      }
      i += 2;
    } else if (is_shell_operator(c)) {
      return Error{"\"" + std::string(text) + "\" holds an unquoted " + c +
                   ": the command runs without a shell; quote it, or run sh -c '...'"};
    } else {
      word += c;
      in_word = true;
      ++i;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

bool is_local(const Endpoint& endpoint) {
  if (endpoint.kind == Endpoint::Kind::unix_socket) return true;
  if (endpoint.host == "localhost") return true;
  boost::system::error_code error;
  const auto address = boost::asio::ip::make_address(endpoint.host, error);
  return !error && address.is_loopback();
}

Expected<std::string> git_bundle_base64(const std::string& path) {
  std::string bundle;
  auto ran = run_capturing({"git", "-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null",
                            "-C", path, "bundle", "create", "-", "--all"},
                           kMaxBundleBytes, bundle);
  if (!ran)
    return Error{"a git bundle of " + path + " for the remote daemon: " + ran.error().message +
                 (ran.error().message.find("MiB") != std::string::npos
                      ? " (the most a daemon takes); run agentctl on the daemon's host"
                      : "")};
  return base64_encode(bundle);
}

base::Status apply_repository_options(json& spec, const Invocation& inv, bool local,
                                      const Bundler& bundle) {
  if (!inv.repo && !inv.ref && !inv.test_command) return base::Ok{};
  json repository = spec.value("repository", json::object());
  if (!repository.is_object()) return Error{"the spec's repository is not an object"};
  if (!inv.repo && !repository.contains("path") && !repository.contains("bundle"))
    return Error{"--ref and --test need --repo PATH (or a spec with a repository)"};
  if (inv.repo) {
    const std::string path = absolute_path(*inv.repo);
    std::error_code error;
    if (!std::filesystem::is_directory(path, error))
      return Error{"--repo " + *inv.repo + ": not a directory"};
    repository.erase("path");
    repository.erase("bundle");
    if (local) {
      repository["path"] = path;
    } else {
      auto encoded = bundle(path);
      if (!encoded) return encoded.error();
      repository["bundle"] = std::move(*encoded);
    }
  }
  if (inv.ref) repository["ref"] = *inv.ref;
  if (inv.test_command) repository["test_command"] = *inv.test_command;
  spec["repository"] = std::move(repository);
  return base::Ok{};
}

Expected<std::string> patch_of(const json& task) {
  const std::string id = task.value("task_id", std::string("?"));
  const std::string state = task.value("state", std::string("?"));
  if (state == "queued" || state == "running")
    return Error{"task " + id + " has no patch yet: it is " + state};
  const json result = task.value("result", json::object());
  const json repository =
      result.is_object() ? result.value("repository", json::object()) : json::object();
  if (!repository.is_object() || !repository.contains("patch") || !repository["patch"].is_string())
    return Error{"task " + id + " (" + state + ") has no patch: its result holds no repository"};
  if (repository.value("truncated", false))
    return Error{"the patch of task " + id + " is truncated (the daemon caps it); branch " +
                 repository.value("branch", std::string("?")) + " (commit " +
                 repository.value("head", std::string("?")) + ") holds the whole change"};
  std::string patch = repository["patch"].get<std::string>();
  if (patch.empty()) return Error{"task " + id + " (" + state + ") changed nothing: no patch"};
  return patch;
}

std::string base64_encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                      reinterpret_cast<const unsigned char*>(bytes.data()),
                                      static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(written));
  return out;
}

}  // namespace agentctl
