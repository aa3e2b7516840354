// agentd-gpu-probe: proves a sandbox can really use the GPU it was granted, and measures it.
// Device query, context creation and launch costs, a vector-add kernel checked on the host, and
// device-to-device copy bandwidth.
// Prints one JSON object on stdout; exits 0 only when every step worked and the sum was right.
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

struct Failure {
  std::string message;
};

void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) {
    throw Failure{std::string(what) + ": " + cudaGetErrorName(status) + " (" +
                  cudaGetErrorString(status) + ")"};
  }
}

// Owns one device allocation, so an early failure frees it too.
struct DeviceBuffer {
  void* pointer = nullptr;
  explicit DeviceBuffer(size_t bytes) { check(cudaMalloc(&pointer, bytes), "cudaMalloc"); }
  ~DeviceBuffer() { cudaFree(pointer); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  template <class T>
  T* as() const {
    return static_cast<T*>(pointer);
  }
};

struct Events {
  cudaEvent_t start = nullptr, stop = nullptr;
  Events() {
    check(cudaEventCreate(&start), "cudaEventCreate");
    check(cudaEventCreate(&stop), "cudaEventCreate");
  }
  ~Events() {
    cudaEventDestroy(start);
    cudaEventDestroy(stop);
  }
  float elapsed_ms() {
    check(cudaEventSynchronize(stop), "cudaEventSynchronize");
    float ms = 0;
    check(cudaEventElapsedTime(&ms, start, stop), "cudaEventElapsedTime");
    return ms;
  }
};

__global__ void vector_add(const float* a, const float* b, float* sum, size_t n) {
  for (size_t i = blockIdx.x * size_t{blockDim.x} + threadIdx.x; i < n;
       i += size_t{gridDim.x} * blockDim.x) {
    sum[i] = a[i] + b[i];
  }
}

__global__ void empty_kernel() {}

double elapsed_ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since)
      .count();
}

// Host-side costs, where a sandbox could add overhead (every driver call is an ioctl that
// passes the seccomp filter): creating the context, and launching small kernels.
std::string host_overheads(int launches) {
  auto start = std::chrono::steady_clock::now();
  check(cudaSetDevice(0), "cudaSetDevice(0)");
  check(cudaFree(nullptr), "cudaFree(0) (context creation)");
  double init_ms = elapsed_ms(start);
  empty_kernel<<<1, 1>>>();
  check(cudaDeviceSynchronize(), "warm-up launch");
  start = std::chrono::steady_clock::now();
  for (int i = 0; i < launches; ++i) {
    empty_kernel<<<1, 1>>>();
    check(cudaDeviceSynchronize(), "empty kernel launch");
  }
  double launch_us = elapsed_ms(start) * 1000.0 / launches;
  char text[128];
  std::snprintf(text, sizeof text, "\"context_init_ms\":%.2f,\"launch_sync_us\":%.2f", init_ms,
                launch_us);
  return text;
}

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string device_query(int device) {
  cudaDeviceProp properties{};
  check(cudaGetDeviceProperties(&properties, device), "cudaGetDeviceProperties");
  int driver = 0, runtime = 0, count = 0;
  check(cudaDriverGetVersion(&driver), "cudaDriverGetVersion");
  check(cudaRuntimeGetVersion(&runtime), "cudaRuntimeGetVersion");
  check(cudaGetDeviceCount(&count), "cudaGetDeviceCount");
  char text[512];
  std::snprintf(text, sizeof text,
                "\"visible_devices\":%d,\"device\":%s,\"compute_capability\":\"%d.%d\","
                "\"multiprocessors\":%d,\"memory_bytes\":%zu,\"cuda_driver\":%d,"
                "\"cuda_runtime\":%d",
                count, json_string(properties.name).c_str(), properties.major, properties.minor,
                properties.multiProcessorCount, properties.totalGlobalMem, driver, runtime);
  return text;
}

