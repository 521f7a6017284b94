#pragma once
// The deleter that lets std::unique_ptr own a C library's handle:
//   using Repository = std::unique_ptr<git_repository, Release<git_repository_free>>;
namespace task {

template <auto Fn>
struct Release {
  template <class T>
  void operator()(T* p) const { Fn(p); }
};

}  // namespace task
