// Network namespace: a sandbox with NetworkMode::none gets a fresh namespace whose only
// interface is `lo`, brought up here so programs can still talk to themselves.
#pragma once

namespace sandbox::net {

// Child side: sets IFF_UP on lo. Needs CAP_NET_ADMIN in the namespace's owning user namespace.
// Returns 0 or -errno. Async-signal-safe.
int child_bring_up_loopback() noexcept;

}  // namespace sandbox::net
