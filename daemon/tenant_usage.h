// What each tenant is using now, against its quotas: unfinished tasks, the agents those
// tasks may run, exec.run sandboxes, and LLM tokens of the current UTC day. Used from the
// event loop only.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "agents/task_spec.h"
#include "daemon/rpc.h"
#include "daemon/tenants.h"

namespace agentd {

// The most agents a task of this spec can run (its pattern's roles and counts): what the
// tenant's `agents` quota is checked against when the task is admitted.
uint32_t agents_needed(const agents::TaskSpec& spec);

class TenantUsage {
 public:
  // A -32002 failure naming the quota, or nullopt when the task may be admitted.
  std::optional<rpc::Failure> admit_task(const Tenant& tenant, uint32_t agents, int64_t now) const;
  void task_admitted(const std::string& tenant, uint32_t agents);
  void task_ended(const std::string& tenant, uint32_t agents);

  std::optional<rpc::Failure> admit_sandbox(const Tenant& tenant) const;
  void sandbox_started(const std::string& tenant);
  void sandbox_ended(const std::string& tenant);

  // Tokens left today (nullopt: no limit), and tokens spent by a finished task.
  std::optional<uint64_t> tokens_left(const Tenant& tenant, int64_t now) const;
  void add_tokens(const std::string& tenant, uint64_t tokens, int64_t now);
  // At startup: what the journal counted for today.
  void load_tokens(std::string day, std::map<std::string, uint64_t> tokens);

 private:
  struct Counts {
    uint32_t tasks = 0;
    uint32_t agents = 0;
    uint32_t sandboxes = 0;
  };
  uint64_t tokens_today(const std::string& tenant, int64_t now) const;

  std::map<std::string, Counts> active_;
  std::string day_;
  std::map<std::string, uint64_t> tokens_;  // of day_
};

}  // namespace agentd
