// The resolver behind the lazy-loading stubs (see cmake/lazy_libs.cmake): on the first
// call of a library function, load its library and patch the function's slot so later
// calls jump straight to it.
#include <dlfcn.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <mutex>

struct TaskLazySymbol {
  const char* name;
  int library;
};

extern "C" {
extern const char* const task_lazy_libraries[];
extern const TaskLazySymbol task_lazy_symbols[];
extern const std::size_t task_lazy_symbol_count;
extern const std::size_t task_lazy_library_count;
extern void* task_lazy_slots[];
void* task_lazy_resolve(unsigned index);
}

namespace {

[[noreturn]] void cannot_load(const char* what, const char* why) {
  std::fprintf(stderr,
               "task: cannot load %s: %s\n"
               "  hint: install task's runtime libraries (scripts/install-deps.sh)\n",
               what, why != nullptr ? why : "unknown error");
  std::_Exit(1);
}

}  // namespace

extern "C" void* task_lazy_resolve(unsigned index) {
  static std::mutex mutex;
  static void* handles[16] = {};
  std::lock_guard lock(mutex);
  if (index >= task_lazy_symbol_count) std::abort();
  const TaskLazySymbol& symbol = task_lazy_symbols[index];
  const auto library = static_cast<std::size_t>(symbol.library);
  if (library >= task_lazy_library_count || library >= sizeof handles / sizeof *handles) std::abort();
  void*& handle = handles[library];
  if (handle == nullptr) {
    handle = dlopen(task_lazy_libraries[library], RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) cannot_load(task_lazy_libraries[library], dlerror());
  }
  void* function = dlsym(handle, symbol.name);
  if (function == nullptr) cannot_load(symbol.name, dlerror());
  __atomic_store_n(&task_lazy_slots[index], function, __ATOMIC_RELEASE);
  return function;
}
