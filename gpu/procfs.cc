#include "gpu/procfs.h"

#include <cctype>
#include <charconv>

#include "base/strings.h"

namespace gpu {

namespace {

std::optional<uint32_t> parse_u32(std::string_view text) {
  text = base::trim(text);
  uint32_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// "550.54.15" or "580.95": two or three dot-separated groups of digits.
bool looks_like_version(std::string_view token) {
  int groups = 0;
  size_t digits = 0;
  for (char c : token) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      ++digits;
    } else if (c == '.' && digits > 0) {
      ++groups;
      digits = 0;
    } else {
      return false;
    }
  }
  return digits > 0 && (groups == 1 || groups == 2);
}

// Calls `visit(line)` for each line of `text`.
template <class Visit>
void for_each_line(std::string_view text, Visit visit) {
  while (!text.empty()) {
    size_t end = text.find('\n');
    visit(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
}

}  // namespace

std::optional<std::string> parse_driver_version(std::string_view version_file) {
  std::optional<std::string> version;
  for_each_line(version_file, [&](std::string_view line) {
    if (version || !line.starts_with("NVRM version:")) return;
    line.remove_prefix(std::string_view("NVRM version:").size());
    // The version is the first token that looks like one after "Kernel Module".
    size_t module = line.find("Kernel Module");
    if (module == std::string_view::npos) return;
    line.remove_prefix(module);
    while (!line.empty() && !version) {
      line = base::trim(line);
      size_t end = line.find_first_of(" \t");
      std::string_view token = line.substr(0, end);
      if (looks_like_version(token)) version = std::string(token);
      line.remove_prefix(end == std::string_view::npos ? line.size() : end);
    }
  });
  return version;
}

base::Expected<ProcGpu> parse_gpu_information(std::string_view text, std::string bus_id) {
  ProcGpu gpu;
  gpu.bus_id = std::move(bus_id);
  std::optional<uint32_t> minor;
  for_each_line(text, [&](std::string_view line) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return;
    std::string_view key = base::trim(line.substr(0, colon));
    std::string_view value = base::trim(line.substr(colon + 1));
    if (key == "Model") {
      gpu.model = std::string(value);
    } else if (key == "GPU UUID") {
      // Until the GPU is initialised the driver prints question marks instead of the UUID.
      if (value.starts_with("GPU-") && value.find('?') == std::string_view::npos) {
        gpu.uuid = std::string(value);
      }
    } else if (key == "Device Minor") {
      minor = parse_u32(value);
    }
  });
  if (!minor) {
    return base::Error{"gpus/" + gpu.bus_id +
                       "/information: no numeric \"Device Minor\" line (expected e.g. "
                       "\"Device Minor: 0\")"};
  }
  gpu.minor = *minor;
  return gpu;
}

std::optional<uint32_t> parse_char_major(std::string_view proc_devices, std::string_view name) {
  bool in_char_section = false;
  std::optional<uint32_t> major;
  for_each_line(proc_devices, [&](std::string_view line) {
    if (line.starts_with("Character devices:")) {
      in_char_section = true;
      return;
    }
    if (line.starts_with("Block devices:")) in_char_section = false;
    if (!in_char_section || major) return;
    line = base::trim(line);
    size_t space = line.find_first_of(" \t");
    if (space == std::string_view::npos || base::trim(line.substr(space)) != name) return;
    major = parse_u32(line.substr(0, space));
  });
  return major;
}

}  // namespace gpu
