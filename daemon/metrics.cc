#include "daemon/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace agentd::metrics {
namespace {

std::string number(double value) {
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (std::isnan(value)) return "NaN";
  // The shortest text that reads back as the same double ("0.1", not "0.10000000000000001").
  char text[64];
  for (int precision = 15; precision <= 17; ++precision) {
    std::snprintf(text, sizeof text, "%.*g", precision, value);
    if (std::strtod(text, nullptr) == value) break;
  }
  return text;
}

// Label values come partly from clients and models: escape what the format requires.
std::string escaped(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string label_text(const Labels& labels, const std::string& extra_name = {},
                       const std::string& extra_value = {}) {
  if (labels.empty() && extra_name.empty()) return "";
  std::string out = "{";
  bool first = true;
  auto append = [&](const std::string& name, const std::string& value) {
    if (!first) out += ",";
    first = false;
    out += name + "=\"" + escaped(value) + "\"";
  };
  for (const auto& [name, value] : labels) append(name, value);
  if (!extra_name.empty()) append(extra_name, extra_value);
  return out + "}";
}

// HELP text escapes backslashes and newlines only.
std::string help_text(const std::string& help) {
  std::string out;
  for (char c : help) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

// Label sets are kept sorted by name, so one series has one key (and one rendering) whatever
// order a caller lists its labels in.
Labels canonical(Labels labels) {
  std::sort(labels.begin(), labels.end());
  return labels;
}

}  // namespace

Family::Family(std::string name, std::string help, Type type, std::vector<double> buckets)
    : name_(std::move(name)), help_(std::move(help)), type_(type), buckets_(std::move(buckets)) {}

Family::Series& Family::series(const Labels& labels) {
  // Callers list labels in one fixed order: copy and sort only when it is not already sorted.
  if (!std::is_sorted(labels.begin(), labels.end())) return series(canonical(labels));
  auto [it, inserted] = series_.try_emplace(labels);
  if (inserted && type_ == Type::histogram) it->second.bucket_counts.assign(buckets_.size(), 0);
  return it->second;
}

void Family::add(double amount, const Labels& labels) {
  series(labels).value += amount;
}

void Family::set(double value, const Labels& labels) {
  series(labels).value = value;
}

void Family::observe(double value, const Labels& labels) {
  Series& s = series(labels);
  for (size_t i = 0; i < buckets_.size(); ++i) {
    if (value <= buckets_[i]) {
      ++s.bucket_counts[i];
      break;
    }
  }
  s.sum += value;
  ++s.count;
}

double Family::value(const Labels& labels) const {
  if (!std::is_sorted(labels.begin(), labels.end())) return value(canonical(labels));
  auto it = series_.find(labels);
  if (it == series_.end()) return 0;
  return type_ == Type::histogram ? static_cast<double>(it->second.count) : it->second.value;
}

void Family::render(std::string& out) const {
  static const char* kTypeNames[] = {"counter", "gauge", "histogram"};
  out += "# HELP " + name_ + " " + help_text(help_) + "\n";
  out += "# TYPE " + name_ + " " + kTypeNames[static_cast<int>(type_)] + "\n";
  for (const auto& [labels, s] : series_) {
    if (type_ != Type::histogram) {
      out += name_ + label_text(labels) + " " + number(s.value) + "\n";
      continue;
    }
    uint64_t cumulative = 0;
    for (size_t i = 0; i < buckets_.size(); ++i) {
      cumulative += s.bucket_counts[i];
      out += name_ + "_bucket" + label_text(labels, "le", number(buckets_[i])) + " " +
             std::to_string(cumulative) + "\n";
    }
    out +=
        name_ + "_bucket" + label_text(labels, "le", "+Inf") + " " + std::to_string(s.count) + "\n";
    out += name_ + "_sum" + label_text(labels) + " " + number(s.sum) + "\n";
    out += name_ + "_count" + label_text(labels) + " " + std::to_string(s.count) + "\n";
  }
}

Family& Registry::counter(std::string name, std::string help) {
  families_.push_back(std::make_unique<Family>(std::move(name), std::move(help), Type::counter));
  return *families_.back();
}

Family& Registry::gauge(std::string name, std::string help) {
  families_.push_back(std::make_unique<Family>(std::move(name), std::move(help), Type::gauge));
  return *families_.back();
}

Family& Registry::histogram(std::string name, std::string help, std::vector<double> buckets) {
  families_.push_back(std::make_unique<Family>(std::move(name), std::move(help), Type::histogram,
                                               std::move(buckets)));
  return *families_.back();
}

std::string Registry::render() const {
  std::string out;
  for (const auto& family : families_) family->render(out);
  return out;
}

std::vector<double> latency_buckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
}

}  // namespace agentd::metrics
