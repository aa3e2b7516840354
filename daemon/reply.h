// What a method handler answers: a result or a JSON-RPC error, and optionally work to start
// once the answer is queued (task.subscribe sends its replay after its response).
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>

#include "daemon/rpc.h"

namespace agentd {

struct Reply {
  nlohmann::json result;
  std::optional<rpc::Failure> failure;
  std::function<void()> after_sent;

  static Reply ok(nlohmann::json result) { return Reply{std::move(result), std::nullopt, {}}; }
  static Reply error(rpc::Failure failure) { return Reply{nullptr, std::move(failure), {}}; }
  static Reply error(int code, std::string message, nlohmann::json data = nullptr) {
    return error(rpc::Failure{code, std::move(message), std::move(data)});
  }
};

}  // namespace agentd
