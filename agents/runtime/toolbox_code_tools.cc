// The coding tools of the Toolbox: edit_file, search, apply_patch and git_diff. Toolbox::call
// has checked the grant (and edit_file's path) already; what a call names beyond one path is
// checked here: every path a patch touches, old and new (one refused refuses the patch, and
// nothing is written), and every file a search would read (refused ones are skipped and
// counted). File work runs on the task's blocking executor, so a large patch or a long
// search does not hold up the loop; the lambdas it runs take references to this frame, which
// TaskContext::blocking keeps alive until they return.
#include <boost/asio/use_awaitable.hpp>

#include "agents/runtime/task_context.h"
#include "agents/runtime/toolbox.h"
#include "agents/tools/code_edit.h"
#include "agents/tools/search.h"
#include "agents/tools/unified_diff.h"
#include "base/coroutine_warning.h"
#include "base/strings.h"

AGENTD_COROUTINE_FRAMES_BEGIN  // base/coroutine_warning.h says why

    namespace agents::runtime {
  namespace asio = boost::asio;
  using nlohmann::json;
  using policies::Tool;
  using Kind = ToolCallOutcome::Kind;

  namespace {

  std::string string_or_empty(const json& arguments, const char* name) {
    auto it = arguments.find(name);
    return it != arguments.end() && it->is_string() ? it->get<std::string>() : "";
  }

  ToolCallOutcome failed(std::string message) {
    return {std::move(message), Kind::failed};
  }

  std::string join(const std::vector<std::string>& paths) {
    std::string out;
    for (const std::string& path : paths) out += (out.empty() ? "" : ", ") + path;
    return out;
  }

  std::string patch_summary(const tools::PatchResult& result) {
    std::string out = "applied the patch:";
    if (!result.created.empty()) out += " created " + join(result.created) + ";";
    if (!result.modified.empty()) out += " modified " + join(result.modified) + ";";
    if (!result.deleted.empty()) out += " deleted " + join(result.deleted) + ";";
    out.pop_back();
    return out;
  }

  // The sections of a git diff whose "diff --git a/X b/X" header names `prefix` or a path
  // beneath it; the whole text when it has no such headers.
  std::string diff_under(const std::string& diff, const policies::WorkspacePath& prefix) {
    if (prefix.is_root() || diff.rfind("diff --git ", 0) != 0) return diff;
    std::string out;
    size_t start = 0;
    while (start < diff.size()) {
      size_t next = diff.find("\ndiff --git ", start);
      next = next == std::string::npos ? diff.size() : next + 1;
      const std::string_view section(diff.data() + start, next - start);
      const std::string_view header = section.substr(0, section.find('\n'));
      const std::string wanted = "diff --git a/" + prefix.str();
      if (header.rfind(wanted, 0) == 0 &&
          (header.size() == wanted.size() || header[wanted.size()] == '/' ||
           header[wanted.size()] == ' '))
        out += section;
      start = next;
    }
    return out.empty() ? "no changes under \"" + prefix.str() + "\"" : out;
  }

  }  // namespace

  asio::awaitable<ToolCallOutcome> Toolbox::code_tool(Tool tool, const json& args) {
    if (tool == Tool::git_diff) co_return co_await git_diff(args);
    if (tool == Tool::edit_file) co_return co_await edit_file(args);
    if (tool == Tool::search) co_return co_await search(args);
    co_return co_await apply_patch(args);
  }

  asio::awaitable<ToolCallOutcome> Toolbox::edit_file(const json& args) {
    auto opened = open_workspace(Tool::edit_file);
    if (!opened) co_return failed(opened.error().message);
    const tools::Workspace& workspace = **opened;
    const std::string path = string_or_empty(args, "path");
    const std::string old_text = string_or_empty(args, "old_text");
    const std::string new_text = string_or_empty(args, "new_text");
    base::Expected<tools::EditResult> edited = co_await task_.blocking(
        [&] { return tools::edit_file(workspace, path, old_text, new_text); });
    if (!edited) co_return failed(edited.error().message);
    co_return ToolCallOutcome{
        "replaced 1 occurrence in \"" + edited->path + "\" at line " + std::to_string(edited->line),
        Kind::ok};
  }

  asio::awaitable<ToolCallOutcome> Toolbox::search(const json& args) {
    auto opened = open_workspace(Tool::search);
    if (!opened) co_return failed(opened.error().message);
    const tools::Workspace& workspace = **opened;
    tools::SearchRequest request;
    request.pattern = string_or_empty(args, "pattern");
    if (auto glob = args.find("path_glob"); glob != args.end() && glob->is_string())
      request.path_glob = glob->get<std::string>();
    if (auto max = args.find("max_matches"); max != args.end() && max->is_number_integer()) {
      const int64_t wanted = max->get<int64_t>();
      if (wanted < 1 || wanted > static_cast<int64_t>(tools::kMaxSearchMatches))
        co_return failed("search: max_matches is " + std::to_string(wanted) + "; expected 1 to " +
                         std::to_string(tools::kMaxSearchMatches));
      request.max_matches = static_cast<size_t>(wanted);
    }
    if (auto fixed = args.find("fixed"); fixed != args.end() && fixed->is_boolean())
      request.fixed = fixed->get<bool>();
    const policies::ToolScope& scope = policy_->scope;
    request.may_read = [&scope](const policies::WorkspacePath& path) {
      return !scope.check_search(path.str()).has_value();
    };
    base::Expected<tools::SearchResult> found =
        co_await task_.blocking([&] { return tools::search(workspace, request); });
    if (!found) co_return failed(found.error().message);
    co_return ToolCallOutcome{base::valid_utf8(found->render()), Kind::ok};
  }

  asio::awaitable<ToolCallOutcome> Toolbox::apply_patch(const json& args) {
    auto opened = open_workspace(Tool::apply_patch);
    if (!opened) co_return failed(opened.error().message);
    const tools::Workspace& workspace = **opened;
    const std::string patch = string_or_empty(args, "patch");
    auto files = tools::parse_unified_diff(patch);
    if (!files && files.error().code == tools::kPatchPathRefused)
      co_return refuse(std::string(policies::to_string(Tool::apply_patch)),
                       files.error().message + "; nothing was applied");
    if (!files) co_return failed(files.error().message);
    // Every path first: one refused path refuses the whole patch, before anything is read.
    for (const policies::WorkspacePath& path : tools::patch_paths(*files)) {
      if (auto refusal = policy_->scope.check_apply_patch(path.str()))
        co_return refuse(std::string(policies::to_string(Tool::apply_patch)),
                         refusal->reason + "; nothing was applied");
    }
    base::Expected<tools::PatchResult> applied =
        co_await task_.blocking([&] { return tools::apply_patch(workspace, *files); });
    if (!applied) co_return failed(applied.error().message);
    co_return ToolCallOutcome{base::valid_utf8(patch_summary(*applied)), Kind::ok};
  }

  asio::awaitable<ToolCallOutcome> Toolbox::git_diff(const json& args) {
    auto prefix = policies::WorkspacePath::parse(string_or_empty(args, "path"));
    if (!prefix) co_return failed("git_diff: " + prefix.error().message);
    base::Expected<std::string> diff = co_await task_.agent_diff(agent_id_);
    if (!diff) co_return failed("git_diff: " + diff.error().message);
    co_return ToolCallOutcome{base::valid_utf8(diff_under(*diff, *prefix)), Kind::ok};
  }

  AGENTD_COROUTINE_FRAMES_END

}  // namespace agents::runtime
