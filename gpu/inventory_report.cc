// `agentd-gpu list` output: the inventory as text for people and JSON for programs.
#include <nlohmann/json.hpp>
#include <sstream>

#include "gpu/inventory.h"

namespace gpu {

namespace {

std::string node_text(const sandbox::DeviceNode& node) {
  return node.path + " (" + std::to_string(node.major) + ":" + std::to_string(node.minor) + ")";
}

std::string mib(uint64_t bytes) {
  return std::to_string(bytes >> 20) + " MiB";
}

void describe_gpu(const Gpu& gpu, std::ostringstream& out) {
  out << "GPU " << gpu.index << ": " << (gpu.model.empty() ? "unknown model" : gpu.model);
  if (!gpu.bus_id.empty()) out << ", bus " << gpu.bus_id;
  out << ", " << node_text(gpu.node);
  if (!gpu.uuid.empty()) out << ", " << gpu.uuid;
  if (gpu.memory_total_bytes) {
    out << ", memory " << mib(*gpu.memory_total_bytes) << " (used "
        << mib(gpu.memory_used_bytes.value_or(0)) << ")";
  }
  if (gpu.utilization_percent) out << ", utilisation " << *gpu.utilization_percent << "%";
  out << "\n";
}

}  // namespace

std::string describe(const Inventory& inventory) {
  std::ostringstream out;
  if (inventory.driver_version.empty()) {
    out << "no NVIDIA driver found";
  } else if (inventory.gpus.empty()) {
    out << "NVIDIA driver " << inventory.driver_version << " loaded, but no usable GPU found";
  } else {
    out << "NVIDIA driver " << inventory.driver_version << ", " << inventory.gpus.size()
        << " GPU(s)";
  }
  out << "\n";
  for (const auto& gpu : inventory.gpus) describe_gpu(gpu, out);
  for (const auto& node : inventory.control_nodes)
    out << "control node " << node_text(node) << "\n";
  for (const auto& library : inventory.libraries) {
    out << "library " << library.path << " -> " << library.file << "\n";
  }
  for (const auto& note : inventory.notes) out << "note: " << note << "\n";
  return out.str();
}

nlohmann::json to_json(const Inventory& inventory) {
  auto node_json = [](const sandbox::DeviceNode& node) {
    return nlohmann::json{{"path", node.path}, {"major", node.major}, {"minor", node.minor}};
  };
  nlohmann::json gpus = nlohmann::json::array();
  for (const auto& gpu : inventory.gpus) {
    nlohmann::json entry{{"index", gpu.index}, {"minor", gpu.minor}, {"bus_id", gpu.bus_id},
                         {"model", gpu.model}, {"uuid", gpu.uuid},   {"node", node_json(gpu.node)}};
    if (gpu.memory_total_bytes) entry["memory_total_bytes"] = *gpu.memory_total_bytes;
    if (gpu.memory_used_bytes) entry["memory_used_bytes"] = *gpu.memory_used_bytes;
    if (gpu.utilization_percent) entry["utilization_percent"] = *gpu.utilization_percent;
    gpus.push_back(std::move(entry));
  }
  nlohmann::json nodes = nlohmann::json::array();
  for (const auto& node : inventory.control_nodes) nodes.push_back(node_json(node));
  nlohmann::json libraries = nlohmann::json::array();
  for (const auto& library : inventory.libraries) {
    libraries.push_back(
        {{"soname", library.soname}, {"path", library.path}, {"file", library.file}});
  }
  return {{"driver_version", inventory.driver_version}, {"gpus", std::move(gpus)},
          {"control_nodes", std::move(nodes)},          {"ld_cache", inventory.ld_cache},
          {"libraries", std::move(libraries)},          {"notes", inventory.notes}};
}

}  // namespace gpu
