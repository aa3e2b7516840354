#include "agents/http/transfer.h"

#include <sys/socket.h>

#include <algorithm>
#include <exception>
#include <string>
#include <string_view>

#include "base/strings.h"

namespace agents::http::detail {
namespace {

// libcurl already refuses a single header line over 100 KiB; this bounds the sum, so a
// hostile server cannot grow our memory with endless header lines.
constexpr uint64_t kMaxHeaderBytes = uint64_t{256} * 1024;

bool has_line_break(std::string_view text) {
  return text.find_first_of("\r\n") != std::string_view::npos;
}

// An HTTP method is a token: no spaces or control characters that could forge a request line.
bool is_token(std::string_view method) {
  return !method.empty() && std::all_of(method.begin(), method.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

// Hands `length` bytes to the reader or the body; false when the reader wants to stop.
bool deliver(Transfer& t, const char* data, size_t length) {
  if (length == 0) return true;
  if (!t.request.on_body_chunk) {
    t.response.body.append(data, length);
    return true;
  }
  try {
    if (t.request.on_body_chunk(std::string_view(data, length))) return true;
  } catch (const std::exception&) {
    // An exception must not unwind through libcurl; it stops the transfer like `false`.
  }
  t.stopped_by_reader = true;
  return false;
}

size_t on_body(char* data, size_t size, size_t count, void* userdata) {
  auto& t = *static_cast<Transfer*>(userdata);
  const size_t length = size * count;
  if (t.cancelled) return 0;
  const uint64_t room =
      t.request.max_response_bytes - std::min(t.body_bytes, t.request.max_response_bytes);
  if (length > room) {
    deliver(t, data, room);
    t.body_bytes += room;
    t.response.truncated = true;
    return 0;  // aborts the transfer: nothing past the cap is read
  }
  t.body_bytes += length;
  return deliver(t, data, length) ? length : 0;
}

size_t on_header(char* data, size_t size, size_t count, void* userdata) {
  auto& t = *static_cast<Transfer*>(userdata);
  const size_t length = size * count;
  if (t.cancelled) return 0;
  t.header_bytes += length;
  if (t.header_bytes > kMaxHeaderBytes) return 0;
  const std::string_view line(data, length);
  if (line.starts_with("HTTP/")) {
    t.response.headers.clear();  // a new response (after 1xx): keep only the last one's
    return length;
  }
  const auto colon = line.find(':');
  if (colon != std::string_view::npos && colon > 0) {
    t.response.headers.emplace_back(std::string(base::trim(line.substr(0, colon))),
                                    std::string(base::trim(line.substr(colon + 1))));
  }
  return length;
}

curl_socket_t on_open_socket(void* clientp, curlsocktype purpose, curl_sockaddr* address) {
  auto& t = *static_cast<Transfer*>(clientp);
  if (purpose != CURLSOCKTYPE_IPCXN || t.cancelled) return CURL_SOCKET_BAD;
  if (t.request.connect_filter) {
    std::optional<std::string> refusal;
    try {
      refusal = t.request.connect_filter(&address->addr, address->addrlen);
    } catch (const std::exception& error) {
      refusal = std::string("connect filter failed: ") + error.what();
    }
    if (refusal) {
      if (t.refusal.empty()) t.refusal = std::move(*refusal);
      return CURL_SOCKET_BAD;  // no socket exists, so nothing is sent to that address
    }
  }
  // CLOEXEC: sandboxes are spawned from this process and must not inherit connections.
  const int fd = ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
  if (fd >= 0 && t.sockets_opened != nullptr) ++*t.sockets_opened;
  return fd >= 0 ? fd : CURL_SOCKET_BAD;
}

template <class Value>
CURLcode set(Transfer& t, CURLoption option, Value value, const char* name) {
  const CURLcode code = curl_easy_setopt(t.easy.get(), option, value);
  if (code != CURLE_OK) {
    t.response.error = std::string("curl_easy_setopt(") + name + "): " + curl_easy_strerror(code);
  }
  return code;
}

CURLcode fail(Transfer& t, CURLcode code, std::string message) {
  t.response.error = std::move(message);
  return code;
}

CURLcode set_method_and_body(Transfer& t) {
  const Request& r = t.request;
  if (!is_token(r.method)) {
    return fail(t, CURLE_BAD_FUNCTION_ARGUMENT, "invalid HTTP method \"" + r.method + "\"");
  }
  if (r.method == "GET") return set(t, CURLOPT_HTTPGET, 1L, "HTTPGET");
  if (r.method == "HEAD") return set(t, CURLOPT_NOBODY, 1L, "NOBODY");
  if (!r.body.empty() || r.method == "POST") {
    if (CURLcode c = set(t, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()),
                         "POSTFIELDSIZE_LARGE")) {
      return c;
    }
    // Points into the Transfer, which outlives the easy handle's use of it.
    if (CURLcode c = set(t, CURLOPT_POSTFIELDS, r.body.data(), "POSTFIELDS")) return c;
  }
  if (r.method == "POST") return CURLE_OK;
  return set(t, CURLOPT_CUSTOMREQUEST, r.method.c_str(), "CUSTOMREQUEST");
}

CURLcode set_lists(Transfer& t) {
  for (const auto& header : t.request.headers) {
    if (has_line_break(header)) {
      return fail(t, CURLE_BAD_FUNCTION_ARGUMENT, "header line contains CR or LF: " + header);
    }
  }
  auto headers = make_slist(t.request.headers);
  auto resolve = make_slist(t.request.resolve);
  if (!headers || !resolve) return fail(t, CURLE_OUT_OF_MEMORY, "curl_slist_append failed");
  t.header_list = std::move(*headers);
  t.resolve_list = std::move(*resolve);
  if (CURLcode c = set(t, CURLOPT_HTTPHEADER, t.header_list.get(), "HTTPHEADER")) return c;
  return set(t, CURLOPT_RESOLVE, t.resolve_list.get(), "RESOLVE");
}

CURLcode set_callbacks(Transfer& t) {
  CURLcode c = CURLE_OK;
  if ((c = set(t, CURLOPT_PRIVATE, static_cast<void*>(&t), "PRIVATE")) ||
      (c = set(t, CURLOPT_ERRORBUFFER, t.error_buffer, "ERRORBUFFER")) ||
      (c = set(t, CURLOPT_WRITEFUNCTION, &on_body, "WRITEFUNCTION")) ||
      (c = set(t, CURLOPT_WRITEDATA, static_cast<void*>(&t), "WRITEDATA")) ||
      (c = set(t, CURLOPT_HEADERFUNCTION, &on_header, "HEADERFUNCTION")) ||
      (c = set(t, CURLOPT_HEADERDATA, static_cast<void*>(&t), "HEADERDATA")) ||
      (c = set(t, CURLOPT_OPENSOCKETFUNCTION, &on_open_socket, "OPENSOCKETFUNCTION")) ||
      (c = set(t, CURLOPT_OPENSOCKETDATA, static_cast<void*>(&t), "OPENSOCKETDATA"))) {
    return c;
  }
  return CURLE_OK;
}

CURLcode set_transport(Transfer& t) {
  const Request& r = t.request;
  const long fresh = r.fresh_connection ? 1L : 0L;
  CURLcode c = CURLE_OK;
  if ((c = set(t, CURLOPT_URL, r.url.c_str(), "URL")) ||
      (c = set(t, CURLOPT_NOSIGNAL, 1L, "NOSIGNAL")) ||
      (c = set(t, CURLOPT_PROTOCOLS_STR, r.protocols.c_str(), "PROTOCOLS_STR")) ||
      (c = set(t, CURLOPT_REDIR_PROTOCOLS_STR, r.protocols.c_str(), "REDIR_PROTOCOLS_STR")) ||
      (c = set(t, CURLOPT_FOLLOWLOCATION, 0L, "FOLLOWLOCATION")) ||
      (c = set(t, CURLOPT_PROXY, r.proxy.c_str(), "PROXY")) ||
      (c = set(t, CURLOPT_TIMEOUT_MS, static_cast<long>(r.timeout.count()), "TIMEOUT_MS")) ||
      (c = set(t, CURLOPT_FRESH_CONNECT, fresh, "FRESH_CONNECT")) ||
      (c = set(t, CURLOPT_FORBID_REUSE, fresh, "FORBID_REUSE"))) {
    return c;
  }
  return CURLE_OK;
}

std::string info_string(CURL* easy, CURLINFO info) {
  const char* value = nullptr;
  if (curl_easy_getinfo(easy, info, &value) != CURLE_OK || value == nullptr) return {};
  return value;
}

std::string describe_failure(const Transfer& t, CURLcode result) {
  if (t.cancelled) return "request cancelled";
  if (t.response.truncated) {
    return "response body passed the cap of " + std::to_string(t.request.max_response_bytes) +
           " bytes and was cut there";
  }
  if (t.stopped_by_reader) return "stopped by the body reader";
  if (t.header_bytes > kMaxHeaderBytes) {
    return "response headers passed " + std::to_string(kMaxHeaderBytes) + " bytes";
  }
  if (!t.refusal.empty()) return t.refusal;
  std::string message = curl_easy_strerror(result);
  if (t.error_buffer[0] != '\0') message += std::string(": ") + t.error_buffer;
  return message;
}

}  // namespace

CURLcode configure(Transfer& t) {
  if (t.request.timeout.count() <= 0) {
    return fail(t, CURLE_BAD_FUNCTION_ARGUMENT, "request timeout must be positive");
  }
  t.easy.reset(curl_easy_init());
  if (!t.easy) return fail(t, CURLE_FAILED_INIT, "curl_easy_init failed");
  CURLcode c = CURLE_OK;
  if ((c = set_callbacks(t)) || (c = set_transport(t)) || (c = set_lists(t)) ||
      (c = set_method_and_body(t))) {
    return c;
  }
  return CURLE_OK;
}

void record_outcome(Transfer& t, CURLcode result) {
  CURL* easy = t.easy.get();
  Response& r = t.response;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &r.status);
  r.content_type = info_string(easy, CURLINFO_CONTENT_TYPE);
  r.effective_url = info_string(easy, CURLINFO_EFFECTIVE_URL);
  r.redirect_url = info_string(easy, CURLINFO_REDIRECT_URL);
  r.primary_ip = info_string(easy, CURLINFO_PRIMARY_IP);
  r.curl_code = result;
  if (result != CURLE_OK || t.cancelled) r.error = describe_failure(t, result);
}

}  // namespace agents::http::detail