// Adds two vectors on the GPU and checks every element on the host.
std::string vector_add_check(size_t n) {
  std::vector<float> a(n), b(n), sum(n);
  for (size_t i = 0; i < n; ++i) {
    a[i] = static_cast<float>(i % 1000) * 0.5f;
    b[i] = static_cast<float>(i % 777) * 2.0f;
  }
  size_t bytes = n * sizeof(float);
  DeviceBuffer da(bytes), db(bytes), dsum(bytes);
  check(cudaMemcpy(da.pointer, a.data(), bytes, cudaMemcpyHostToDevice), "cudaMemcpy to device");
  check(cudaMemcpy(db.pointer, b.data(), bytes, cudaMemcpyHostToDevice), "cudaMemcpy to device");
  Events events;
  check(cudaEventRecord(events.start), "cudaEventRecord");
  vector_add<<<1024, 256>>>(da.as<float>(), db.as<float>(), dsum.as<float>(), n);
  check(cudaGetLastError(), "vector_add launch");
  check(cudaEventRecord(events.stop), "cudaEventRecord");
  float kernel_ms = events.elapsed_ms();
  check(cudaMemcpy(sum.data(), dsum.pointer, bytes, cudaMemcpyDeviceToHost), "cudaMemcpy to host");
  size_t wrong = 0;
  for (size_t i = 0; i < n; ++i) wrong += sum[i] != a[i] + b[i];
  if (wrong != 0)
    throw Failure{"vector_add: " + std::to_string(wrong) + " of " + std::to_string(n) +
                  " sums are wrong"};
  char text[160];
  std::snprintf(text, sizeof text,
                "\"vector_add\":{\"elements\":%zu,\"wrong\":0,\"kernel_ms\":%.4f}", n, kernel_ms);
  return text;
}

// Copies `bytes` device to device `iterations` times after a warm-up; bandwidth counts bytes
// read plus bytes written, per copy, and takes the median copy.
std::string copy_bandwidth(size_t bytes, int iterations) {
  DeviceBuffer source(bytes), target(bytes);
  check(cudaMemset(source.pointer, 1, bytes), "cudaMemset");
  check(cudaMemcpy(target.pointer, source.pointer, bytes, cudaMemcpyDeviceToDevice),
        "warm-up copy");
  std::vector<float> times_ms;
  Events events;
  for (int i = 0; i < iterations; ++i) {
    check(cudaEventRecord(events.start), "cudaEventRecord");
    check(cudaMemcpyAsync(target.pointer, source.pointer, bytes, cudaMemcpyDeviceToDevice),
          "cudaMemcpyAsync device to device");
    check(cudaEventRecord(events.stop), "cudaEventRecord");
    times_ms.push_back(events.elapsed_ms());
  }
  std::sort(times_ms.begin(), times_ms.end());
  float median_ms = times_ms[times_ms.size() / 2];
  double gb_per_s = 2.0 * static_cast<double>(bytes) / (median_ms * 1e-3) / 1e9;
  char text[200];
  std::snprintf(text, sizeof text,
                "\"d2d_copy\":{\"bytes\":%zu,\"iterations\":%d,\"median_ms\":%.4f,\"best_ms\":%.4f,"
                "\"gb_per_s\":%.1f}",
                bytes, iterations, median_ms, times_ms.front(), gb_per_s);
  return text;
}

size_t parse_size(const char* text, size_t fallback) {
  if (text == nullptr) return fallback;
  char* end = nullptr;
  unsigned long long value = std::strtoull(text, &end, 10);
  return (end != text && *end == '\0' && value > 0) ? static_cast<size_t>(value) : fallback;
}

}  // namespace

int main(int argc, char** argv) {
  // Optional: MiB copied per iteration, iterations (defaults fit any GPU with 2 GiB free).
  size_t copy_mib = parse_size(argc > 1 ? argv[1] : nullptr, 512);
  int iterations = static_cast<int>(parse_size(argc > 2 ? argv[2] : nullptr, 50));
  try {
    std::string overheads = host_overheads(2000);
    std::string query = device_query(0);
    std::string add = vector_add_check(size_t{1} << 24);
    std::string copy = copy_bandwidth(copy_mib << 20, iterations);
    std::printf("{\"ok\":true,%s,%s,%s,%s}\n", query.c_str(), overheads.c_str(), add.c_str(),
                copy.c_str());
    return 0;
  } catch (const Failure& failure) {
    std::printf("{\"ok\":false,\"error\":%s}\n", json_string(failure.message).c_str());
    return 1;
  }
}
