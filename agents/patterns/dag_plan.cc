#include "agents/patterns/dag_plan.h"

#include <algorithm>
#include <optional>

#include "agents/runtime/tool_catalog.h"
#include "base/json_fields.h"

namespace agents::patterns {

using nlohmann::json;

namespace {

constexpr size_t kMaxErrors = 10;

bool is_step_id(const std::string& id) {
  return !id.empty() && id.size() <= 32 &&
         id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") ==
             std::string::npos;
}

// Calls `on_ref(id)` for each ${id} in `text`; returns false for an unterminated "${".
template <class F>
bool for_each_reference(const std::string& text, F&& on_ref) {
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] != '$') continue;
    if (text[i + 1] == '$' && i + 2 < text.size() && text[i + 2] == '{') {
      i += 2;  // $${ is a literal ${
      continue;
    }
    if (text[i + 1] != '{') continue;
    const size_t end = text.find('}', i + 2);
    if (end == std::string::npos) return false;
    on_ref(text.substr(i + 2, end - i - 2));
    i = end;
  }
  return true;
}

template <class F>
void for_each_string(const json& value, F&& on_string) {
  if (value.is_string())
    on_string(value.get_ref<const std::string&>());
  else if (value.is_array() || value.is_object())
    for (const json& item : value) for_each_string(item, on_string);
}

// What each step needs in its input: a tool's required arguments, an agent's prompt.
std::vector<std::string> required_inputs(const std::string& tool) {
  if (tool == runtime::kAgentStep) return {"prompt"};
  const std::optional<policies::Tool> known = policies::parse_tool(tool);
  return known ? runtime::required_arguments(*known) : std::vector<std::string>{};
}

std::string string_field(const json& item, const char* key) {
  auto it = item.is_object() ? item.find(key) : item.end();
  return it != item.end() && it->is_string() ? it->get<std::string>() : std::string();
}

class Checker {
 public:
  explicit Checker(const DagPlanRules& rules) : rules_(rules) {}

  DagPlanCheck run(const json& answer) {
    DagPlanCheck check;
    if (!answer.is_object() || !answer.contains("steps") || !answer["steps"].is_array()) {
      check.errors.push_back("the plan must be an object with a list of steps");
      return check;
    }
    const json& steps = answer["steps"];
    std::set<std::string> ids;
    for (size_t i = 0; i < steps.size(); ++i) {
      DagStep step = read_step(steps[i], i);
      if (!step.id.empty() && !ids.insert(step.id).second)
        error("step \"" + step.id + "\": the id is used twice");
      check.plan.steps.push_back(std::move(step));
    }
    if (check.plan.steps.size() > rules_.max_steps)
      error("the plan has " + std::to_string(check.plan.steps.size()) + " steps; at most " +
            std::to_string(rules_.max_steps) + " are allowed");
    check_links(check.plan, ids);
    if (auto a = answer.find("answer"); a != answer.end() && a->is_string()) {
      check.plan.answer = a->get<std::string>();
      if (!ids.count(check.plan.answer) && !rules_.kept_ids.count(check.plan.answer))
        error("answer: " + base::shown(*a, 40) + " is not a step");
    }
    check.errors = std::move(errors_);
    return check;
  }

 private:
  void error(std::string text) {
    if (errors_.size() < kMaxErrors) errors_.push_back(std::move(text));
  }

  DagStep read_step(const json& item, size_t index) {
    DagStep step;
    const std::string where = "step " + std::to_string(index + 1);
    step.id = string_field(item, "id");
    if (!is_step_id(step.id)) {
      error(where + ": id " + base::shown(json(step.id), 40) +
            " must be 1-32 letters, digits, '_' or '-'");
      step.id.clear();
    } else if (rules_.kept_ids.count(step.id)) {
      error("step \"" + step.id + "\": that step is already done or running; use a new id");
    }
    step.tool = string_field(item, "tool");
    if (std::find(rules_.allowed_tools.begin(), rules_.allowed_tools.end(), step.tool) ==
        rules_.allowed_tools.end()) {
      std::string allowed;
      for (const auto& t : rules_.allowed_tools) allowed += (allowed.empty() ? "" : ", ") + t;
      error(where + ": tool " + base::shown(json(step.tool), 40) +
            " is not allowed; allowed: " + allowed);
    }
    if (item.is_object() && item.contains("input")) step.input = item["input"];
    if (!step.input.is_object()) error(where + ": input must be an object");
    for (const std::string& key : required_inputs(step.tool))
      if (!step.input.is_object() || !step.input.contains(key) || !step.input[key].is_string())
        error(where + ": " + step.tool + " needs input." + key + " as a string");
    if (item.is_object() && item.contains("depends_on") && item["depends_on"].is_array())
      for (const json& dep : item["depends_on"])
        add_dependency(step, dep.is_string() ? dep.get<std::string>() : "");
    bool terminated = true;
    for_each_string(step.input, [&](const std::string& text) {
      terminated =
          for_each_reference(text, [&](const std::string& ref) { add_dependency(step, ref); }) &&
          terminated;
    });
    if (!terminated) error(where + ": \"${\" without a closing \"}\" (write $${ for a literal ${)");
    return step;
  }

