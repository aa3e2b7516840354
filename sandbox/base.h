// The vocabulary of base/ that the sandbox module's own code uses unqualified.
#pragma once

#include "base/errno_text.h"
#include "base/expected.h"
#include "base/size.h"
#include "base/unique_fd.h"

namespace sandbox {

using base::errno_text;
using base::Error;
using base::Expected;
using base::format_size;
using base::Ok;
using base::parse_duration;
using base::parse_size;
using base::Status;
using base::UniqueFd;

}  // namespace sandbox
