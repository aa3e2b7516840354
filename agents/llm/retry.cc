#include "agents/llm/retry.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <string>

#include "base/strings.h"

namespace agents::llm {

bool retryable_status(long status) {
  return status == 408 || status == 425 || status == 429 || (status >= 500 && status <= 599);
}

namespace {

// delta-seconds: digits only (a fraction is tolerated, as some servers send "1.5").
std::optional<std::chrono::milliseconds> parse_seconds(std::string_view text) {
  constexpr uint64_t kMaxSeconds = 365ull * 24 * 3600;  // anything larger is clamped anyway
  uint64_t whole = 0;
  std::size_t i = 0;
  for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
    whole = std::min<uint64_t>(whole * 10 + static_cast<uint64_t>(text[i] - '0'), kMaxSeconds);
  }
  if (i == 0) return std::nullopt;
  uint64_t millis = 0;
  if (i < text.size() && text[i] == '.') {
    uint64_t scale = 100;
    for (++i; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
      millis += static_cast<uint64_t>(text[i] - '0') * scale;
      scale /= 10;
    }
  }
  if (i != text.size()) return std::nullopt;
  return std::chrono::milliseconds(whole * 1000 + millis);
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now) {
  const std::string_view text = base::trim(value);
  if (text.empty()) return std::nullopt;
  if (std::isdigit(static_cast<unsigned char>(text.front()))) return parse_seconds(text);
  if (!std::isalpha(static_cast<unsigned char>(text.front()))) return std::nullopt;
  // An HTTP date (IMF-fixdate, RFC 850 or asctime); libcurl parses all three.
  const std::string date(text);
  const time_t at = curl_getdate(date.c_str(), nullptr);
  if (at < 0) return std::nullopt;
  const auto wait = std::chrono::system_clock::from_time_t(at) - now;
  return std::max(std::chrono::milliseconds(0),
                  std::chrono::duration_cast<std::chrono::milliseconds>(wait));
}

std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, uint32_t retry,
                                        std::mt19937_64& random) {
  const uint32_t doublings = std::min<uint32_t>(retry > 0 ? retry - 1 : 0, 30);
  const int64_t base = std::max<int64_t>(policy.base_delay.count(), 0);
  const int64_t cap = std::max<int64_t>(policy.max_delay.count(), 0);
  const int64_t ceiling = std::min<int64_t>(cap, base << doublings);
  std::uniform_int_distribution<int64_t> pick(0, std::max<int64_t>(ceiling, 0));
  return std::chrono::milliseconds(pick(random));
}

std::chrono::milliseconds retry_delay(const RetryPolicy& policy, uint32_t retry,
                                      std::optional<std::chrono::milliseconds> retry_after,
                                      std::mt19937_64& random) {
  if (retry_after) return std::min(*retry_after, policy.max_retry_after);
  return backoff_delay(policy, retry, random);
}

}  // namespace agents::llm
