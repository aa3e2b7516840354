// Move-only owners of libcurl's handles, so no path (error, cancellation, shutdown) can leak
// an easy handle, a multi handle, a header list or a parsed URL.
#pragma once

#include <curl/curl.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace agents::http {

struct EasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct MultiDeleter {
  void operator()(CURLM* multi) const { curl_multi_cleanup(multi); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
struct UrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};

using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;
using MultiHandle = std::unique_ptr<CURLM, MultiDeleter>;
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;
using UrlHandle = std::unique_ptr<CURLU, UrlDeleter>;

// Builds a curl_slist from strings (an empty vector gives the null list); nullopt when libcurl
// cannot allocate.
inline std::optional<Slist> make_slist(const std::vector<std::string>& items) {
  Slist list;
  for (const auto& item : items) {
    curl_slist* head = curl_slist_append(list.get(), item.c_str());
    if (head == nullptr) return std::nullopt;  // `list` still owns what was built
    (void)list.release();                      // the head may be new (first item) or the same node
    list.reset(head);
  }
  return list;
}

}  // namespace agents::http
