#!/usr/bin/env python3
"""{{name}}: a scheduled task. Put the work in main(); its return value is the run's
exit status (0 succeeded, anything else failed). Logs go to stdout, one line each.

Environment:
  LOG_LEVEL  DEBUG, INFO, WARNING or ERROR (default INFO)
"""

import logging
import os
import sys

TASK_NAME = "{{name}}"
log = logging.getLogger(TASK_NAME)


def configure_logging(environ):
    level_name = environ.get("LOG_LEVEL", "INFO").strip().upper() or "INFO"
    level = logging.getLevelName(level_name)
    logging.basicConfig(
        level=level if isinstance(level, int) else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%Y-%m-%dT%H:%M:%S%z",
        stream=sys.stdout,
        force=True,
    )
    if not isinstance(level, int):
        log.warning("unknown LOG_LEVEL %r, using INFO", level_name)


def main(environ=None):
    environ = os.environ if environ is None else environ
    configure_logging(environ)
    log.info("%s ran", TASK_NAME)
    # ... the task's work goes here; return non-zero to mark the run as failed.
    return 0


if __name__ == "__main__":
    sys.exit(main())
