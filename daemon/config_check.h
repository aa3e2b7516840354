// What `agentd --check-config` and startup both verify beyond the file's own syntax: every
// policy loads and compiles against the caps, every policy a tenant or roles_default names
// exists, the TLS files are readable. Errors name the key.
#pragma once

#include <memory>

#include "base/expected.h"
#include "daemon/config.h"
#include "daemon/policy_registry.h"

namespace agentd {

base::Expected<std::shared_ptr<const PolicyRegistry>> load_policies_for(const Config& config);

// load_config + load_policies_for + TLS files; the message lists every problem found.
base::Status check_config_file(const std::string& file);

}  // namespace agentd
