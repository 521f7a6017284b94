# Unit tests of the Docker module (paths relative to tests/).
set(TASK_DOCKER_TEST_SOURCES
  unit/docker/test_buildkit_trace.cpp
  unit/docker/test_context.cpp
  unit/docker/test_dockerignore.cpp
  unit/docker/test_endpoint.cpp
  unit/docker/test_progress.cpp
)
