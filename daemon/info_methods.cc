#include "daemon/info_methods.h"

#include "agents/task_spec.h"
#include "daemon/params.h"
#include "policies/tool_scope.h"

namespace agentd {

using nlohmann::json;

json tool_names(const policies::Compiled& policy) {
  const policies::ToolScope& scope = policy.scope;
  json tools = json::array();
  for (policies::Tool tool : policies::kTools)
    if (scope.allows(tool)) tools.push_back(policies::to_string(tool));
  return tools;
}

InfoMethods::InfoMethods(std::function<std::shared_ptr<const PolicyRegistry>()> registry,
                         ServerFacts facts)
    : registry_(std::move(registry)), facts_(std::move(facts)) {}

std::vector<std::string> InfoMethods::allowed_policies(const Tenant& tenant) const {
  std::vector<std::string> names;
  for (const auto& name : registry_()->names())
    if (tenant.allows_policy(name)) names.push_back(name);
  return names;
}

Reply InfoMethods::policy_list(const Tenant& tenant, const json& params) const {
  Params p(params, {});
  if (p.failure()) return Reply::error(*p.failure());
  auto registry = registry_();
  json list = json::array();
  for (const auto& name : allowed_policies(tenant)) {
    auto compiled = registry->find(name);
    list.push_back(json{{"name", name},
                        {"description", compiled->effective.description},
                        {"tools", tool_names(*compiled)},
                        {"gpu", compiled->scope.gpu.count}});
  }
  return Reply::ok(json{{"policies", std::move(list)}});
}

Reply InfoMethods::server_info(const Tenant& tenant, const json& params) const {
  Params p(params, {});
  if (p.failure()) return Reply::error(*p.failure());
  json patterns = json::array();
  for (auto kind :
       {agents::PatternKind::fan_out, agents::PatternKind::dag, agents::PatternKind::best_of_n,
        agents::PatternKind::vote, agents::PatternKind::moa})
    patterns.push_back(agents::to_string(kind));
  const Limits& limits = facts_.limits;
  json quotas{{"concurrent_tasks", tenant.quotas.concurrent_tasks},
              {"agents", tenant.quotas.agents},
              {"sandboxes", tenant.quotas.sandboxes},
              {"tokens_per_day", tenant.quotas.tokens_per_day}};
  json limit_info{{"max_message_bytes", std::min(limits.max_message_bytes, limits.max_frame_bytes)},
                  {"max_batch", limits.max_batch},
                  {"requests_per_second", limits.requests_per_second},
                  {"request_burst", limits.request_burst},
                  {"send_queue_bytes", limits.send_queue_bytes},
                  {"idle_timeout_s", limits.idle_timeout.count() / 1000.0},
                  {"ping_interval_s", limits.ping_interval.count() / 1000.0},
                  {"connections_per_tenant", limits.connections_per_tenant},
                  {"max_subscriptions", limits.max_subscriptions},
                  {"quotas", std::move(quotas)}};
  return Reply::ok(json{{"version", facts_.version},
                        {"tenant", tenant.name},
                        {"patterns", std::move(patterns)},
                        {"policies", allowed_policies(tenant)},
                        {"cgroup_version", facts_.cgroup_version},
                        {"gpus", facts_.gpus},
                        {"limits", std::move(limit_info)}});
}

}  // namespace agentd
