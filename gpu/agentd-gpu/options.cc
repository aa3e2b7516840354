#include "gpu/agentd-gpu/options.h"

#include <charconv>
#include <filesystem>
#include <string_view>

namespace gpu::tool {

namespace {

base::Expected<uint32_t> number(std::string_view flag, std::string_view text) {
  uint32_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    return base::Error{std::string(flag) + ": expected a non-negative number, got \"" +
                       std::string(text) + "\""};
  }
  return value;
}

// Applies one "--flag [value]" at args[i]; advances i past its value.
base::Status apply_flag(Options& options, const std::vector<std::string>& args, size_t& i) {
  std::string_view flag = args[i];
  auto value = [&]() -> base::Expected<std::string> {
    if (i + 1 >= args.size()) return base::Error{std::string(flag) + ": needs a value"};
    return args[++i];
  };
  auto set_text = [&](std::string& field) -> base::Status {
    auto text = value();
    if (!text) return text.error();
    field = *text;
    return base::Ok{};
  };
  auto set_number = [&](uint32_t& field) -> base::Status {
    auto text = value();
    if (!text) return text.error();
    auto parsed = number(flag, *text);
    if (!parsed) return parsed.error();
    field = *parsed;
    return base::Ok{};
  };
  if (flag == "--root") return set_text(options.discovery.root);
  if (flag == "--ld-cache") return set_text(options.discovery.ld_cache);
  if (flag == "--nvml") return set_text(options.discovery.nvml_library);
  if (flag == "--staging-dir") return set_text(options.passthrough.staging_dir);
  if (flag == "--probe") return set_text(options.probe);
  if (flag == "--gpu") return set_number(options.gpu);
  if (flag == "--rounds") return set_number(options.rounds);
  if (flag == "--agents") return set_number(options.agents);
  if (flag == "--max-wait-ms") return set_number(options.max_wait_ms);
  if (flag == "--no-nvml") {
    options.discovery.nvml_library.clear();
  } else if (flag == "--json") {
    options.json = true;
  } else if (flag == "--compare") {
    options.compare = true;
  } else {
    return base::Error{"unknown flag " + std::string(flag) + "\n" + usage(options.program)};
  }
  return base::Ok{};
}

}  // namespace

std::string self_path() {
  std::error_code error;
  auto path = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::string() : path.string();
}

std::string usage(const std::string& program) {
  const std::string indent(program.size() + 10, ' ');
  return "usage: " + program + " list [--json] [DISCOVERY]\n       " + program +
         " selftest [--gpu N] [--rounds N] [--compare] [--probe PATH]\n       " + indent +
         "[--staging-dir DIR] [DISCOVERY]\n       " + program +
         " contend [--agents N] [--max-wait-ms N] [--probe PATH] [DISCOVERY]\n"
         "DISCOVERY: [--root DIR] [--ld-cache FILE] [--nvml LIBRARY | --no-nvml]\n";
}

// The probe is built next to agentd-gpu (build/gpu/); agentd lives in build/daemon/.
static std::string default_probe() {
  const std::filesystem::path dir = std::filesystem::path(self_path()).parent_path();
  for (const auto& candidate :
       {dir / "agentd-gpu-probe", dir / ".." / "gpu" / "agentd-gpu-probe"}) {
    if (std::filesystem::exists(candidate)) return candidate.lexically_normal().string();
  }
  return (dir / "agentd-gpu-probe").string();
}

base::Expected<Options> parse_options(const std::vector<std::string>& args,
                                      const std::string& program) {
  Options options;
  options.program = program;
  if (args.empty()) return base::Error{usage(program)};
  options.command = args[0];
  if (options.command == "open-check") {
    options.paths.assign(args.begin() + 1, args.end());
    return options;
  }
  if (options.command != "list" && options.command != "selftest" && options.command != "contend") {
    return base::Error{"unknown command \"" + options.command + "\"\n" + usage(program)};
  }
  for (size_t i = 1; i < args.size(); ++i) {
    if (auto applied = apply_flag(options, args, i); !applied) return applied.error();
  }
  if (options.probe.empty()) options.probe = default_probe();
  return options;
}

}  // namespace gpu::tool
