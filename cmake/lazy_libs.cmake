# Load the heavy platform libraries (libgit2, libcurl, SQLite, libarchive and the forty
# libraries they pull in) on first use instead of at start-up, so that `task version`,
# `task --help`, completion and `task schedule` start in a couple of milliseconds.
#
# The `task` executable is linked against generated stubs instead of those libraries: each
# function task calls gets a tiny stub that jumps through a slot; the slot first points to
# a resolver that dlopen()s the library by its soname, looks the function up and patches
# the slot. The stubs are generated at build time from the symbols libtask really uses, so
# they never drift from the code. x86-64 Linux only; elsewhere the libraries are linked as
# usual (TASK_LAZY_LIBS=OFF).

# task_platform_libs: the libraries, linked for real by the tests and by a non-lazy build.
add_library(task_platform_libs INTERFACE)
target_link_libraries(task_platform_libs INTERFACE
  PkgConfig::LIBGIT2 CURL::libcurl SQLite::SQLite3 LibArchive::LibArchive)

if(TASK_LAZY_LIBS AND NOT CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  message(STATUS "TASK_LAZY_LIBS is only for x86-64; linking the libraries as usual")
  set(TASK_LAZY_LIBS OFF)
endif()

if(TASK_LAZY_LIBS)
  enable_language(ASM)
endif()

function(task_soname out library_file)
  execute_process(COMMAND ${CMAKE_OBJDUMP} -p ${library_file}
                  OUTPUT_VARIABLE dump RESULT_VARIABLE rc ERROR_QUIET)
  if(NOT rc EQUAL 0 OR NOT dump MATCHES "SONAME +([^\n ]+)")
    message(FATAL_ERROR "cannot read the soname of ${library_file}")
  endif()
  set(${out} ${CMAKE_MATCH_1} PARENT_SCOPE)
endfunction()

# task_lazy_link(TARGET OBJECT_LIBRARY): link TARGET against stubs for what libtask and
# OBJECT_LIBRARY call, or against the libraries themselves when TASK_LAZY_LIBS is OFF.
function(task_lazy_link target objects)
  if(NOT TASK_LAZY_LIBS)
    target_link_libraries(${target} PRIVATE task_platform_libs)
    return()
  endif()
  list(GET LIBGIT2_LINK_LIBRARIES 0 git2_file)
  list(GET CURL_LIBRARIES 0 curl_file)
  list(GET SQLite3_LIBRARIES 0 sqlite_file)
  list(GET LibArchive_LIBRARIES 0 archive_file)
  task_soname(git2 ${git2_file})
  task_soname(curl ${curl_file})
  task_soname(sqlite ${sqlite_file})
  task_soname(archive ${archive_file})
  set(out ${CMAKE_CURRENT_BINARY_DIR}/lazy)
  add_custom_command(
    OUTPUT ${out}/lazy_stubs.S ${out}/lazy_table.cpp
    COMMAND ${CMAKE_COMMAND} -DNM=${CMAKE_NM} -DOUT=${out}
            "-DINPUTS=$<TARGET_FILE:libtask>|$<JOIN:$<TARGET_OBJECTS:${objects}>,|>"
            "-DLIBRARIES=git_=${git2}|curl_=${curl}|sqlite3_=${sqlite}|archive_=${archive}"
            -P ${PROJECT_SOURCE_DIR}/cmake/lazy_stubs_generate.cmake
    DEPENDS libtask ${objects} $<TARGET_FILE:libtask> $<TARGET_OBJECTS:${objects}>
            ${PROJECT_SOURCE_DIR}/cmake/lazy_stubs_generate.cmake
    COMMENT "Generating lazy-loading stubs for the platform libraries"
    VERBATIM)
  target_sources(${target} PRIVATE ${out}/lazy_stubs.S ${out}/lazy_table.cpp
                                   ${PROJECT_SOURCE_DIR}/cmake/lazy_loader.cpp)
  target_link_libraries(${target} PRIVATE ${CMAKE_DL_LIBS})
endfunction()
