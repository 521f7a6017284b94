#pragma once
// What a fuzz target checks beyond crashes: a broken promise traps, so libFuzzer keeps the
// input that broke it.
inline void require(bool condition) {
  if (!condition) __builtin_trap();
}
