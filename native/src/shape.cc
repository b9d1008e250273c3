// Shape and indexing: reshape/view, permute, transpose, flatten, (un)squeeze, cat, stack,
// expand, narrow, slice, index_select, gather, pad, repeat.
#include "engine.h"

namespace autosnn {
namespace {

Napi::Value reshape(const Napi::CallbackInfo& info) {
  const at::Tensor& x = tensor_arg(info, 0, "input");
  return wrap(info.Env(), x.reshape(int_list_arg(info, 1, "shape")));
}

Napi::Value view(const Napi::CallbackInfo& info) {
  const at::Tensor& x = tensor_arg(info, 0, "input");
  return wrap(info.Env(), x.view(int_list_arg(info, 1, "shape")));
}

Napi::Value permute(const Napi::CallbackInfo& info) {
  const at::Tensor& x = tensor_arg(info, 0, "input");
  return wrap(info.Env(), x.permute(int_list_arg(info, 1, "dims")));
}

Napi::Value transpose(const Napi::CallbackInfo& info) {
  const at::Tensor& x = tensor_arg(info, 0, "input");
  return wrap(info.Env(), x.transpose(int_arg(info, 1, "dim0"), int_arg(info, 2, "dim1")));
}

Napi::Value flatten(const Napi::CallbackInfo& info) {
  const at::Tensor& x = tensor_arg(info, 0, "input");
  int64_t start = is_absent(info, 1) ? 0 : int_arg(info, 1, "startDim");
  int64_t end = is_absent(info, 2) ? -1 : int_arg(info, 2, "endDim");
  return wrap(info.Env(), x.flatten(start, end));
}

Napi::Value unsqueeze(const Napi::CallbackInfo& info) {
  const at::Tensor& x = tensor_arg(info, 0, "input");
  return wrap(info.Env(), x.unsqueeze(int_arg(info, 1, "dim")));
}

Napi::Value squeeze(const Napi::CallbackInfo& info) {
  const at::Tensor& x = tensor_arg(info, 0, "input");
  auto dim = optional_int_arg(info, 1, "dim");
  return wrap(info.Env(), dim ? x.squeeze(*dim) : x.squeeze());
}

Napi::Value cat(const Napi::CallbackInfo& info) {
  auto list = tensor_list_arg(info, 0, "tensors");
  if (list.empty()) throw ArgError("cat needs at least one tensor", true);
  return wrap(info.Env(), at::cat(list, is_absent(info, 1) ? 0 : int_arg(info, 1, "dim")));
}

Napi::Value stack(const Napi::CallbackInfo& info) {
  auto list = tensor_list_arg(info, 0, "tensors");
  if (list.empty()) throw ArgError("stack needs at least one tensor", true);
  return wrap(info.Env(), at::stack(list, is_absent(info, 1) ? 0 : int_arg(info, 1, "dim")));
}

Napi::Value expand(const Napi::CallbackInfo& info) {
  const at::Tensor& x = tensor_arg(info, 0, "input");
  return wrap(info.Env(), x.expand(int_list_arg(info, 1, "shape")));
}

Napi::Value repeat(const Napi::CallbackInfo& info) {
  const at::Tensor& x = tensor_arg(info, 0, "input");
  return wrap(info.Env(), x.repeat(int_list_arg(info, 1, "repeats", true)));
}

// narrow(input, dim, start, length): a view of `length` entries from `start`.
Napi::Value narrow(const Napi::CallbackInfo& info) {
  const at::Tensor& x = tensor_arg(info, 0, "input");
  int64_t length = int_arg(info, 3, "length");
  if (length < 0) throw ArgError("length must not be negative", true);
  return wrap(info.Env(), x.narrow(int_arg(info, 1, "dim"), int_arg(info, 2, "start"), length));
}

// slice(input, dim, start?, end?, step?): Python's x[start:end:step] along dim.
Napi::Value slice(const Napi::CallbackInfo& info) {
  const at::Tensor& x = tensor_arg(info, 0, "input");
  int64_t dim = int_arg(info, 1, "dim");
  auto start = optional_int_arg(info, 2, "start");
  auto end = optional_int_arg(info, 3, "end");
  int64_t step = is_absent(info, 4) ? 1 : int_arg(info, 4, "step");
  if (step <= 0) throw ArgError("step must be positive", true);
  c10::optional<int64_t> s, e;
  if (start) s = *start;
  if (end) e = *end;
  return wrap(info.Env(), x.slice(dim, s, e, step));
}

// Out-of-range indices are a device-side assert on CUDA (which poisons the whole CUDA
// context), so they are checked here, on every device, before the kernel runs.
void check_indices(const at::Tensor& x, int64_t dim, const at::Tensor& index) {
  if (index.scalar_type() != at::kLong && index.scalar_type() != at::kInt)
    throw ArgError(std::string("index must be an int64 or int32 tensor, got ") +
                   dtype_name(index.scalar_type()));
  if (x.dim() == 0) return;  // libtorch explains scalars itself
  const int64_t d = dim < 0 ? dim + x.dim() : dim;
  if (d < 0 || d >= x.dim())
    throw ArgError("dim " + std::to_string(dim) + " is out of range for " + describe_tensor(x),
                   true);
  if (index.numel() == 0) return;
  const int64_t lo = index.min().item<int64_t>();
  const int64_t hi = index.max().item<int64_t>();
  if (lo < 0 || hi >= x.size(d))
    throw ArgError("index values must be in [0, " + std::to_string(x.size(d)) + ") along dim " +
                       std::to_string(dim) + ", got range [" + std::to_string(lo) + ", " +
                       std::to_string(hi) + "]",
                   true);
}

Napi::Value index_select(const Napi::CallbackInfo& info) {
  const at::Tensor& x = tensor_arg(info, 0, "input");
  int64_t dim = int_arg(info, 1, "dim");
  const at::Tensor& index = tensor_arg(info, 2, "index");
  check_indices(x, dim, index);
  return wrap(info.Env(), at::index_select(x, dim, index));
}

Napi::Value gather(const Napi::CallbackInfo& info) {
  const at::Tensor& x = tensor_arg(info, 0, "input");
  int64_t dim = int_arg(info, 1, "dim");
  const at::Tensor& index = tensor_arg(info, 2, "index");
  check_indices(x, dim, index);
  return wrap(info.Env(), at::gather(x, dim, index));
}

// pad(input, pads, mode, value): pads as PyTorch's F.pad lists them (last dim first);
// mode 'constant', 'reflect' or 'replicate' (the latter two for 2-D spatial padding).
Napi::Value pad(const Napi::CallbackInfo& info) {
  const at::Tensor& x = tensor_arg(info, 0, "input");
  auto pads = int_list_arg(info, 1, "pads");
  std::string mode = is_absent(info, 2) ? "constant" : string_arg(info, 2, "mode");
  if (pads.size() % 2 != 0) throw ArgError("pads must have an even length", true);
  if (mode == "constant") {
    double value = is_absent(info, 3) ? 0.0 : double_arg(info, 3, "value", true);
    return wrap(info.Env(), at::constant_pad_nd(x, pads, value));
  }
  if (pads.size() != 4 || (x.dim() != 3 && x.dim() != 4))
    throw ArgError("mode '" + mode + "' pads the last two dims of a 3-D or 4-D input: pads "
                   "must be [left, right, top, bottom]");
  if (mode == "reflect") return wrap(info.Env(), at::reflection_pad2d(x, pads));
  if (mode == "replicate") return wrap(info.Env(), at::replication_pad2d(x, pads));
  throw ArgError("unknown pad mode '" + mode + "' (constant, reflect or replicate)");
}

}  // namespace

void register_shape(Napi::Env env, Napi::Object exports) {
  define(env, exports, "reshape", reshape);
  define(env, exports, "view", view);
  define(env, exports, "permute", permute);
  define(env, exports, "transpose", transpose);
  define(env, exports, "flatten", flatten);
  define(env, exports, "unsqueeze", unsqueeze);
  define(env, exports, "squeeze", squeeze);
  define(env, exports, "cat", cat);
  define(env, exports, "stack", stack);
  define(env, exports, "expand", expand);
  define(env, exports, "repeat", repeat);
  define(env, exports, "narrow", narrow);
  define(env, exports, "slice", slice);
  define(env, exports, "indexSelect", index_select);
  define(env, exports, "gather", gather);
  define(env, exports, "pad", pad);
}

}  // namespace autosnn
