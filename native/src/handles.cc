// Tensor handles: wrap an at::Tensor for JS, find it again, release it deterministically.
#include <unordered_set>

#include "engine.h"

namespace autosnn {
namespace {

// Tags the Externals this addon creates, so an External from elsewhere (or a forged
// object) is rejected instead of being reinterpreted as a tensor.
const napi_type_tag kTensorTag = {0x6175746f736e6e21ULL, 0x74656e736f720001ULL};

TensorBox* g_first = nullptr;
int64_t g_live = 0;

void link(TensorBox* box) {
  box->next = g_first;
  if (g_first) g_first->prev = box;
  g_first = box;
  ++g_live;
}

void unlink(TensorBox* box) {
  if (box->prev) box->prev->next = box->next;
  if (box->next) box->next->prev = box->prev;
  if (g_first == box) g_first = box->next;
  box->prev = box->next = nullptr;
  --g_live;
}

}  // namespace

Napi::Value wrap(Napi::Env env, at::Tensor tensor) {
  auto* box = new TensorBox{std::move(tensor)};
  link(box);
  // The finalizer is the safety net for handles the JS side never disposed: it runs when
  // the GC collects the External. Deterministic release goes through `release`.
  auto external = Napi::External<TensorBox>::New(env, box, [](Napi::Env, TensorBox* b) {
    if (b->live) unlink(b);
    delete b;
  });
  napi_status status = napi_type_tag_object(env, external, &kTensorTag);
  if (status != napi_ok) throw std::runtime_error("could not tag a tensor handle");
  return external;
}

TensorBox* box_of(const Napi::Value& value) {
  if (!value.IsExternal()) return nullptr;
  bool tagged = false;
  napi_status status = napi_check_object_type_tag(value.Env(), value, &kTensorTag, &tagged);
  if (status != napi_ok || !tagged) return nullptr;
  return value.As<Napi::External<TensorBox>>().Data();
}

bool is_tensor_handle(const Napi::Value& value) { return box_of(value) != nullptr; }

void release(TensorBox* box) {
  if (!box->live) return;  // idempotent
  box->live = false;
  box->tensor = at::Tensor();  // drops this handle's reference now, not at GC time
  unlink(box);
}

LiveStats live_stats() {
  // Views share a storage: count each storage once.
  std::unordered_set<const void*> seen;
  int64_t bytes = 0;
  for (TensorBox* b = g_first; b; b = b->next) {
    if (!b->tensor.defined() || !b->tensor.has_storage()) continue;
    const void* impl = b->tensor.storage().unsafeGetStorageImpl();
    if (seen.insert(impl).second) bytes += static_cast<int64_t>(b->tensor.storage().nbytes());
  }
  return {g_live, bytes};
}

}  // namespace autosnn
