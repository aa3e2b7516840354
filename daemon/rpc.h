// JSON-RPC 2.0 as agentd speaks it (docs/protocol.md): decoding one text frame (a request or
// a batch) from a hostile client into requests or per-entry errors, and encoding responses,
// errors and notifications. Pure functions with bounded work, so the fuzzer can drive them.
// (The module namespace is agentd, not daemon: daemon(3) in <unistd.h> takes that name.)
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace agentd::rpc {

// The error codes of the protocol contract.
enum Code : int {
  parse_error = -32700,
  invalid_request = -32600,
  method_not_found = -32601,
  invalid_params = -32602,
  internal_error = -32603,
  unauthorized = -32001,
  quota_exceeded = -32002,
  rate_limited = -32003,
  task_not_found = -32004,
  task_finished = -32005,
  draining = -32006,
  policy_not_allowed = -32007,
};

struct Failure {
  int code = internal_error;
  std::string message;
  nlohmann::json data;  // null: no "data" member
};

// -32602 with the JSON pointer of the bad value and what was expected.
Failure invalid_params_at(std::string pointer, std::string expected);

struct Request {
  nlohmann::json id;  // string, integer or null; absent for notifications
  bool notification = false;
  std::string method;
  nlohmann::json params = nlohmann::json::object();  // an object or an array
};

// One member of a frame: a well-formed request, or the error its answer must carry (with the
// request's id when it could be read, null otherwise).
struct Entry {
  std::optional<Request> request;
  std::optional<Failure> failure;
  nlohmann::json id;  // for the failure's response
};

struct Decoded {
  bool batch = false;
  std::vector<Entry> entries;
  // The frame as a whole was refused (parse error, empty or oversized batch): one error
  // response with id null, nothing else.
  std::optional<Failure> whole;
};

struct DecodeLimits {
  size_t max_batch = 16;
  size_t max_depth = 64;  // nesting of arrays and objects; deeper is a parse error
};

Decoded decode(std::string_view text, const DecodeLimits& limits = {});

// A successful reply to `id`. (Notifications are built by task_json.h's event_frame.)
std::string response(const nlohmann::json& id, const nlohmann::json& result);
nlohmann::json response_object(const nlohmann::json& id, const nlohmann::json& result);
std::string error_response(const nlohmann::json& id, const Failure& failure);
nlohmann::json error_object(const nlohmann::json& id, const Failure& failure);

// Serialises untrusted JSON safely (invalid UTF-8 replaced, never throws).
std::string dump(const nlohmann::json& value);

}  // namespace agentd::rpc
