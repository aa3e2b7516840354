#include "repo/junit.h"

#include <expat.h>

#include <cstring>
#include <map>
#include <memory>
#include <optional>

namespace repo {

namespace {

constexpr size_t kMaxDepth = 64;  // JUnit reports nest four or five elements deep

struct FreeParser {
  void operator()(XML_ParserStruct* parser) const { XML_ParserFree(parser); }
};
using ParserHandle = std::unique_ptr<XML_ParserStruct, FreeParser>;

// How bad an outcome is, within one <testcase>: its worst child decides.
int severity(JunitCase::Outcome outcome) {
  switch (outcome) {
    case JunitCase::Outcome::passed:
      return 0;
    case JunitCase::Outcome::skipped:
      return 1;
    case JunitCase::Outcome::failed:
      return 2;
    case JunitCase::Outcome::error:
      return 3;
  }
  return 3;
}

bool counts_as_failed(JunitCase::Outcome outcome) {
  return outcome == JunitCase::Outcome::failed || outcome == JunitCase::Outcome::error;
}

const char* attribute(const XML_Char** attributes, const char* name) {
  for (const XML_Char** at = attributes; at[0] != nullptr; at += 2)
    if (std::strcmp(at[0], name) == 0) return at[1];
  return nullptr;
}

class Reader {
 public:
  explicit Reader(XML_Parser parser) : parser_(parser) {}

  void start(const char* name, const XML_Char** attributes) {
    if (!error_.empty()) return;
    if (open_.size() >= kMaxDepth)
      return fail("elements nested deeper than " + std::to_string(kMaxDepth));
    const std::string_view element(name);
    if (open_.empty() && element != "testsuites" && element != "testsuite")
      return fail("expected a <testsuites> or <testsuite> root, got <" + std::string(element) +
                  ">");
    if (element == "testcase" && !current_ && open_.back() == "testsuite") {
      begin_case(attributes);
    } else if (current_ && open_.size() == case_depth_ + 1 && open_.back() == "testcase") {
      if (element == "failure") note(JunitCase::Outcome::failed, attributes);
      if (element == "error") note(JunitCase::Outcome::error, attributes);
      if (element == "skipped") note(JunitCase::Outcome::skipped, attributes);
    }
    open_.emplace_back(element);
  }

  void end() {
    if (!error_.empty() || open_.empty()) return;
    open_.pop_back();
    collecting_text_ = false;
    if (current_ && open_.size() == case_depth_) finish_case();
  }

  void text(const XML_Char* data, int length) {
    if (!collecting_text_ || length <= 0) return;
    const size_t room = kMaxJunitMessageBytes - std::min(kMaxJunitMessageBytes, message_.size());
    message_.append(data, std::min(room, static_cast<size_t>(length)));
  }

  void fail(const std::string& what) {
    if (error_.empty())
      error_ =
          "JUnit report, line " + std::to_string(XML_GetCurrentLineNumber(parser_)) + ": " + what;
    XML_StopParser(parser_, XML_FALSE);
  }

  const std::string& error() const { return error_; }
  std::vector<JunitCase> take_cases() { return std::move(cases_); }

 private:
  void begin_case(const XML_Char** attributes) {
    const char* classname = attribute(attributes, "classname");
    const char* name = attribute(attributes, "name");
    if (name == nullptr) return fail("a <testcase> without a name attribute");
    JunitCase found;
    found.id = classname != nullptr && *classname != '\0' ? std::string(classname) + "::" + name
                                                          : std::string(name);
    if (found.id.size() > kMaxJunitIdBytes)
      return fail("a test id of " + std::to_string(found.id.size()) + " bytes; at most " +
                  std::to_string(kMaxJunitIdBytes) + " are accepted");
    current_ = std::move(found);
    case_depth_ = open_.size();
    message_.clear();
  }

  // A <failure>, <error> or <skipped> of the current case.
  void note(JunitCase::Outcome outcome, const XML_Char** attributes) {
    if (severity(outcome) <= severity(current_->outcome)) return;
    current_->outcome = outcome;
    const char* message = attribute(attributes, "message");
    message_ = message != nullptr ? std::string(message).substr(0, kMaxJunitMessageBytes) : "";
    collecting_text_ = message == nullptr;
  }

