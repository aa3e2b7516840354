// policy.list and server.info: what a tenant may use and what the server is.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "daemon/config.h"
#include "daemon/policy_registry.h"
#include "daemon/reply.h"
#include "daemon/tenants.h"

namespace agentd {

struct ServerFacts {
  std::string version;
  std::string cgroup_version;  // "v1" or "v2"
  nlohmann::json gpus = nlohmann::json::array();
  Limits limits;
};

class InfoMethods {
 public:
  InfoMethods(std::function<std::shared_ptr<const PolicyRegistry>()> registry, ServerFacts facts);

  Reply policy_list(const Tenant& tenant, const nlohmann::json& params) const;
  Reply server_info(const Tenant& tenant, const nlohmann::json& params) const;

  // The tenant's policies that the registry holds, by name.
  std::vector<std::string> allowed_policies(const Tenant& tenant) const;

 private:
  std::function<std::shared_ptr<const PolicyRegistry>()> registry_;
  ServerFacts facts_;
};

// The tools a compiled policy lets an agent call.
nlohmann::json tool_names(const policies::Compiled& policy);

}  // namespace agentd
