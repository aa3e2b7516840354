// From a merged, schema-valid document to a typed Policy, with the checks that only the
// merged policy can make (host networking opt-in, seccomp profile files).
#pragma once

#include <string>
#include <vector>

#include "policies/loader.h"
#include "policies/merge.h"
#include "policies/policy.h"

namespace policies {

Validated<Policy> build_policy(const MergedDocument& merged, std::string name,
                               std::vector<std::string> sources, const LoadOptions& options);

}  // namespace policies
