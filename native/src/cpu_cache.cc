// A caching CPU allocator for large blocks. libtorch's default CPU allocator hands big
// requests to malloc, which maps them fresh and unmaps them on free (glibc's mmap threshold
// cannot exceed 32 MiB), so every training step pays a page fault per 4 KiB of each large
// activation — measured here as ~20 ms per 64 MiB tensor. Freed blocks of ≥ 1 MiB are kept per
// size and reused (like the CUDA caching allocator), up to a cap; `emptyCache()` returns them.
#include <mutex>
#include <unordered_map>
#include <vector>

#include <c10/core/CPUAllocator.h>

#include "engine.h"

namespace autosnn {
namespace {

constexpr size_t kMinCached = size_t(1) << 20;      // smaller blocks stay with malloc
constexpr size_t kGranule = size_t(64) << 10;       // sizes rounded up so buckets are shared
constexpr size_t kMaxCachedBytes = size_t(4) << 30;  // beyond this, frees go back to the OS
constexpr size_t kAlignment = 64;

struct Pool {
  std::mutex mutex;
  std::unordered_map<size_t, std::vector<void*>> free_blocks;  // by rounded size
  std::unordered_map<void*, size_t> sizes;                      // live and cached blocks
  size_t cached_bytes = 0;
};

Pool& pool() {
  static Pool* instance = new Pool();  // never destroyed: tensors may outlive static teardown
  return *instance;
}

void release_block(void* ptr) {
  if (!ptr) return;
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mutex);
  auto it = p.sizes.find(ptr);
  const size_t size = it == p.sizes.end() ? 0 : it->second;  // 0: a small block
  if (size == 0 || p.cached_bytes + size > kMaxCachedBytes) {
    if (it != p.sizes.end()) p.sizes.erase(it);
    std::free(ptr);
    return;
  }
  p.free_blocks[size].push_back(ptr);
  p.cached_bytes += size;
}

void free_small(void* ptr) { std::free(ptr); }

void* aligned_block(size_t size) {
  void* ptr = nullptr;
  if (posix_memalign(&ptr, kAlignment, size == 0 ? kAlignment : size) != 0) return nullptr;
  return ptr;
}

class CachingCpuAllocator final : public c10::Allocator {
 public:
  // The raw interface (raw_allocate/raw_deallocate, used inside oneDNN) frees any block
  // through one function: release_block caches large blocks and frees the rest.
  c10::DeleterFnPtr raw_deleter() const override { return &release_block; }

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 3)
  c10::DataPtr allocate(size_t n) override { return allocate_impl(n); }
  void copy_data(void* dest, const void* src, std::size_t count) const override {
    std::memcpy(dest, src, count);
  }
#else
  c10::DataPtr allocate(size_t n) const override { return allocate_impl(n); }
#endif

 private:
  c10::DataPtr allocate_impl(size_t n) const {
    if (n < kMinCached) {
      void* small = aligned_block(n);
      if (!small) throw std::bad_alloc();
      return {small, small, &free_small, c10::Device(c10::DeviceType::CPU)};
    }
    const size_t size = (n + kGranule - 1) / kGranule * kGranule;
    Pool& p = pool();
    void* ptr = nullptr;
    {
      std::lock_guard<std::mutex> lock(p.mutex);
      auto it = p.free_blocks.find(size);
      if (it != p.free_blocks.end() && !it->second.empty()) {
        ptr = it->second.back();
        it->second.pop_back();
        p.cached_bytes -= size;
      }
    }
    if (!ptr) {
      ptr = aligned_block(size);
      if (!ptr) {
        empty_cpu_cache();  // give cached blocks back, then try once more
        ptr = aligned_block(size);
        if (!ptr) throw std::bad_alloc();
      }
      std::lock_guard<std::mutex> lock(p.mutex);
      p.sizes[ptr] = size;
    }
    return {ptr, ptr, &release_block, c10::Device(c10::DeviceType::CPU)};
  }
};

Napi::Value cpu_cache_stats(const Napi::CallbackInfo& info) {
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mutex);
  return Napi::Number::New(info.Env(), static_cast<double>(p.cached_bytes));
}

Napi::Value empty_cache(const Napi::CallbackInfo& info) {
  empty_cpu_cache();
  return info.Env().Undefined();
}

}  // namespace

void empty_cpu_cache() {
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mutex);
  for (auto& [size, blocks] : p.free_blocks) {
    for (void* ptr : blocks) {
      p.sizes.erase(ptr);
      std::free(ptr);
    }
  }
  p.free_blocks.clear();
  p.cached_bytes = 0;
}

void install_cpu_cache() {
  // AUTOSNN_CPU_CACHE=0 keeps libtorch's own allocator (for comparisons).
  const char* setting = std::getenv("AUTOSNN_CPU_CACHE");
  if (setting && std::string(setting) == "0") return;
  static CachingCpuAllocator* allocator = new CachingCpuAllocator();
  c10::SetCPUAllocator(allocator, /*priority=*/1);
}

void register_cpu_cache(Napi::Env env, Napi::Object exports) {
  define(env, exports, "cpuCachedBytes", cpu_cache_stats);
  define(env, exports, "emptyCache", empty_cache);
}

}  // namespace autosnn
