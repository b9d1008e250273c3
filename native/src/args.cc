// Readers for arguments coming from JS. Each one checks what it reads and throws ArgError
// with the argument's name, so a wrong call is explained rather than handed to libtorch.
#include <cmath>
#include <sstream>

#include "engine.h"

namespace autosnn {
namespace {

constexpr double kMaxSafeInteger = 9007199254740991.0;

Napi::Value at_or_undefined(const Napi::CallbackInfo& info, size_t i) {
  return i < info.Length() ? info[i] : info.Env().Undefined();
}

int64_t to_int(const Napi::Value& value, const char* name) {
  if (!value.IsNumber()) throw ArgError(std::string(name) + " must be an integer number");
  double d = value.As<Napi::Number>().DoubleValue();
  if (std::isnan(d)) throw ArgError(std::string(name) + " must be an integer, got NaN", true);
  if (!std::isfinite(d) || std::fabs(d) > kMaxSafeInteger || std::floor(d) != d) {
    std::ostringstream out;
    out << name << " must be an integer, got " << d;
    throw ArgError(out.str(), true);
  }
  return static_cast<int64_t>(d);
}

}  // namespace

bool is_absent(const Napi::CallbackInfo& info, size_t i) {
  return i >= info.Length() || info[i].IsUndefined() || info[i].IsNull();
}

const at::Tensor& tensor_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value value = at_or_undefined(info, i);
  TensorBox* box = box_of(value);
  if (!box) throw ArgError(std::string(name) + " must be a tensor");
  if (!box->live) throw ArgError(std::string(name) + " is a disposed tensor");
  return box->tensor;
}

std::optional<at::Tensor> optional_tensor_arg(const Napi::CallbackInfo& info, size_t i,
                                              const char* name) {
  if (is_absent(info, i)) return std::nullopt;
  return tensor_arg(info, i, name);
}

std::vector<at::Tensor> tensor_list_arg(const Napi::CallbackInfo& info, size_t i,
                                        const char* name) {
  Napi::Value value = at_or_undefined(info, i);
  if (!value.IsArray()) throw ArgError(std::string(name) + " must be an array of tensors");
  auto array = value.As<Napi::Array>();
  std::vector<at::Tensor> out;
  out.reserve(array.Length());
  for (uint32_t k = 0; k < array.Length(); ++k) {
    TensorBox* box = box_of(array.Get(k));
    std::string item = std::string(name) + "[" + std::to_string(k) + "]";
    if (!box) throw ArgError(item + " must be a tensor");
    if (!box->live) throw ArgError(item + " is a disposed tensor");
    out.push_back(box->tensor);
  }
  return out;
}

int64_t int_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  return to_int(at_or_undefined(info, i), name);
}

std::optional<int64_t> optional_int_arg(const Napi::CallbackInfo& info, size_t i,
                                        const char* name) {
  if (is_absent(info, i)) return std::nullopt;
  return int_arg(info, i, name);
}

double double_arg(const Napi::CallbackInfo& info, size_t i, const char* name, bool allow_nan) {
  Napi::Value value = at_or_undefined(info, i);
  if (!value.IsNumber()) throw ArgError(std::string(name) + " must be a number");
  double d = value.As<Napi::Number>().DoubleValue();
  if (std::isnan(d) && !allow_nan) throw ArgError(std::string(name) + " must not be NaN", true);
  return d;
}

std::optional<double> optional_double_arg(const Napi::CallbackInfo& info, size_t i,
                                          const char* name) {
  if (is_absent(info, i)) return std::nullopt;
  return double_arg(info, i, name);
}

bool bool_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value value = at_or_undefined(info, i);
  if (!value.IsBoolean()) throw ArgError(std::string(name) + " must be a boolean");
  return value.As<Napi::Boolean>().Value();
}

std::string string_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value value = at_or_undefined(info, i);
  if (!value.IsString()) throw ArgError(std::string(name) + " must be a string");
  return value.As<Napi::String>().Utf8Value();
}

std::vector<int64_t> int_list_arg(const Napi::CallbackInfo& info, size_t i, const char* name,
                                  bool non_negative) {
  Napi::Value value = at_or_undefined(info, i);
  if (value.IsNumber()) {  // a single number stands for a one-element list
    int64_t v = to_int(value, name);
    if (non_negative && v < 0)
      throw ArgError(std::string(name) + " must not be negative, got " + std::to_string(v), true);
    return {v};
  }
  if (!value.IsArray()) throw ArgError(std::string(name) + " must be an array of integers");
  auto array = value.As<Napi::Array>();
  std::vector<int64_t> out;
  out.reserve(array.Length());
  for (uint32_t k = 0; k < array.Length(); ++k) {
    std::string item = std::string(name) + "[" + std::to_string(k) + "]";
    int64_t v = to_int(array.Get(k), item.c_str());
    if (non_negative && v < 0)
      throw ArgError(item + " must not be negative, got " + std::to_string(v), true);
    out.push_back(v);
  }
  return out;
}

