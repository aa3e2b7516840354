// What `agentd --check-config` and startup both verify beyond the file's own syntax: every
// policy loads and compiles against the caps, every policy a tenant or roles_default names
// exists, the TLS files are readable. Errors name the key.
#pragma once

#include <memory>

#include "daemon/config.h"
#include "daemon/policy_registry.h"
#include "sandbox/expected.h"

namespace agentd {

sandbox::Expected<std::shared_ptr<const PolicyRegistry>> load_policies_for(const Config& config);

// load_config + load_policies_for + TLS files; the message lists every problem found.
sandbox::Status check_config_file(const std::string& file);

}  // namespace agentd
