// libFuzzer target for the JSON-RPC decoder: any bytes a client can send as one text frame
// go through decode(), every error and response is encoded again, and the params reader
// runs over whatever params came out. Crashes, sanitizer reports and hangs are bugs.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "daemon/params.h"
#include "daemon/rpc.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const agentd::rpc::Decoded decoded = agentd::rpc::decode(text);
  if (decoded.whole) (void)agentd::rpc::error_response(nullptr, *decoded.whole);
  for (const auto& entry : decoded.entries) {
    if (entry.failure) (void)agentd::rpc::error_response(entry.id, *entry.failure);
    if (!entry.request) continue;
    (void)agentd::rpc::response(entry.request->id, entry.request->params);
    agentd::Params params(entry.request->params, {"task_id", "after_seq", "limit", "timeout"});
    (void)params.string("task_id", 128);
    (void)params.count("after_seq", 0, 0, uint64_t{1} << 53);
    (void)params.number("timeout", 0, 0.001, 86400);
    if (params.failure()) (void)agentd::rpc::error_response(entry.id, *params.failure());
  }
  return 0;
}
