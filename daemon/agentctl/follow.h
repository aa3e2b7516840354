// `agentctl submit --follow`: streams a task's events until its final one. When the
// connection drops (daemon restarted, network blip), it reconnects with backoff and
// re-subscribes after the last sequence number it printed, so nothing is missed or repeated.
#pragma once

#include <memory>
#include <string>

#include "daemon/agentctl/session.h"

namespace agentctl {

// Returns the exit status: the task's final state (0 succeeded, 1 otherwise), or an error's.
// `client` may be null (connect first).
int follow_task(const Invocation& inv, std::unique_ptr<RpcClient> client,
                const std::string& task_id, Output io);

}  // namespace agentctl
