// Named models from JSON: defaults, every key, and errors that name the key.
#include "agents/llm/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

namespace agents::llm {
namespace {

using nlohmann::json;

TEST(ModelConfigTest, ParsesEveryKeyAndDefaults) {
  const auto models = parse_models(json::parse(R"({"models": [
      {"name": "strong", "base_url": "https://api.example.com/v1", "model": "big-1",
       "api_key_env": "BIG_KEY", "max_concurrency": 64, "usd_per_million_input": 2.5,
       "usd_per_million_output": 10, "timeout": 1.5, "max_retries": 0},
      {"name": "cheap", "base_url": "http://127.0.0.1:8000/v1", "model": "small"}]})"));
  ASSERT_TRUE(models.ok()) << models.error().message;
  ASSERT_EQ(models->size(), 2u);
  const ModelConfig& strong = (*models)[0];
  EXPECT_EQ(strong.name, "strong");
  EXPECT_EQ(strong.base_url, "https://api.example.com/v1");
  EXPECT_EQ(strong.model, "big-1");
  EXPECT_EQ(strong.api_key_env, "BIG_KEY");
  EXPECT_EQ(strong.max_concurrency, 64u);
  EXPECT_DOUBLE_EQ(strong.usd_per_million_input, 2.5);
  EXPECT_DOUBLE_EQ(strong.usd_per_million_output, 10);
  EXPECT_EQ(strong.timeout, std::chrono::milliseconds(1500));
  EXPECT_EQ(strong.max_retries, 0u);
  const ModelConfig& cheap = (*models)[1];
  const ModelConfig defaults;
  EXPECT_EQ(cheap.api_key_env, "");
  EXPECT_EQ(cheap.max_concurrency, defaults.max_concurrency);
  EXPECT_EQ(cheap.timeout, defaults.timeout);
  EXPECT_EQ(cheap.max_retries, defaults.max_retries);
  EXPECT_EQ(cheap.max_retry_time, std::chrono::seconds(60));
  EXPECT_EQ(cheap.breaker.failures, 5u);
  EXPECT_EQ(cheap.breaker.cool_down, std::chrono::seconds(30));
}

TEST(ModelConfigTest, RetryTimeAndBreakerAreConfigurable) {
  const std::string base = R"("name": "m", "base_url": "http://h/v1", "model": "x")";
  const auto models = parse_models(json::parse(R"({"models": [{)" + base +
                                               R"(, "max_retry_time": 2.5, "breaker_failures": 0,
                                                  "breaker_cool_down": 0.5}]})"));
  ASSERT_TRUE(models.ok()) << models.error().message;
  EXPECT_EQ((*models)[0].max_retry_time, std::chrono::milliseconds(2500));
  EXPECT_EQ((*models)[0].breaker.failures, 0u);  // off
  EXPECT_EQ((*models)[0].breaker.cool_down, std::chrono::milliseconds(500));
  for (const auto& [entry, error] : std::vector<std::pair<std::string, std::string>>{
           {R"("breaker_failures": -1)", "models[0].breaker_failures: expected an integer from 0"},
           {R"("breaker_cool_down": 0)", "models[0].breaker_cool_down: expected a positive"},
           {R"("max_retry_time": "1m")", "models[0].max_retry_time: expected a positive"}}) {
    const auto parsed = parse_models(json::parse(R"({"models": [{)" + base + ", " + entry + "}]}"));
    ASSERT_FALSE(parsed.ok()) << entry;
    EXPECT_EQ(parsed.error().message.rfind(error, 0), 0u) << parsed.error().message;
  }
}

TEST(ModelConfigTest, ErrorsNameTheKey) {
  const std::string base = R"("name": "m", "base_url": "http://h/v1", "model": "x")";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({})", "models: expected a list"},
      {R"({"models": [1]})", "models[0]: expected an object"},
      {R"({"models": [{"base_url": "http://h", "model": "x"}]})", "models[0].name: missing"},
      {R"({"models": [{"name": "", "base_url": "http://h", "model": "x"}]})", "models[0].name"},
      {R"({"models": [{"name": "m", "base_url": "ftp://h", "model": "x"}]})",
       "models[0].base_url: expected an http"},
      {R"({"models": [{)" + base + R"(, "max_concurrency": 0}]})",
       "models[0].max_concurrency: expected an integer from 1"},
      {R"({"models": [{)" + base + R"(, "max_concurrency": "8"}]})", "models[0].max_concurrency"},
      {R"({"models": [{)" + base + R"(, "timeout": -1}]})",
       "models[0].timeout: expected a positive"},
      {R"({"models": [{)" + base + R"(, "max_retries": 1.5}]})", "models[0].max_retries"},
      {R"({"models": [{)" + base + R"(, "usd_per_million_input": -2}]})",
       "models[0].usd_per_million_input"},
      {R"({"models": [{)" + base + R"(, "api_key_env": 3}]})", "models[0].api_key_env"},
      {R"({"models": [{)" + base + R"(, "api_key": "sk-x"}]})", "models[0].api_key: unknown key"},
      {R"({"models": [{)" + base + "}, {" + base + "}]}", "models[1].name: duplicate"},
  };
  for (const auto& [text, expected] : cases) {
    const auto models = parse_models(json::parse(text));
    ASSERT_FALSE(models.ok()) << text;
    EXPECT_NE(models.error().message.find(expected), std::string::npos)
        << text << " -> " << models.error().message;
  }
}

TEST(ModelConfigTest, LoadNamesTheFile) {
  char path[] = "/tmp/agentd-models-XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::close(fd);
  std::ofstream(path) << R"({"models": [{"name": "m", "base_url": "http://h/v1", "model": "x",
      // comments are allowed, as in policy files
      "timeout": "soon"}]})";
  const auto bad = load_models(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find(std::string(path) + ": models[0].timeout"), std::string::npos)
      << bad.error().message;
  std::ofstream(path) << R"({"models": []})";
  const auto empty = load_models(path);
  ASSERT_TRUE(empty.ok()) << empty.error().message;
  EXPECT_TRUE(empty->empty());
  std::remove(path);
  const auto missing = load_models(path);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("No such file"), std::string::npos);
}

}  // namespace
}  // namespace agents::llm
