#include "daemon/tenant_usage.h"

#include "daemon/task_json.h"

namespace agentd {
namespace {

using nlohmann::json;

rpc::Failure quota_failure(const char* quota, uint64_t limit, const std::string& what) {
  return rpc::Failure{
      rpc::quota_exceeded,
      std::string("quota exceeded: ") + quota + " (limit " + std::to_string(limit) + "): " + what,
      json{{"quota", quota}, {"limit", limit}}};
}

}  // namespace

uint32_t agents_needed(const agents::TaskSpec& spec) {
  uint32_t agents = 0;
  switch (spec.pattern) {
    case agents::PatternKind::fan_out:
      agents = spec.fan_out.max_subtasks + 2;
      break;
    case agents::PatternKind::dag:
      agents = spec.dag.max_steps + 2;
      break;
    case agents::PatternKind::best_of_n:
      agents = spec.best_of_n.n + spec.best_of_n.tester_agents + (spec.best_of_n.use_judge ? 1 : 0);
      break;
    case agents::PatternKind::vote:
      agents = spec.vote.n + (spec.vote.ties_to_judge ? 1 : 0);
      break;
    case agents::PatternKind::moa:
      agents = spec.moa.layers * spec.moa.proposers + 1;
      break;
  }
  return agents + (spec.monitor.enabled ? 1 : 0);
}

std::optional<rpc::Failure> TenantUsage::admit_task(const Tenant& tenant, uint32_t agents,
                                                    int64_t now) const {
  auto it = active_.find(tenant.name);
  const Counts counts = it == active_.end() ? Counts{} : it->second;
  if (counts.tasks >= tenant.quotas.concurrent_tasks)
    return quota_failure("concurrent_tasks", tenant.quotas.concurrent_tasks,
                         std::to_string(counts.tasks) + " tasks are queued or running");
  if (counts.agents + agents > tenant.quotas.agents)
    return quota_failure("agents", tenant.quotas.agents,
                         "this task may run " + std::to_string(agents) + " agents and " +
                             std::to_string(counts.agents) + " are already allowed to others");
  if (auto left = tokens_left(tenant, now); left && *left == 0)
    return quota_failure("tokens_per_day", tenant.quotas.tokens_per_day,
                         "today's tokens are spent");
  return std::nullopt;
}

void TenantUsage::task_admitted(const std::string& tenant, uint32_t agents) {
  Counts& counts = active_[tenant];
  ++counts.tasks;
  counts.agents += agents;
}

void TenantUsage::task_ended(const std::string& tenant, uint32_t agents) {
  Counts& counts = active_[tenant];
  counts.tasks -= std::min(counts.tasks, 1u);
  counts.agents -= std::min(counts.agents, agents);
}

std::optional<rpc::Failure> TenantUsage::admit_sandbox(const Tenant& tenant) const {
  auto it = active_.find(tenant.name);
  const uint32_t running = it == active_.end() ? 0 : it->second.sandboxes;
  if (running >= tenant.quotas.sandboxes)
    return quota_failure("sandboxes", tenant.quotas.sandboxes,
                         std::to_string(running) + " exec.run sandboxes are running");
  return std::nullopt;
}

void TenantUsage::sandbox_started(const std::string& tenant) {
  ++active_[tenant].sandboxes;
}

void TenantUsage::sandbox_ended(const std::string& tenant) {
  Counts& counts = active_[tenant];
  counts.sandboxes -= std::min(counts.sandboxes, 1u);
}

uint64_t TenantUsage::tokens_today(const std::string& tenant, int64_t now) const {
  if (utc_day(now) != day_) return 0;
  auto it = tokens_.find(tenant);
  return it == tokens_.end() ? 0 : it->second;
}

std::optional<uint64_t> TenantUsage::tokens_left(const Tenant& tenant, int64_t now) const {
  if (tenant.quotas.tokens_per_day == 0) return std::nullopt;
  const uint64_t used = tokens_today(tenant.name, now);
  return used >= tenant.quotas.tokens_per_day ? 0 : tenant.quotas.tokens_per_day - used;
}

void TenantUsage::add_tokens(const std::string& tenant, uint64_t tokens, int64_t now) {
  const std::string day = utc_day(now);
  if (day != day_) {
    day_ = day;
    tokens_.clear();
  }
  tokens_[tenant] += tokens;
}

void TenantUsage::load_tokens(std::string day, std::map<std::string, uint64_t> tokens) {
  day_ = std::move(day);
  tokens_ = std::move(tokens);
}

}  // namespace agentd