  void finish_case() {
    JunitCase done = std::move(*current_);
    current_.reset();
    done.message = std::move(message_);
    message_.clear();
    auto [at, added] = by_id_.try_emplace(done.id, cases_.size());
    if (added) {
      if (cases_.size() >= kMaxJunitCases)
        return fail("more than " + std::to_string(kMaxJunitCases) + " test cases");
      cases_.push_back(std::move(done));
      return;
    }
    merge(cases_[at->second], std::move(done));
  }

  // The same id reported again: a failure in any report of it fails it.
  static void merge(JunitCase& into, JunitCase again) {
    if (counts_as_failed(into.outcome)) return;
    if (counts_as_failed(again.outcome) || into.outcome == JunitCase::Outcome::skipped) {
      into.outcome = again.outcome;
      into.message = std::move(again.message);
    }
  }

  XML_Parser parser_;
  std::vector<std::string> open_;  // the elements from the root to the one being read
  std::vector<JunitCase> cases_;
  std::map<std::string, size_t, std::less<>> by_id_;
  std::optional<JunitCase> current_;
  size_t case_depth_ = 0;  // how many elements were open around the current <testcase>
  std::string message_;
  bool collecting_text_ = false;
  std::string error_;
};

Reader& reader_of(void* data) {
  return *static_cast<Reader*>(data);
}

void on_start(void* data, const XML_Char* name, const XML_Char** attributes) {
  reader_of(data).start(name, attributes);
}
void on_end(void* data, const XML_Char*) {
  reader_of(data).end();
}
void on_text(void* data, const XML_Char* text, int length) {
  reader_of(data).text(text, length);
}
void on_doctype(void* data, const XML_Char*, const XML_Char*, const XML_Char*, int) {
  reader_of(data).fail(
      "a DOCTYPE declaration (refused: entities could expand without bound or read files)");
}
void on_entity(void* data, const XML_Char* name, int, const XML_Char*, int, const XML_Char*,
               const XML_Char*, const XML_Char*, const XML_Char*) {
  reader_of(data).fail("an entity declaration (" + std::string(name) + "): refused");
}
int on_external_entity(XML_Parser, const XML_Char*, const XML_Char*, const XML_Char*,
                       const XML_Char*) {
  return XML_STATUS_ERROR;  // never read
}

}  // namespace

std::string_view to_string(JunitCase::Outcome outcome) {
  switch (outcome) {
    case JunitCase::Outcome::passed:
      return "passed";
    case JunitCase::Outcome::failed:
      return "failed";
    case JunitCase::Outcome::error:
      return "error";
    case JunitCase::Outcome::skipped:
      return "skipped";
  }
  return "unknown";
}

base::Expected<std::vector<JunitCase>> parse_junit(std::string_view xml) {
  if (xml.size() > kMaxJunitBytes)
    return base::Error{"JUnit report: " + std::to_string(xml.size()) + " bytes; at most " +
                       std::to_string(kMaxJunitBytes) + " are read"};
  ParserHandle parser(XML_ParserCreate(nullptr));
  if (!parser) return base::Error{"JUnit report: expat could not make a parser (out of memory)"};
  Reader reader(parser.get());
  XML_SetUserData(parser.get(), &reader);
  XML_SetElementHandler(parser.get(), on_start, on_end);
  XML_SetCharacterDataHandler(parser.get(), on_text);
  XML_SetStartDoctypeDeclHandler(parser.get(), on_doctype);
  XML_SetEntityDeclHandler(parser.get(), on_entity);
  XML_SetExternalEntityRefHandler(parser.get(), on_external_entity);
  XML_SetParamEntityParsing(parser.get(), XML_PARAM_ENTITY_PARSING_NEVER);
  const XML_Status status =
      XML_Parse(parser.get(), xml.data(), static_cast<int>(xml.size()), XML_TRUE);
  if (!reader.error().empty()) return base::Error{reader.error()};
  if (status != XML_STATUS_OK)
    return base::Error{"JUnit report, line " +
                       std::to_string(XML_GetCurrentLineNumber(parser.get())) + ": " +
                       XML_ErrorString(XML_GetErrorCode(parser.get()))};
  return reader.take_cases();
}

}  // namespace repo
