// agentctl's side of repository tasks (docs/repositories.md): `submit --repo PATH [--ref R]
// [--test CMD]` writes spec.repository (the path for a daemon on this host, a git bundle of
// the repository for a remote one), and `get ID --patch` finds the patch to print.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "daemon/agentctl/cli.h"

namespace agentctl {

// The most a bundle may hold: what the daemon's task spec takes at most.
constexpr size_t kMaxBundleBytes = size_t(32) << 20;

// "python3 -m pytest -q -k 'a b'" → argv, split as a POSIX shell splits words (single and
// double quotes, backslash), with nothing expanded and no shell run. An unbalanced quote, a
// final backslash and an unquoted shell operator (| & ; < > ( ) $ `) are errors: the command
// runs without a shell, so they would not mean what they seem to.
base::Expected<std::vector<std::string>> split_words(std::string_view text);

// Whether the daemon shares this host's files: a unix socket, or a loopback address.
bool is_local(const Endpoint& endpoint);

// A git bundle of the repository at absolute `path`, base64: what a remote daemon gets.
using Bundler = std::function<base::Expected<std::string>(const std::string& path)>;

// `git bundle create - --all` in the user's repository, with repository-configured hooks and
// fsmonitor off; at most kMaxBundleBytes. Git's own complaints go to stderr.
base::Expected<std::string> git_bundle_base64(const std::string& path);

// Applies --repo, --ref and --test to `spec` (a task spec object): --repo made absolute
// replaces the spec's repository source, as a path when `local`, else as a bundle from
// `bundle`; --ref and --test replace those fields. The spec's other repository fields stay.
base::Status apply_repository_options(nlohmann::json& spec, const Invocation& inv, bool local,
                                      const Bundler& bundle);

// The unified patch of a task as task.get returns it, or why there is none to print (not
// finished, no repository result, an empty change, a truncated patch).
base::Expected<std::string> patch_of(const nlohmann::json& task);

std::string base64_encode(std::string_view bytes);

}  // namespace agentctl
