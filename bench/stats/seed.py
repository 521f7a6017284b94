#!/usr/bin/env python3
"""Fills a task state store with a run history for `task stats`: one deployment per task
and environment, runs every `--every` seconds back from now, outcomes in a fixed pattern
(1 in 50 failed, 1 in 200 timed out, 1 in 1000 lost, 1 in 100 skipped), durations and
lateness that vary by run. Usage: seed.py TASK_HOME RUNS [--tasks N] [--every S]"""
import argparse
import json
import sqlite3
import time

parser = argparse.ArgumentParser()
parser.add_argument("home")
parser.add_argument("runs", type=int)
parser.add_argument("--tasks", type=int, default=1)
parser.add_argument("--every", type=float, default=0.5, help="seconds between fire times")
args = parser.parse_args()

db = sqlite3.connect(f"{args.home}/task.db")
now = int(time.time() * 1000)
policy = json.dumps({"timeout": 3600, "retries": 0, "concurrency": "forbid", "catch_up": "latest"})
per = args.runs // (args.tasks * 2)
step = int(args.every * 1000)
with db:
    for t in range(args.tasks):
        for env in ("development", "production"):
            cur = db.execute(
                "INSERT INTO deployments (task, env, state, current_revision, created_at, updated_at)"
                " VALUES (?, ?, 'active', 1, ?, ?)", (f"task-{t}", env, now - per * step, now))
            d = cur.lastrowid
            db.execute(
                "INSERT INTO revisions (deployment_id, number, image_id, image_ref, schedule, policy, created_at)"
                " VALUES (?, 1, 'sha256:0', 'task/x:0', '@every 1s', ?, ?)", (d, policy, now))

            def rows():
                for i in range(per):
                    scheduled = now - (per - i) * step
                    late = 1 + (i * 7) % 20
                    duration = 100 + (i * 37) % 5000
                    if i % 1000 == 999:
                        yield (d, scheduled, scheduled + late, None, "lost", None)
                    elif i % 200 == 199:
                        yield (d, scheduled, scheduled + late, scheduled + late + duration, "timed-out", 137)
                    elif i % 100 == 99:
                        yield (d, scheduled, None, scheduled, "skipped", None)
                    elif i % 50 == 49:
                        yield (d, scheduled, scheduled + late, scheduled + late + duration, "failed", 1)
                    else:
                        yield (d, scheduled, scheduled + late, scheduled + late + duration, "succeeded", 0)

            db.executemany(
                "INSERT INTO runs (deployment_id, revision, scheduled_at, started_at, finished_at, outcome, exit_code,"
                " trigger, created_at) VALUES (?, 1, ?, ?, ?, ?, ?, 'schedule', 0)", rows())
print(f"{per * args.tasks * 2} runs in {args.tasks * 2} deployments")