  static void add_dependency(DagStep& step, const std::string& id) {
    if (std::find(step.depends_on.begin(), step.depends_on.end(), id) == step.depends_on.end())
      step.depends_on.push_back(id);
  }

  void check_links(const DagPlan& plan, const std::set<std::string>& ids) {
    for (const DagStep& step : plan.steps)
      for (const std::string& dep : step.depends_on)
        if (!ids.count(dep) && !rules_.kept_ids.count(dep))
          error("step \"" + step.id + "\": refers to unknown step " + base::shown(json(dep), 40));
    // Kahn's algorithm over the new steps; kept steps depend on nothing new.
    std::map<std::string, size_t> waiting;
    for (const DagStep& step : plan.steps) {
      size_t count = 0;
      for (const std::string& dep : step.depends_on) count += ids.count(dep);
      waiting[step.id] = count;
    }
    std::vector<std::string> ready;
    for (const auto& [id, count] : waiting)
      if (count == 0) ready.push_back(id);
    size_t ordered = 0;
    while (!ready.empty()) {
      const std::string id = ready.back();
      ready.pop_back();
      ++ordered;
      for (const DagStep& step : plan.steps)
        if (std::count(step.depends_on.begin(), step.depends_on.end(), id) &&
            --waiting[step.id] == 0)
          ready.push_back(step.id);
    }
    if (ordered < waiting.size()) {
      std::string cycle;
      for (const auto& [id, count] : waiting)
        if (count > 0) cycle += (cycle.empty() ? "" : ", ") + id;
      error("the dependencies form a cycle among: " + cycle);
    }
  }

  const DagPlanRules& rules_;
  std::vector<std::string> errors_;
};

}  // namespace

json dag_plan_schema(uint32_t max_steps) {
  json step = {{"type", "object"},
               {"properties",
                {{"id", {{"type", "string"}}},
                 {"tool", {{"type", "string"}}},
                 {"input", {{"type", "object"}}},
                 {"depends_on", {{"type", "array"}, {"items", {{"type", "string"}}}}}}},
               {"required", {"id", "tool", "input"}}};
  return {
      {"type", "object"},
      {"properties",
       {{"steps", {{"type", "array"}, {"items", step}, {"minItems", 1}, {"maxItems", max_steps}}},
        {"answer", {{"type", "string"}}}}},
      {"required", {"steps"}}};
}

std::vector<std::string> permitted_tools(const std::vector<std::string>& allowed,
                                         const policies::ToolScope& scope) {
  auto chosen = [&allowed](std::string_view name) {
    return allowed.empty() || std::find(allowed.begin(), allowed.end(), name) != allowed.end();
  };
  std::vector<std::string> tools;
  if (chosen(runtime::kAgentStep)) tools.emplace_back(runtime::kAgentStep);  // needs no grant
  for (policies::Tool tool : runtime::kDagStepTools)
    if (chosen(policies::to_string(tool)) && scope.allows(tool))
      tools.emplace_back(policies::to_string(tool));
  return tools;
}

DagPlanCheck check_dag_plan(const json& answer, const DagPlanRules& rules) {
  return Checker(rules).run(answer);
}

json substitute_references(const json& input, const std::map<std::string, std::string>& results) {
  if (input.is_array() || input.is_object()) {
    json out = input;
    for (auto& item : out) item = substitute_references(item, results);
    return out;
  }
  if (!input.is_string()) return input;
  const std::string& text = input.get_ref<const std::string&>();
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 3, "$${") == 0) {
      out += "${";
      i += 2;
      continue;
    }
    const size_t end = text.compare(i, 2, "${") == 0 ? text.find('}', i + 2) : std::string::npos;
    auto result =
        end == std::string::npos ? results.end() : results.find(text.substr(i + 2, end - i - 2));
    if (result == results.end()) {
      out += text[i];
      continue;
    }
    out += result->second;
    i = end;
  }
  return out;
}

}  // namespace agents::patterns