std::optional<std::vector<int64_t>> optional_int_list_arg(const Napi::CallbackInfo& info,
                                                          size_t i, const char* name) {
  if (is_absent(info, i)) return std::nullopt;
  return int_list_arg(info, i, name);
}

namespace {
struct DTypeName {
  const char* name;
  at::ScalarType type;
};
const DTypeName kDTypes[] = {
    {"float32", at::kFloat}, {"float64", at::kDouble}, {"float16", at::kHalf},
    {"bfloat16", at::kBFloat16}, {"int64", at::kLong}, {"int32", at::kInt},
    {"uint8", at::kByte},    {"bool", at::kBool},
};
}  // namespace

const char* dtype_name(at::ScalarType type) {
  for (const auto& d : kDTypes)
    if (d.type == type) return d.name;
  return c10::toString(type);
}

at::ScalarType dtype_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  std::string s = string_arg(info, i, name);
  for (const auto& d : kDTypes)
    if (s == d.name) return d.type;
  throw ArgError(std::string(name) + ": unknown dtype '" + s +
                 "' (expected float32, float64, float16, bfloat16, int64, int32, uint8 or bool)");
}

std::optional<at::ScalarType> optional_dtype_arg(const Napi::CallbackInfo& info, size_t i,
                                                 const char* name) {
  if (is_absent(info, i)) return std::nullopt;
  return dtype_arg(info, i, name);
}

std::string device_name(const c10::Device& device) {
  if (device.is_cpu()) return "cpu";
  std::string out = c10::DeviceTypeName(device.type(), /*lower_case=*/true);
  return device.has_index() ? out + ":" + std::to_string(device.index()) : out;
}

c10::Device device_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  std::string s = string_arg(info, i, name);
  std::optional<c10::Device> device;
  try {
    device.emplace(s);
  } catch (const c10::Error&) {
    throw ArgError(std::string(name) + ": bad device '" + s +
                   "' (expected 'cpu', 'cuda' or 'cuda:N')");
  }
  if (device->is_cuda()) {
    const int64_t count = torch::cuda::device_count();
    if (count == 0)
      throw ArgError(std::string(name) + ": device '" + s +
                     "' asked for, but CUDA is not available (this libtorch build or machine "
                     "has no CUDA GPU)");
    if (!device->has_index()) device.emplace(c10::DeviceType::CUDA, 0);
    if (device->index() >= count)
      throw ArgError(std::string(name) + ": device '" + s + "' does not exist (" +
                         std::to_string(count) + " CUDA device(s))",
                     true);
  } else if (!device->is_cpu()) {
    throw ArgError(std::string(name) + ": device '" + s + "' is not supported (cpu or cuda)");
  }
  return *device;
}

std::optional<c10::Device> optional_device_arg(const Napi::CallbackInfo& info, size_t i,
                                               const char* name) {
  if (is_absent(info, i)) return std::nullopt;
  return device_arg(info, i, name);
}

// JS has one number type. A whole number becomes an integer Scalar, as a Python int would,
// so int64 tensors stay int64 (labels.sub(1)); anything else is a double. Float tensors
// are unaffected either way.
at::Scalar number_scalar(double d) {
  if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) <= kMaxSafeInteger)
    return at::Scalar(static_cast<int64_t>(d));
  return at::Scalar(d);
}

at::Scalar scalar_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value value = at_or_undefined(info, i);
  if (value.IsBoolean()) return at::Scalar(value.As<Napi::Boolean>().Value());
  if (value.IsNumber()) return number_scalar(value.As<Napi::Number>().DoubleValue());
  throw ArgError(std::string(name) + " must be a number, a boolean or a tensor");
}

std::string describe_tensor(const at::Tensor& tensor) {
  if (!tensor.defined()) return "undefined tensor";
  std::string out = "tensor[";
  auto sizes = tensor.sizes();
  for (size_t k = 0; k < sizes.size(); ++k) {
    if (k) out += ",";
    out += std::to_string(sizes[k]);
  }
  return out + "] " + dtype_name(tensor.scalar_type()) + " " + device_name(tensor.device());
}

}  // namespace autosnn
