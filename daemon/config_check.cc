#include "daemon/config_check.h"

#include <fstream>

#include "base/json_pointer.h"

namespace agentd {

base::Expected<std::shared_ptr<const PolicyRegistry>> load_policies_for(const Config& config) {
  auto registry = PolicyRegistry::load(config.policy_dirs, config.caps);
  if (!registry) return base::Error{config.file + ": policies: " + registry.error().message};
  std::string errors;
  for (size_t i = 0; i < config.tenants.size(); ++i)
    for (size_t j = 0; j < config.tenants[i].policies.size(); ++j) {
      const std::string& name = config.tenants[i].policies[j];
      if (name != "*" && !(*registry)->find(name))
        errors += config.file + ": /tenants/" + std::to_string(i) + "/policies/" +
                  std::to_string(j) + ": no policy named \"" + name + "\"\n";
    }
  for (const auto& [role, value] : config.roles_default.items())
    if (auto policy = value.find("policy"); policy != value.end() && policy->is_string() &&
                                            !(*registry)->find(policy->get<std::string>()))
      errors +=
          config.file + ": " +
          base::json_pointer_append(base::json_pointer_append("/roles_default", role), "policy") +
          ": no policy named \"" + policy->get<std::string>() + "\"\n";
  if (!errors.empty()) {
    errors.pop_back();
    return base::Error{errors};
  }
  return registry;
}

base::Status check_config_file(const std::string& file) {
  auto config = load_config(file);
  if (!config) return config.error();
  std::string errors;
  if (auto registry = load_policies_for(*config); !registry)
    errors += registry.error().message + "\n";
  for (const auto& [key, path] :
       {std::pair{"/tls/cert", config->tls.cert}, {"/tls/key", config->tls.key}})
    if (!path.empty() && !std::ifstream(path))
      errors += file + ": " + key + ": cannot read " + path + "\n";
  if (config->tenants.empty())
    errors += file + ": /tenants: no tenant is configured, so no client can connect\n";
  if (!errors.empty()) {
    errors.pop_back();
    return base::Error{errors};
  }
  return base::Ok{};
}

}  // namespace agentd
