#include "gpu/nvml.h"

#include <dlfcn.h>

#include <memory>

namespace gpu {

namespace {

// The few NVML declarations used, from NVML's stable C ABI (nvml.h is not a build dependency).
using nvmlReturn_t = int;
using nvmlDevice_t = struct nvmlDevice_st*;
struct nvmlMemory_t {
  unsigned long long total, free, used;
};
struct nvmlUtilization_t {
  unsigned int gpu, memory;
};
constexpr nvmlReturn_t kNvmlSuccess = 0;
constexpr unsigned kNameSize = 96;     // NVML_DEVICE_NAME_V2_BUFFER_SIZE
constexpr unsigned kUuidSize = 96;     // NVML_DEVICE_UUID_V2_BUFFER_SIZE
constexpr unsigned kVersionSize = 80;  // NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE

struct NvmlApi {
  nvmlReturn_t (*init)();
  nvmlReturn_t (*shutdown)();
  const char* (*error_string)(nvmlReturn_t);
  nvmlReturn_t (*driver_version)(char*, unsigned);
  nvmlReturn_t (*count)(unsigned*);
  nvmlReturn_t (*handle)(unsigned, nvmlDevice_t*);
  nvmlReturn_t (*name)(nvmlDevice_t, char*, unsigned);
  nvmlReturn_t (*uuid)(nvmlDevice_t, char*, unsigned);
  nvmlReturn_t (*minor)(nvmlDevice_t, unsigned*);
  nvmlReturn_t (*memory)(nvmlDevice_t, nvmlMemory_t*);
  nvmlReturn_t (*utilization)(nvmlDevice_t, nvmlUtilization_t*);
};

struct DlClose {
  void operator()(void* handle) const { ::dlclose(handle); }
};
using Library = std::unique_ptr<void, DlClose>;

std::string last_dl_error() {
  const char* error = ::dlerror();
  return error ? error : "unknown dynamic loader error";
}

template <class Fn>
bool bind(void* library, const char* symbol, Fn& fn) {
  fn = reinterpret_cast<Fn>(::dlsym(library, symbol));
  return fn != nullptr;
}

base::Expected<NvmlApi> bind_api(void* library, const std::string& name) {
  NvmlApi api{};
  bool ok = bind(library, "nvmlInit_v2", api.init) && bind(library, "nvmlShutdown", api.shutdown) &&
            bind(library, "nvmlErrorString", api.error_string) &&
            bind(library, "nvmlSystemGetDriverVersion", api.driver_version) &&
            bind(library, "nvmlDeviceGetCount_v2", api.count) &&
            bind(library, "nvmlDeviceGetHandleByIndex_v2", api.handle) &&
            bind(library, "nvmlDeviceGetName", api.name) &&
            bind(library, "nvmlDeviceGetUUID", api.uuid) &&
            bind(library, "nvmlDeviceGetMinorNumber", api.minor) &&
            bind(library, "nvmlDeviceGetMemoryInfo", api.memory) &&
            bind(library, "nvmlDeviceGetUtilizationRates", api.utilization);
  if (!ok) return base::Error{"NVML: " + name + " lacks an expected function: " + last_dl_error()};
  return api;
}

base::Expected<NvmlDevice> read_device(const NvmlApi& api, unsigned index) {
  nvmlDevice_t device = nullptr;
  if (nvmlReturn_t rc = api.handle(index, &device); rc != kNvmlSuccess) {
    return base::Error{"NVML: device " + std::to_string(index) + ": " + api.error_string(rc)};
  }
  NvmlDevice result;
  unsigned minor = 0;
  if (nvmlReturn_t rc = api.minor(device, &minor); rc != kNvmlSuccess) {
    return base::Error{"NVML: device " + std::to_string(index) +
                       " minor number: " + api.error_string(rc)};
  }
  result.minor = minor;
  char text[kNameSize] = {};
  if (api.name(device, text, sizeof text) == kNvmlSuccess) result.name = text;
  char uuid[kUuidSize] = {};
  if (api.uuid(device, uuid, sizeof uuid) == kNvmlSuccess) result.uuid = uuid;
  // Memory and utilisation are optional: some GPUs (MIG, vGPU) report NOT_SUPPORTED.
  nvmlMemory_t memory{};
  if (api.memory(device, &memory) == kNvmlSuccess) {
    result.memory_total_bytes = memory.total;
    result.memory_used_bytes = memory.used;
  }
  nvmlUtilization_t utilization{};
  if (api.utilization(device, &utilization) == kNvmlSuccess) {
    result.utilization_percent = utilization.gpu;
  }
  return result;
}

base::Expected<NvmlSnapshot> read_all(const NvmlApi& api) {
  NvmlSnapshot snapshot;
  char version[kVersionSize] = {};
  if (api.driver_version(version, sizeof version) == kNvmlSuccess)
    snapshot.driver_version = version;
  unsigned count = 0;
  if (nvmlReturn_t rc = api.count(&count); rc != kNvmlSuccess) {
    return base::Error{std::string("NVML: nvmlDeviceGetCount failed: ") + api.error_string(rc)};
  }
  for (unsigned i = 0; i < count; ++i) {
    auto device = read_device(api, i);
    if (!device) return device.error();
    snapshot.devices.push_back(std::move(device.value()));
  }
  return snapshot;
}

}  // namespace

base::Expected<NvmlSnapshot> query_nvml(const std::string& library_name) {
  Library library(::dlopen(library_name.c_str(), RTLD_NOW | RTLD_LOCAL));
  if (!library) {
    return base::Error{"NVML: cannot load " + library_name + " (" + last_dl_error() +
                       "): no NVIDIA driver user-space libraries on this machine"};
  }
  auto api = bind_api(library.get(), library_name);
  if (!api) return api.error();
  if (nvmlReturn_t rc = api->init(); rc != kNvmlSuccess) {
    return base::Error{"NVML: nvmlInit failed: " + std::string(api->error_string(rc)) +
                       " (is the NVIDIA kernel driver loaded?)"};
  }
  auto snapshot = read_all(*api);
  api->shutdown();
  return snapshot;
}

}  // namespace gpu
