// Named models from configuration:
//   {"models": [{"name": "strong", "base_url": "http://127.0.0.1:8000/v1", "model": "qwen",
//                "api_key_env": "VLLM_KEY", "max_concurrency": 64,
//                "usd_per_million_input": 0.5, "usd_per_million_output": 1.5,
//                "timeout": 120, "max_retries": 4, "max_retry_time": 60,
//                "breaker_failures": 5, "breaker_cool_down": 30}]}
// `timeout`, `max_retry_time` and `breaker_cool_down` are in seconds (fractions allowed);
// `breaker_failures` 0 turns the circuit breaker off. name, base_url and model are required; the
// rest default as in ModelConfig. Unknown keys, wrong types, bad values and duplicate names
// are errors naming the key ("models[1].timeout: expected a positive number of seconds").
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agents/llm/chat.h"
#include "base/expected.h"

namespace agents::llm {

base::Expected<std::vector<ModelConfig>> parse_models(const nlohmann::json& document);
// Reads and parses a file; errors name the file.
base::Expected<std::vector<ModelConfig>> load_models(const std::string& path);

}  // namespace agents::llm
