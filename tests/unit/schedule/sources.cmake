set(TASK_SCHEDULE_TEST_SOURCES
  unit/schedule/test_schedule_parse.cpp
  unit/schedule/test_schedule_next.cpp
  unit/schedule/test_schedule_dst.cpp
  unit/schedule/test_schedule_describe.cpp
  unit/schedule/test_schedule_reference.cpp
)
