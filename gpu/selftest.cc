#include "gpu/selftest.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "gpu/open_check.h"
#include "gpu/probe_run.h"

namespace gpu {

namespace {

void pass(SelftestReport& report, const std::string& line) { report.lines.push_back("PASS " + line); }

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

std::string errno_name(int error) { return error == 0 ? "opened" : std::strerror(error); }

std::vector<std::string> nvidia_paths(const Inventory& inventory) {
  std::vector<std::string> paths;
  for (const auto& node : inventory.control_nodes) paths.push_back(node.path);
  for (const auto& gpu : inventory.gpus) paths.push_back(gpu.node.path);
  return paths;
}

// Every node must fail to open without a grant; with one, exactly the granted ones open.
void check_isolation(const Passthrough& passthrough, sandbox::Runner& runner,
                     const SelftestOptions& options, const GpuGrant& grant,
                     SelftestReport& report) {
  auto paths = nvidia_paths(passthrough.inventory());
  for (const GpuGrant* with : {static_cast<const GpuGrant*>(nullptr), &grant}) {
    std::string who = with ? "sandbox granted GPU " + std::to_string(options.gpu)
                           : "sandbox without a GPU grant";
    auto opened = open_in_sandbox(runner, options.tool, with, paths);
    if (!opened) {
      fail(report, who + ": " + opened.error().message);
      continue;
    }
    for (const auto& [path, error] : *opened) {
      bool granted = with && std::any_of(with->devices.begin(), with->devices.end(),
                                         [&](const auto& d) { return d.path == path; });
      std::string line = who + ": " + path + ": " + errno_name(error);
      (granted == (error == 0)) ? pass(report, line + (granted ? "" : " (as it must)"))
                                : fail(report, line + (granted ? " (should open)" : " (must not open)"));
    }
  }
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values.empty() ? 0 : values[values.size() / 2];
}

// Runs the probe `rounds` times in a sandbox (and, to compare, outside, alternating so drift
// hits both) and reports the median copy bandwidth of each and their ratio.
void run_probes(const SelftestOptions& options, sandbox::Runner& runner, const GpuGrant& grant,
                SelftestReport& report) {
  std::vector<double> inside, outside;
  report.figures["sandbox"] = nlohmann::json::array();
  report.figures["direct"] = nlohmann::json::array();
  for (uint32_t round = 0; round < std::max<uint32_t>(options.rounds, 1); ++round) {
    if (options.compare) {
      auto direct = run_probe_directly(options.probe, grant);
      if (!direct) return fail(report, direct.error().message);
      outside.push_back((*direct)["d2d_copy"].value("gb_per_s", 0.0));
      report.figures["direct"].push_back(*direct);
    }
    auto sandboxed = run_probe_in_sandbox(runner, options.probe, grant);
    if (!sandboxed) return fail(report, sandboxed.error().message);
    inside.push_back((*sandboxed)["d2d_copy"].value("gb_per_s", 0.0));
    report.figures["sandbox"].push_back(*sandboxed);
  }
  const auto& first = report.figures["sandbox"][0];
  pass(report, "probe in sandbox: " + first.value("device", std::string("?")) + ", vector add of " +
                   std::to_string(first["vector_add"].value("elements", 0)) +
                   " elements correct, device-to-device copy " +
                   fixed(median(inside)) + " GB/s (median of " +
                   std::to_string(inside.size()) + ")");
  report.figures["sandbox_gb_per_s"] = median(inside);
  if (!options.compare) return;
  double ratio = median(outside) > 0 ? median(inside) / median(outside) : 0;
  report.figures["direct_gb_per_s"] = median(outside);
  report.figures["sandbox_to_direct"] = ratio;
  std::string line = "probe outside any sandbox: " + fixed(median(outside)) +
                     " GB/s; sandbox/direct = " + fixed(ratio, 4) + " (target >= 0.98)";
  ratio >= 0.98 ? pass(report, line) : fail(report, line);
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
