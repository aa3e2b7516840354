#include "gpu/tool/options.h"

#include <charconv>
#include <filesystem>
#include <string_view>

namespace gpu::tool {

namespace {

sandbox::Expected<uint32_t> number(std::string_view flag, std::string_view text) {
  uint32_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    return sandbox::Error{std::string(flag) + ": expected a non-negative number, got \"" +
                          std::string(text) + "\""};
  }
  return value;
}

// Applies one "--flag [value]" at argv[i]; advances i past its value.
sandbox::Status apply_flag(Options& options, int argc, char** argv, int& i) {
  std::string_view flag = argv[i];
  auto value = [&]() -> sandbox::Expected<std::string> {
    if (i + 1 >= argc) return sandbox::Error{std::string(flag) + ": needs a value"};
    return std::string(argv[++i]);
  };
  auto set_text = [&](std::string& field) -> sandbox::Status {
    auto text = value();
    if (!text) return text.error();
    field = *text;
    return sandbox::Ok{};
  };
  auto set_number = [&](uint32_t& field) -> sandbox::Status {
    auto text = value();
    if (!text) return text.error();
    auto parsed = number(flag, *text);
    if (!parsed) return parsed.error();
    field = *parsed;
    return sandbox::Ok{};
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
    return sandbox::Error{"unknown flag " + std::string(flag) + "\n" + usage()};
  }
  return sandbox::Ok{};
}

}  // namespace

std::string self_path() {
  std::error_code error;
  auto path = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::string() : path.string();
}

std::string usage() {
  return "usage: agentd-gpu list [--json] [DISCOVERY]\n"
         "       agentd-gpu selftest [--gpu N] [--rounds N] [--compare] [--probe PATH]\n"
         "                           [--staging-dir DIR] [DISCOVERY]\n"
         "       agentd-gpu contend [--agents N] [--max-wait-ms N] [--probe PATH] [DISCOVERY]\n"
         "DISCOVERY: [--root DIR] [--ld-cache FILE] [--nvml LIBRARY | --no-nvml]\n";
}

sandbox::Expected<Options> parse_options(int argc, char** argv) {
  Options options;
  if (argc < 2) return sandbox::Error{usage()};
  options.command = argv[1];
  if (options.command == "open-check") {
    options.paths.assign(argv + 2, argv + argc);
    return options;
  }
  if (options.command != "list" && options.command != "selftest" && options.command != "contend") {
    return sandbox::Error{"unknown command \"" + options.command + "\"\n" + usage()};
  }
  for (int i = 2; i < argc; ++i) {
    if (auto applied = apply_flag(options, argc, argv, i); !applied) return applied.error();
  }
  if (options.probe.empty()) {
    options.probe =
        (std::filesystem::path(self_path()).parent_path() / "agentd-gpu-probe").string();
  }
  return options;
}

}  // namespace gpu::tool
