// A small Prometheus registry: counters, gauges and histograms with labels, rendered in the
// text exposition format (version 0.0.4) for GET /metrics. Used from the event loop thread
// only (other threads post their figures to it), so nothing here locks.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace agentd::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

enum class Type { counter, gauge, histogram };

class Family {
 public:
  Family(std::string name, std::string help, Type type, std::vector<double> buckets = {});

  void add(double amount, const Labels& labels = {});     // counters and gauges
  void set(double value, const Labels& labels = {});      // gauges
  void observe(double value, const Labels& labels = {});  // histograms

  // For tests and for the STATUS line: a counter's or gauge's value, a histogram's count.
  double value(const Labels& labels = {}) const;
  void render(std::string& out) const;

 private:
  struct Series {
    double value = 0;
    std::vector<uint64_t> bucket_counts;  // histograms: per bucket, not cumulative
    double sum = 0;
    uint64_t count = 0;
  };
  Series& series(const Labels& labels);

  std::string name_;
  std::string help_;
  Type type_;
  std::vector<double> buckets_;  // upper bounds, increasing; +Inf is implied
  std::map<Labels, Series> series_;
};

class Registry {
 public:
  Family& counter(std::string name, std::string help);
  Family& gauge(std::string name, std::string help);
  Family& histogram(std::string name, std::string help, std::vector<double> buckets);
  std::string render() const;

 private:
  std::vector<std::unique_ptr<Family>> families_;  // in registration order
};

// Bucket bounds in seconds from 1 ms to about a minute, for latencies.
std::vector<double> latency_buckets();

}  // namespace agentd::metrics
