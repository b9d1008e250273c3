// The error guard every native function runs inside: no input from JS may crash the
// process, and every failure names the op and what it was given.
#include <sstream>

#include "engine.h"

namespace autosnn {
namespace {

struct OpEntry {
  const char* name;
  NativeFn fn;
};

std::string describe_value(const Napi::Value& value, int depth = 0) {
  if (TensorBox* box = box_of(value)) {
    return box->live ? describe_tensor(box->tensor) : std::string("disposed tensor");
  }
  if (value.IsNumber()) {
    std::ostringstream out;
    out << value.As<Napi::Number>().DoubleValue();
    return out.str();
  }
  if (value.IsBoolean()) return value.As<Napi::Boolean>().Value() ? "true" : "false";
  if (value.IsString()) return "'" + value.As<Napi::String>().Utf8Value() + "'";
  if (value.IsUndefined()) return "undefined";
  if (value.IsNull()) return "null";
  if (value.IsTypedArray()) {
    auto array = value.As<Napi::TypedArray>();
    return "typed array(" + std::to_string(array.ElementLength()) + ")";
  }
  if (value.IsArray()) {
    if (depth > 1) return "[…]";
    auto array = value.As<Napi::Array>();
    std::string out = "[";
    const uint32_t n = array.Length();
    for (uint32_t i = 0; i < n && i < 8; ++i) {
      if (i) out += ", ";
      out += describe_value(array.Get(i), depth + 1);
    }
    if (n > 8) out += ", … (" + std::to_string(n) + " items)";
    return out + "]";
  }
  if (value.IsExternal()) return "foreign handle";
  if (value.IsFunction()) return "function";
  return "object";
}

std::string describe_inputs(const Napi::CallbackInfo& info) {
  std::string out;
  for (size_t i = 0; i < info.Length(); ++i) {
    if (i) out += ", ";
    out += describe_value(info[i]);
  }
  return out;
}

// libtorch messages can run over several lines (hints, stack of calls); the first
// paragraph says what went wrong.
std::string trim_message(std::string message) {
  while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
    message.pop_back();
  return message;
}

Napi::Value guarded(const Napi::CallbackInfo& info) {
  const auto* entry = static_cast<const OpEntry*>(info.Data());
  Napi::Env env = info.Env();
  std::string message;
  const char* kind = "Error";
  try {
    return entry->fn(info);
  } catch (const Napi::Error&) {
    throw;  // already a JS error with its own message
  } catch (const ArgError& e) {
    message = e.what();
    kind = e.range ? "RangeError" : "TypeError";
  } catch (const c10::Error& e) {
    message = trim_message(e.what_without_backtrace());
  } catch (const std::exception& e) {
    message = trim_message(e.what());
  }
  std::string full = std::string(entry->name) + ": " + message + " (inputs: " +
                     describe_inputs(info) + ")";
  Napi::Error error = std::string(kind) == "TypeError"    ? Napi::TypeError::New(env, full)
                      : std::string(kind) == "RangeError" ? Napi::RangeError::New(env, full)
                                                          : Napi::Error::New(env, full);
  error.Set("op", Napi::String::New(env, entry->name));
  error.Set("code", Napi::String::New(env, "AUTOSNN_ENGINE"));
  throw error;
}

}  // namespace

void define(Napi::Env env, Napi::Object exports, const char* name, NativeFn fn) {
  // Entries live for the life of the process, like the module's exports.
  auto* entry = new OpEntry{name, fn};
  exports.Set(name, Napi::Function::New(env, guarded, name, entry));
}

}  // namespace autosnn
