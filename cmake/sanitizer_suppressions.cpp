// Leaks in system libraries that LeakSanitizer would otherwise blame on task, compiled
// into every sanitized executable (LeakSanitizer asks for this hook at start-up).
//
// libgit2 1.5's git_regexp_match() never frees its PCRE2 match data when a pattern does
// not match; every remote (its url.*.insteadOf lookup) and many config look-ups go through it.
extern "C" const char* __lsan_default_suppressions();
extern "C" const char* __lsan_default_suppressions() {
  // By module: the system libraries have no frame pointers, so a fast unwind of the
  // allocation's stack stops inside PCRE2 and never shows libgit2's function names.
  return "leak:libpcre2-8.so\n";
}

// Without this, every run would end with a table of the suppressions used on stderr.
extern "C" const char* __lsan_default_options();
extern "C" const char* __lsan_default_options() { return "print_suppressions=0"; }
