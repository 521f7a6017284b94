# Explicit source lists of libtask, one block per module.
include(${CMAKE_CURRENT_LIST_DIR}/src/schedule/sources.cmake)  # sets TASK_SCHEDULE_SOURCES
include(${CMAKE_CURRENT_LIST_DIR}/src/docker/sources.cmake)    # sets TASK_DOCKER_SOURCES
set(TASK_LIB_SOURCES
  lib/src/core/version.cpp
  lib/src/core/paths.cpp
  lib/src/core/text.cpp
  lib/src/core/staging.cpp
  lib/src/project/name.cpp
  lib/src/project/duration.cpp
  lib/src/project/project.cpp
  lib/src/scaffold/templates.cpp
  lib/src/scaffold/init.cpp
  lib/src/git/repository.cpp
  lib/src/git/source.cpp
  lib/src/git/commit.cpp
  lib/src/git/remote_url.cpp
  lib/src/git/credentials.cpp
  lib/src/git/fetch.cpp
  lib/src/git/cache.cpp
  lib/src/git/connect.cpp
  lib/src/store/sqlite.cpp
  lib/src/store/store.cpp
  lib/src/store/platform.cpp
  lib/src/build/build.cpp
  lib/src/doctor/doctor.cpp
  lib/src/agent/agent.cpp
  lib/src/agent/control.cpp
  lib/src/agent/worker.cpp
  lib/src/agent/notify.cpp
  lib/src/agent/summaries.cpp
  lib/src/stats/stats.cpp
  lib/src/stats/html.cpp
  ${TASK_SCHEDULE_SOURCES}
  ${TASK_DOCKER_SOURCES}
)
