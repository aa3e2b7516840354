#include "daemon/rpc.h"

#include "base/json_strict.h"

namespace agentd::rpc {
namespace {

using nlohmann::json;

constexpr size_t kMaxMethodBytes = 128;
constexpr size_t kMaxIdBytes = 256;

bool valid_id(const json& id) {
  if (id.is_null() || id.is_number_integer()) return true;
  return id.is_string() && id.get_ref<const std::string&>().size() <= kMaxIdBytes;
}

Entry refuse(json id, std::string message) {
  Entry entry;
  entry.id = std::move(id);
  entry.failure = Failure{invalid_request, std::move(message), nullptr};
  return entry;
}

Entry decode_entry(const json& value) {
  if (!value.is_object()) return refuse(nullptr, "expected a JSON-RPC 2.0 request object");
  const auto id = value.find("id");
  const bool has_id = id != value.end();
  if (has_id && !valid_id(*id))
    return refuse(nullptr, "id: expected a string (at most 256 bytes), an integer or null");
  json reply_id = has_id ? *id : json(nullptr);

  const auto version = value.find("jsonrpc");
  if (version == value.end() || *version != "2.0")
    return refuse(reply_id, "jsonrpc: expected \"2.0\"");
  const auto method = value.find("method");
  if (method == value.end() || !method->is_string() ||
      method->get_ref<const std::string&>().empty() ||
      method->get_ref<const std::string&>().size() > kMaxMethodBytes)
    return refuse(reply_id, "method: expected a non-empty string of at most 128 bytes");
  const auto params = value.find("params");
  if (params != value.end() && !params->is_object() && !params->is_array())
    return refuse(reply_id, "params: expected an object or an array");

  Entry entry;
  entry.id = reply_id;
  Request& request = entry.request.emplace();
  request.id = reply_id;
  request.notification = !has_id;
  request.method = method->get<std::string>();
  if (params != value.end()) request.params = *params;
  return entry;
}

}  // namespace

Failure invalid_params_at(std::string pointer, std::string expected) {
  std::string message = "invalid params: " + pointer + ": expected " + expected;
  return Failure{invalid_params, std::move(message),
                 json{{"path", std::move(pointer)}, {"expected", std::move(expected)}}};
}

Decoded decode(std::string_view text, const DecodeLimits& limits) {
  Decoded decoded;
  // Read strictly (base/json_strict.h): a frame nested past the limit is refused before it is
  // built (dumping and copying a value recurse), and a request with two equal keys, which
  // another reader would read the other way, is no request.
  auto parsed = base::parse_json_strict(text, limits.max_depth);
  if (!parsed) {
    decoded.whole = Failure{parse_error,
                            parsed.error().code == base::kNotJson
                                ? "parse error: the frame is not valid JSON (UTF-8)"
                                : "parse error: " + parsed.error().message,
                            nullptr};
    return decoded;
  }
  json document = std::move(*parsed);
  if (!document.is_array()) {
    decoded.entries.push_back(decode_entry(document));
    return decoded;
  }
  decoded.batch = true;
  if (document.empty()) {
    decoded.whole = Failure{invalid_request, "invalid request: empty batch", nullptr};
  } else if (document.size() > limits.max_batch) {
    decoded.whole = Failure{invalid_request,
                            "invalid request: batch of " + std::to_string(document.size()) +
                                " requests; at most " + std::to_string(limits.max_batch),
                            json{{"limit", limits.max_batch}}};
  } else {
    for (const json& member : document) decoded.entries.push_back(decode_entry(member));
  }
  return decoded;
}

std::string dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

json response_object(const json& id, const json& result) {
  return json{{"jsonrpc", "2.0"}, {"id", id}, {"result", result}};
}

std::string response(const json& id, const json& result) {
  return dump(response_object(id, result));
}

json error_object(const json& id, const Failure& failure) {
  json error{{"code", failure.code}, {"message", failure.message}};
  if (!failure.data.is_null()) error["data"] = failure.data;
  return json{{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(error)}};
}

std::string error_response(const json& id, const Failure& failure) {
  return dump(error_object(id, failure));
}

}  // namespace agentd::rpc
