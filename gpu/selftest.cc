#include "gpu/selftest.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "gpu/open_check.h"
#include "gpu/probe_run.h"

namespace gpu {

namespace {

void pass(SelftestReport& report, const std::string& line) {
  report.lines.push_back("PASS " + line);
}

void fail(SelftestReport& report, const std::string& line) {
  report.lines.push_back("FAIL " + line);
  report.outcome = SelftestOutcome::failed;
}

void skip(SelftestReport& report, const std::string& line) {
  report.lines.push_back("SKIP " + line);
  if (report.outcome == SelftestOutcome::passed) report.outcome = SelftestOutcome::incomplete;
}

std::string fixed(double value, int decimals = 1) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

std::string errno_name(int error) {
  return error == 0 ? "opened" : std::strerror(error);
}

std::vector<std::string> nvidia_paths(const Inventory& inventory) {
  std::vector<std::string> paths;
  for (const auto& node : inventory.control_nodes) paths.push_back(node.path);
  for (const auto& gpu : inventory.gpus) paths.push_back(gpu.node.path);
  return paths;
}

// Reports each path: it must open exactly when `grant` holds its node.
void judge_opens(const std::string& who, const GpuGrant& grant,
                 const std::map<std::string, int>& opened, SelftestReport& report) {
  for (const auto& answer : opened) {
    const std::string& path = answer.first;
    int error = answer.second;
    bool granted = std::any_of(grant.devices.begin(), grant.devices.end(),
                               [&](const sandbox::DeviceNode& d) { return d.path == path; });
    std::string line = who;
    line.append(": ").append(path).append(": ").append(errno_name(error));
    if (granted == (error == 0)) {
      pass(report, line + (granted ? "" : " (as it must)"));
    } else {
      fail(report, line + (granted ? " (should open)" : " (must not open)"));
    }
  }
}

// Every node must fail to open without a grant; with one, exactly the granted ones open.
void check_isolation(const Passthrough& passthrough, sandbox::Runner& runner,
                     const SelftestOptions& options, const GpuGrant& grant,
                     SelftestReport& report) {
  auto paths = nvidia_paths(passthrough.inventory());
  const std::pair<std::string, GpuGrant> cases[] = {
      {"sandbox without a GPU grant", passthrough.none()},
      {"sandbox granted GPU " + std::to_string(options.gpu), grant}};
  for (const auto& [who, with] : cases) {
    auto opened = open_in_sandbox(runner, options.tool, with, paths);
    if (opened) {
      judge_opens(who, with, *opened, report);
    } else {
      fail(report, who + ": " + opened.error().message);
    }
  }
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values.empty() ? 0 : values[values.size() / 2];
}

// A probe figure, read from each answer; `higher_is_better` for rates.
struct Figure {
  const char* name;
  const char* unit;
  double (*read)(const nlohmann::json& answer);
  bool higher_is_better;
};

const Figure kFigures[] = {
    {"d2d_copy", "GB/s",
     [](const nlohmann::json& a) { return a["d2d_copy"].value("gb_per_s", 0.0); }, true},
    {"vector_add_kernel", "ms",
     [](const nlohmann::json& a) { return a["vector_add"].value("kernel_ms", 0.0); }, false},
    {"launch_sync", "us", [](const nlohmann::json& a) { return a.value("launch_sync_us", 0.0); },
     false},
    {"context_init", "ms", [](const nlohmann::json& a) { return a.value("context_init_ms", 0.0); },
     false},
};

double median_of(const nlohmann::json& answers, const Figure& figure) {
  std::vector<double> values;
  for (const auto& answer : answers) values.push_back(figure.read(answer));
  return median(values);
}

// Inside over outside, as a slowdown: 1.02 means 2% slower in the sandbox.
double slowdown(double inside, double outside, bool higher_is_better) {
  if (inside <= 0 || outside <= 0) return 0;
  return higher_is_better ? outside / inside : inside / outside;
}

void compare(SelftestReport& report) {
  const auto& inside = report.figures["sandbox"];
  const auto& outside = report.figures["direct"];
  for (const Figure& figure : kFigures) {
    double in = median_of(inside, figure), out = median_of(outside, figure);
    double ratio = slowdown(in, out, figure.higher_is_better);
    report.figures["comparison"][figure.name] = {
        {"sandbox", in}, {"direct", out}, {"slowdown", ratio}};
    std::string line = std::string(figure.name) + ": sandbox " + fixed(in, 2) + " " + figure.unit +
                       ", direct " + fixed(out, 2) + " " + figure.unit + ", slowdown in sandbox x" +
                       fixed(ratio, 4);
    // The target applies to the GPU's own work; host-side figures are reported.
    if (std::string_view(figure.name) != "d2d_copy") {
      report.lines.push_back("INFO " + line);
    } else if (ratio <= 1.02) {
      pass(report, line + " (target <= x1.02)");
    } else {
      fail(report, line + " (target <= x1.02)");
    }
  }
}

// Runs the probe `rounds` times in a sandbox (and, to compare, outside, alternating so drift
// hits both) and reports the medians.
void run_probes(const SelftestOptions& options, sandbox::Runner& runner, const GpuGrant& grant,
                SelftestReport& report) {
  report.figures["sandbox"] = nlohmann::json::array();
  report.figures["direct"] = nlohmann::json::array();
  for (uint32_t round = 0; round < std::max<uint32_t>(options.rounds, 1); ++round) {
    if (options.compare) {
      auto direct = run_probe_directly(options.probe, grant);
      if (!direct) return fail(report, direct.error().message);
      report.figures["direct"].push_back(*direct);
    }
    auto sandboxed = run_probe_in_sandbox(runner, options.probe, grant);
    if (!sandboxed) return fail(report, sandboxed.error().message);
    report.figures["sandbox"].push_back(*sandboxed);
  }
  const auto& first = report.figures["sandbox"][0];
  pass(report, "probe in sandbox: " + first.value("device", std::string("?")) + ", " +
                   std::to_string(first.value("visible_devices", 0)) +
                   " device(s) visible, vector add of " +
                   std::to_string(first["vector_add"].value("elements", 0)) +
                   " elements correct, device-to-device copy " +
                   fixed(median_of(report.figures["sandbox"], kFigures[0])) + " GB/s (median of " +
                   std::to_string(report.figures["sandbox"].size()) + " run(s))");
  if (first.value("visible_devices", 0) != 1) {
    fail(report, "the sandbox granted one GPU sees " +
                     std::to_string(first.value("visible_devices", 0)) + " CUDA devices");
  }
  if (options.compare) compare(report);
}

}  // namespace

SelftestReport run_selftest(const Passthrough& passthrough, sandbox::Runner& runner,
                            const SelftestOptions& options) {
  SelftestReport report;
  uint32_t gpu_index = options.gpu;
  auto grant = passthrough.grant(std::span<const uint32_t>(&gpu_index, 1));
  if (!grant) {
    fail(report, grant.error().message);
    return report;
  }
  check_isolation(passthrough, runner, options, *grant, report);
  if (options.probe.empty() || !std::filesystem::exists(options.probe)) {
    skip(report, "CUDA probe: agentd-gpu-probe was not built (no CUDA compiler at build time)" +
                     (options.probe.empty() ? std::string() : ": " + options.probe));
    return report;
  }
  run_probes(options, runner, *grant, report);
  return report;
}

}  // namespace gpu
