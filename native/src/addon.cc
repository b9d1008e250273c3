// Module entry point of the engine addon.
#include "engine.h"

namespace autosnn {

Napi::Object init(Napi::Env env, Napi::Object exports) {
  install_cpu_cache();
  register_core(env, exports);
  register_creation(env, exports);
  register_elementwise(env, exports);
  register_reduction(env, exports);
  register_shape(env, exports);
  register_nn(env, exports);
  register_autograd(env, exports);
  register_optim(env, exports);
  register_neuron(env, exports);
  register_cpu_cache(env, exports);
  register_amp(env, exports);
  register_cuda(env, exports);
  return exports;
}

}  // namespace autosnn

static Napi::Object InitEngine(Napi::Env env, Napi::Object exports) {
  return autosnn::init(env, exports);
}

NODE_API_MODULE(autosnn_engine, InitEngine)
