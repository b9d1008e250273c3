// Neural-network ops: convolution, linear, batch norm, pooling, dropout, softmax, losses.
#include <ATen/core/Reduction.h>

#include "engine.h"

namespace autosnn {
namespace {

std::vector<int64_t> list_or(const Napi::CallbackInfo& info, size_t i, const char* name,
                             std::vector<int64_t> fallback, bool non_negative = true) {
  if (is_absent(info, i)) return fallback;
  return int_list_arg(info, i, name, non_negative);
}

int64_t reduction_arg(const Napi::CallbackInfo& info, size_t i) {
  if (is_absent(info, i)) return at::Reduction::Mean;
  std::string r = string_arg(info, i, "reduction");
  if (r == "mean") return at::Reduction::Mean;
  if (r == "sum") return at::Reduction::Sum;
  if (r == "none") return at::Reduction::None;
  throw ArgError("reduction must be 'mean', 'sum' or 'none', got '" + r + "'");
}

// conv2d(input, weight, bias?, stride, padding, dilation, groups)
Napi::Value conv2d(const Napi::CallbackInfo& info) {
  const at::Tensor& x = tensor_arg(info, 0, "input");
  const at::Tensor& w = tensor_arg(info, 1, "weight");
  auto b = optional_tensor_arg(info, 2, "bias");
  auto stride = list_or(info, 3, "stride", {1, 1});
  auto padding = list_or(info, 4, "padding", {0, 0});
  auto dilation = list_or(info, 5, "dilation", {1, 1});
  int64_t groups = is_absent(info, 6) ? 1 : int_arg(info, 6, "groups");
  if (groups < 1) throw ArgError("groups must be at least 1", true);
  for (int64_t s : stride)
    if (s < 1) throw ArgError("stride must be at least 1", true);
  for (int64_t d : dilation)
    if (d < 1) throw ArgError("dilation must be at least 1", true);
  return wrap(info.Env(), at::conv2d(x, w, b ? *b : at::Tensor(), stride, padding, dilation,
                                     groups));
}

// linear(input, weight [out, in], bias?)
Napi::Value linear(const Napi::CallbackInfo& info) {
  const at::Tensor& x = tensor_arg(info, 0, "input");
  const at::Tensor& w = tensor_arg(info, 1, "weight");
  auto b = optional_tensor_arg(info, 2, "bias");
  return wrap(info.Env(), at::linear(x, w, b ? *b : at::Tensor()));
}

// batchNorm(input, weight?, bias?, runningMean?, runningVar?, training, momentum, eps)
// In training mode the running statistics, when given, are updated in place.
Napi::Value batch_norm(const Napi::CallbackInfo& info) {
  const at::Tensor& x = tensor_arg(info, 0, "input");
  auto w = optional_tensor_arg(info, 1, "weight");
  auto b = optional_tensor_arg(info, 2, "bias");
  auto rm = optional_tensor_arg(info, 3, "runningMean");
  auto rv = optional_tensor_arg(info, 4, "runningVar");
  bool training = bool_arg(info, 5, "training");
  double momentum = double_arg(info, 6, "momentum");
  double eps = double_arg(info, 7, "eps");
  if (!training && (!rm || !rv))
    throw ArgError("batchNorm in eval mode needs runningMean and runningVar");
  if (eps <= 0) throw ArgError("eps must be positive", true);
  return wrap(info.Env(),
              at::batch_norm(x, w ? *w : at::Tensor(), b ? *b : at::Tensor(),
                             rm ? *rm : at::Tensor(), rv ? *rv : at::Tensor(), training,
                             momentum, eps, /*cudnn_enabled=*/true));
}

// maxPool2d(input, kernel, stride?, padding, dilation, ceilMode)
Napi::Value max_pool2d(const Napi::CallbackInfo& info) {
  const at::Tensor& x = tensor_arg(info, 0, "input");
  auto kernel = int_list_arg(info, 1, "kernel", true);
  auto stride = list_or(info, 2, "stride", kernel);
  auto padding = list_or(info, 3, "padding", {0, 0});
  auto dilation = list_or(info, 4, "dilation", {1, 1});
  bool ceil_mode = is_absent(info, 5) ? false : bool_arg(info, 5, "ceilMode");
  return wrap(info.Env(), at::max_pool2d(x, kernel, stride, padding, dilation, ceil_mode));
}

// avgPool2d(input, kernel, stride?, padding, ceilMode, countIncludePad)
Napi::Value avg_pool2d(const Napi::CallbackInfo& info) {
  const at::Tensor& x = tensor_arg(info, 0, "input");
  auto kernel = int_list_arg(info, 1, "kernel", true);
  auto stride = list_or(info, 2, "stride", kernel);
  auto padding = list_or(info, 3, "padding", {0, 0});
  bool ceil_mode = is_absent(info, 4) ? false : bool_arg(info, 4, "ceilMode");
  bool count_include_pad = is_absent(info, 5) ? true : bool_arg(info, 5, "countIncludePad");
  return wrap(info.Env(),
              at::avg_pool2d(x, kernel, stride, padding, ceil_mode, count_include_pad));
}

// avgPool1d(input [N, C, L], kernel, stride?, padding)
Napi::Value avg_pool1d(const Napi::CallbackInfo& info) {
  const at::Tensor& x = tensor_arg(info, 0, "input");
  auto kernel = int_list_arg(info, 1, "kernel", true);
  auto stride = list_or(info, 2, "stride", kernel);
  auto padding = list_or(info, 3, "padding", {0});
  return wrap(info.Env(), at::avg_pool1d(x, kernel, stride, padding));
}

Napi::Value adaptive_avg_pool2d(const Napi::CallbackInfo& info) {
  const at::Tensor& x = tensor_arg(info, 0, "input");
  auto size = int_list_arg(info, 1, "outputSize", true);
  return wrap(info.Env(), at::adaptive_avg_pool2d(x, size));
}

Napi::Value dropout(const Napi::CallbackInfo& info) {
  const at::Tensor& x = tensor_arg(info, 0, "input");
  double p = double_arg(info, 1, "p");
  if (p < 0 || p > 1) throw ArgError("p must be in [0, 1]", true);
  bool training = bool_arg(info, 2, "training");
  return wrap(info.Env(), at::dropout(x, p, training));
}

Napi::Value softmax(const Napi::CallbackInfo& info) {
  const at::Tensor& x = tensor_arg(info, 0, "input");
  return wrap(info.Env(), at::softmax(x, int_arg(info, 1, "dim")));
}

Napi::Value log_softmax(const Napi::CallbackInfo& info) {
  const at::Tensor& x = tensor_arg(info, 0, "input");
  return wrap(info.Env(), at::log_softmax(x, int_arg(info, 1, "dim")));
}

Napi::Value mse_loss(const Napi::CallbackInfo& info) {
  const at::Tensor& a = tensor_arg(info, 0, "input");
  const at::Tensor& b = tensor_arg(info, 1, "target");
  if (a.sizes() != b.sizes())
    throw ArgError("input and target must have the same shape", true);
  return wrap(info.Env(), at::mse_loss(a, b, reduction_arg(info, 2)));
}

// crossEntropy(logits [N, C], target: class indices [N] (int64) or probabilities [N, C],
//              reduction, labelSmoothing)
Napi::Value cross_entropy(const Napi::CallbackInfo& info) {
  const at::Tensor& logits = tensor_arg(info, 0, "input");
  const at::Tensor& target = tensor_arg(info, 1, "target");
  int64_t reduction = reduction_arg(info, 2);
  double smoothing = is_absent(info, 3) ? 0.0 : double_arg(info, 3, "labelSmoothing");
  if (smoothing < 0 || smoothing > 1) throw ArgError("labelSmoothing must be in [0, 1]", true);
  if (!at::isFloatingType(target.scalar_type()) && target.scalar_type() != at::kLong)
    throw ArgError(std::string("target must hold int64 class indices or float probabilities, "
                               "got ") +
                   dtype_name(target.scalar_type()));
  if (target.scalar_type() == at::kLong && target.numel() > 0 && logits.dim() >= 1) {
    // Out-of-range class indices are an assertion deep in the kernel; check them here.
    const int64_t classes = logits.dim() == 1 ? logits.size(0) : logits.size(1);
    const int64_t lo = target.min().item<int64_t>();
    const int64_t hi = target.max().item<int64_t>();
    if (lo < 0 || hi >= classes)
      throw ArgError("target class indices must be in [0, " + std::to_string(classes) +
                         "), got range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]",
                     true);
  }
  return wrap(info.Env(), at::cross_entropy_loss(logits, target, at::Tensor(), reduction,
                                                 /*ignore_index=*/-100, smoothing));
}

Napi::Value one_hot(const Napi::CallbackInfo& info) {
  const at::Tensor& x = tensor_arg(info, 0, "input");
  int64_t classes = int_arg(info, 1, "numClasses");
  if (classes < 1) throw ArgError("numClasses must be at least 1", true);
  if (x.scalar_type() != at::kLong) throw ArgError("oneHot needs an int64 tensor of indices");
  if (x.numel() > 0) {
    const int64_t lo = x.min().item<int64_t>();
    const int64_t hi = x.max().item<int64_t>();
    if (lo < 0 || hi >= classes)
      throw ArgError("indices must be in [0, " + std::to_string(classes) + ")", true);
  }
  return wrap(info.Env(), at::one_hot(x, classes));
}

}  // namespace

void register_nn(Napi::Env env, Napi::Object exports) {
  define(env, exports, "conv2d", conv2d);
  define(env, exports, "linear", linear);
  define(env, exports, "batchNorm", batch_norm);
  define(env, exports, "maxPool2d", max_pool2d);
  define(env, exports, "avgPool2d", avg_pool2d);
  define(env, exports, "avgPool1d", avg_pool1d);
  define(env, exports, "adaptiveAvgPool2d", adaptive_avg_pool2d);
  define(env, exports, "dropout", dropout);
  define(env, exports, "softmax", softmax);
  define(env, exports, "logSoftmax", log_softmax);
  define(env, exports, "mseLoss", mse_loss);
  define(env, exports, "crossEntropy", cross_entropy);
  define(env, exports, "oneHot", one_hot);
}

}  // namespace autosnn
