# The Docker Engine API client and build contexts (paths relative to the project root).
set(TASK_DOCKER_SOURCES
  lib/src/docker/image_build.cpp
  lib/src/docker/buildkit_trace.cpp
  lib/src/docker/client.cpp
  lib/src/docker/containers.cpp
  lib/src/docker/context_files.cpp
  lib/src/docker/context_tar.cpp
  lib/src/docker/dockerignore.cpp
  lib/src/docker/encoding.cpp
  lib/src/docker/endpoint.cpp
  lib/src/docker/http.cpp
  lib/src/docker/ignore_pattern.cpp
  lib/src/docker/progress.cpp
  lib/src/docker/registry_auth.cpp
)
