#!/usr/bin/env python3
"""Integration tests for the scaffold templates (templates/<name>/).

For every template: `task init` scaffolds a project, the real Docker engine builds its
Dockerfile, and the image runs against real HTTP servers on 127.0.0.1 (ephemeral ports),
standing in for the checked application, the GitHub API and a chat webhook.

    scripts/with-docker.sh python3 tests/integration/templates_test.py --task-bin build/task

Needs DOCKER_HOST (set by scripts/with-docker.sh, whose engine shares the network
namespace with these servers and has the offline base images); skipped without it.
The task binary comes from --task-bin or $TASK_BIN. Standard library only.
"""

import argparse
import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import unittest
import urllib.parse
import urllib.request
import uuid

TEMPLATES = ("shell", "http-health-check", "session-timeout-log", "github-issues-summary",
             "python", "node")
BASE_IMAGES = ("busybox:1.36", "python:3.11-slim", "node:20-slim")
TIMESTAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d"
BUILD_TIMEOUT_S = 300
RUN_TIMEOUT_S = 120

TASK_BIN = os.environ.get("TASK_BIN", "")
RUN_ID = uuid.uuid4().hex[:10]
LABEL = f"task.integration-test={RUN_ID}"
IMAGE_PREFIX = f"task-template-test-{RUN_ID}"

_workdir = None
_built_images = []


# --------------------------------------------------------------------------------------
# Docker and task, through their command lines
# --------------------------------------------------------------------------------------

def docker(*args, timeout=RUN_TIMEOUT_S, check=True, env=None):
    # The classic builder: the engine's own, and what the Engine API's /build speaks.
    full_env = dict(os.environ, DOCKER_BUILDKIT="0", **(env or {}))
    result = subprocess.run([os.environ.get("DOCKER", "docker"), *args], capture_output=True,
                            text=True, timeout=timeout, env=full_env, stdin=subprocess.DEVNULL)
    if check and result.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)} exited {result.returncode}\n"
                             f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}")
    return result


def task(*args, cwd=None):
    return subprocess.run([TASK_BIN, *args], capture_output=True, text=True, timeout=60,
                          cwd=cwd, stdin=subprocess.DEVNULL,
                          env=dict(os.environ, NO_COLOR="1",
                                   TASK_HOME=os.path.join(_workdir, "task-home")))


def scaffold(template, name, variables=None):
    """`task init NAME --template T --dir DIR`; returns DIR."""
    directory = os.path.join(_workdir, name)
    args = ["init", name, "--template", template, "--dir", directory]
    for key, value in (variables or {}).items():
        args += ["--var", f"{key}={value}"]
    result = task(*args)
    if result.returncode != 0:
        raise AssertionError(f"task {' '.join(args)} exited {result.returncode}\n"
                             f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}")
    return directory


def build(directory, tag_suffix, build_args=None):
    tag = f"{IMAGE_PREFIX}-{tag_suffix}:latest"
    args = ["build", "--quiet", "--network", "none", "--label", LABEL, "--tag", tag]
    for key, value in (build_args or {}).items():
        args += ["--build-arg", f"{key}={value}"]
    docker(*args, directory, timeout=BUILD_TIMEOUT_S)
    _built_images.append(tag)
    return tag


class Run:
    def __init__(self, result):
        self.status = result.returncode
        self.stdout = result.stdout
        self.stderr = result.stderr
        self.output = result.stdout + result.stderr

    def __str__(self):
        return f"exit {self.status}\nstdout:\n{self.stdout}\nstderr:\n{self.stderr}"


def run_image(image, env=None, command=(), network="host"):
    args = ["run", "--rm", "--network", network, "--label", LABEL]
    for key, value in (env or {}).items():
        args += ["--env", f"{key}={value}"]
    return Run(docker(*args, image, *command, check=False))


# --------------------------------------------------------------------------------------
# HTTP servers on 127.0.0.1
# --------------------------------------------------------------------------------------

class RecordingServer:
    """A threaded HTTP server on 127.0.0.1:<ephemeral>. `respond(request)` returns
    (status, body); every request but the readiness probe is recorded."""

    READY_PATH = "/__ready"

    def __init__(self, respond):
        self.requests = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def handle_one(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if self.path == RecordingServer.READY_PATH:
                    status, payload = 200, b"ready"
                else:
                    parts = urllib.parse.urlsplit(self.path)
                    request = {"method": self.command, "path": parts.path,
                               "query": urllib.parse.parse_qs(parts.query),
                               "headers": dict(self.headers.items()), "body": body}
                    server.requests.append(request)
                    status, payload = respond(request)
                if isinstance(payload, (dict, list)):
                    payload = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_HEAD = handle_one

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        self._wait_ready()

    def _wait_ready(self):
        last_error = None
        for _ in range(100):  # up to ~10 s
            try:
                with urllib.request.urlopen(self.url(self.READY_PATH), timeout=0.5) as answer:
                    if answer.status == 200:
                        return
            except OSError as error:
                last_error = error
            threading.Event().wait(0.1)
        raise AssertionError(f"test server on port {self.port} never answered: {last_error}")

    def url(self, path="/"):
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self):
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.thread.join(timeout=10)
            self.httpd = None


class SilentServer:
    """Accepts TCP connections (through the kernel's backlog) and never answers."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]

    def url(self, path="/"):
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self):
        self.sock.close()


# --------------------------------------------------------------------------------------
# Module set-up: engine, binary, base images
# --------------------------------------------------------------------------------------

def setUpModule():
    global _workdir
    if not os.environ.get("DOCKER_HOST"):
        raise unittest.SkipTest("DOCKER_HOST is not set: run through scripts/with-docker.sh, "
                                "which starts a private engine and sets it")
    if not TASK_BIN or not os.access(TASK_BIN, os.X_OK):
        raise AssertionError(f"no task binary at {TASK_BIN!r}: pass --task-bin PATH or set TASK_BIN")
    missing = [image for image in BASE_IMAGES
               if docker("image", "inspect", image, check=False).returncode != 0]
    if missing:
        raise AssertionError(f"base images missing: {', '.join(missing)} "
                             "(scripts/base-images.sh builds them; with-docker.sh runs it)")
    _workdir = tempfile.mkdtemp(prefix="task-templates-test-")


def tearDownModule():
    if _workdir is None:
        return
    containers = docker("ps", "-aq", "--filter", f"label={LABEL}", check=False).stdout.split()
    if containers:
        docker("rm", "-f", *containers, check=False)
    if _built_images:
        docker("rmi", "-f", *_built_images, check=False)
    shutil.rmtree(_workdir, ignore_errors=True)


# --------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------

class ScaffoldTest(unittest.TestCase):
    """What every template renders to, before any image is built."""

    def test_every_template_scaffolds_with_an_overridable_base_image(self):
        for template in TEMPLATES:
            with self.subTest(template=template):
                directory = scaffold(template, f"scaffold-{template}")
                with open(os.path.join(directory, "Dockerfile")) as f:
                    dockerfile = f.read()
                self.assertRegex(dockerfile, r"(?m)^ARG BASE_IMAGE=\S+$")
                self.assertRegex(dockerfile, r"(?m)^FROM \$\{BASE_IMAGE\}$")
                with open(os.path.join(directory, "task.yaml")) as f:
                    self.assertIn(f"name: scaffold-{template}\n", f.read())
                for name in ("README.md", ".dockerignore"):
                    self.assertTrue(os.path.isfile(os.path.join(directory, name)), name)
                # Every placeholder was rendered.
                for root, dirs, files in os.walk(directory):
                    dirs[:] = [d for d in dirs if d != ".git"]
                    for name in files:
                        with open(os.path.join(root, name), errors="replace") as f:
                            self.assertNotRegex(f.read(), r"\{\{\s*[a-z_]+\s*\}\}",
                                                os.path.join(root, name))

    def test_scripts_stay_executable(self):
        for template, script in (("shell", "run.sh"), ("http-health-check", "check.sh"),
                                 ("session-timeout-log", "log.sh")):
            with self.subTest(template=template):
                directory = scaffold(template, f"modes-{template}")
                self.assertTrue(os.access(os.path.join(directory, script), os.X_OK))


class ShellTemplateTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.image = build(scaffold("shell", "tpl-shell"), "shell")

    def test_prints_the_greeting_with_time_and_name(self):
        run = run_image(self.image, {"GREETING": "Hello, integration test"})
        self.assertEqual(run.status, 0, run)
        self.assertRegex(run.stdout, rf"(?m)^{TIMESTAMP}Z tpl-shell: Hello, integration test$")

    def test_default_greeting_without_environment(self):
        run = run_image(self.image, network="none")
        self.assertEqual(run.status, 0, run)
        self.assertRegex(run.stdout, rf"(?m)^{TIMESTAMP}Z tpl-shell: \S")


class HttpHealthCheckTemplateTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.image = build(scaffold("http-health-check", "tpl-health"), "health")

    def check(self, url, **env):
        return run_image(self.image, {"TARGET_URL": url, **env})

    def test_healthy_on_200_then_unhealthy_once_the_server_is_gone(self):
        server = RecordingServer(lambda request: (200, {"status": "ok"}))
        try:
            url = server.url("/health")
            run = self.check(url)
            self.assertEqual(run.status, 0, run)
            self.assertRegex(run.stdout, rf"(?m)^{TIMESTAMP}Z Healthy {re.escape(url)} "
                                         r"status=200 latency_ms=\d+$")
            self.assertEqual([r["path"] for r in server.requests], ["/health"])
            self.assertEqual(server.requests[0]["headers"].get("User-Agent"),
                             "tpl-health-health-check")
        finally:
            server.stop()
        run = self.check(url)
        self.assertNotEqual(run.status, 0, run)
        self.assertRegex(run.stdout, rf"(?m)^{TIMESTAMP}Z Unhealthy {re.escape(url)} "
                                     r"status=none latency_ms=\d+ error=\".*refused.*\"$")

    def test_unhealthy_on_500(self):
        server = RecordingServer(lambda request: (500, {"error": "database down"}))
        try:
            run = self.check(server.url("/health"))
        finally:
            server.stop()
        self.assertNotEqual(run.status, 0, run)
        self.assertIn(" Unhealthy ", run.stdout)
        self.assertRegex(run.stdout, r"status=500 latency_ms=\d+ error=\".*500.*\"")

    def test_unhealthy_when_no_answer_in_time(self):
        server = SilentServer()
        try:
            run = self.check(server.url("/health"), TIMEOUT_SECONDS="1")
        finally:
            server.stop()
        self.assertNotEqual(run.status, 0, run)
        self.assertRegex(run.stdout, r"Unhealthy .* status=none latency_ms=\d+ "
                                     r"error=\"no answer within 1s\"")

    def test_missing_target_url_is_a_configuration_error(self):
        run = run_image(self.image, network="none")
        self.assertEqual(run.status, 2, run)
        self.assertIn("TARGET_URL is not set", run.stderr)


class SessionTimeoutLogTemplateTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.directory = scaffold("session-timeout-log", "tpl-session",
                                 {"session_user": "carol", "idle_minutes": "45"})
        cls.image = build(cls.directory, "session")

    def test_logs_the_time_out_for_the_user(self):
        run = run_image(self.image, {"SESSION_USER": "bob", "IDLE_MINUTES": "15"}, network="none")
        self.assertEqual(run.status, 0, run)
        self.assertRegex(run.stdout, rf"(?m)^{TIMESTAMP}Z tpl-session: session of user \"bob\" "
                                     r"timed out after 15 minutes of inactivity$")

    def test_variables_given_to_init_land_in_task_yaml(self):
        with open(os.path.join(self.directory, "task.yaml")) as f:
            text = f.read()
        self.assertIn('SESSION_USER: "carol"', text)
        self.assertIn('IDLE_MINUTES: "45"', text)

    def test_missing_user_is_a_configuration_error(self):
        run = run_image(self.image, network="none")
        self.assertEqual(run.status, 2, run)
        self.assertIn("SESSION_USER is not set", run.stderr)

    def test_base_image_is_a_build_argument(self):
        # Any image with a POSIX sh, date and printf will do: here the Python one.
        image = build(self.directory, "session-on-python",
                      {"BASE_IMAGE": "python:3.11-slim"})
        python_id = docker("image", "inspect", "--format", "{{.Id}}", "python:3.11-slim").stdout
        history = docker("history", "--quiet", "--no-trunc", image).stdout
        self.assertIn(python_id.strip(), history)
        run = run_image(image, {"SESSION_USER": "dave", "IDLE_MINUTES": "1"}, network="none")
        self.assertEqual(run.status, 0, run)
        self.assertIn('session of user "dave" timed out after 1 minute of inactivity', run.stdout)


class GitHubIssuesSummaryTemplateTest(unittest.TestCase):
    TOKEN = "ghp_integrationTestToken" + RUN_ID
    REPOSITORY = "acme/widgets"
    COUNTS = {"open": 7, "closed": 42}

    @classmethod
    def setUpClass(cls):
        cls.directory = scaffold("github-issues-summary", "tpl-issues")
        cls.image = build(cls.directory, "issues")

    def start_server(self, search_status=200):
        token = self.TOKEN

        def respond(request):
            if request["method"] == "POST" and request["path"] == "/hooks/T0":
                return 200, b"ok"
            if request["method"] == "GET" and request["path"] == "/api/v3/search/issues":
                if search_status != 200:
                    # Echoes the token, as a careless server might: it must not reach the log.
                    return search_status, {"message": f"Bad credentials ({token})"}
                if request["headers"].get("Authorization") != f"Bearer {token}":
                    return 401, {"message": "Requires authentication"}
                query = request["query"].get("q", [""])[0]
                match = re.fullmatch(r"repo:acme/widgets is:issue state:(open|closed)", query)
                if not match:
                    return 422, {"message": f"unexpected query {query!r}"}
                return 200, {"total_count": self.COUNTS[match.group(1)],
                             "incomplete_results": False, "items": []}
            return 404, {"message": "Not Found"}

        server = RecordingServer(respond)
        self.addCleanup(server.stop)
        return server

    def environment(self, server):
        return {"GITHUB_REPOSITORY": self.REPOSITORY, "GITHUB_TOKEN": self.TOKEN,
                "GITHUB_API_URL": server.url("/api/v3"),
                "CHAT_WEBHOOK_URL": server.url("/hooks/T0?key=webhook-secret")}

    def test_posts_the_counts_of_each_state(self):
        server = self.start_server()
        run = run_image(self.image, self.environment(server))
        self.assertEqual(run.status, 0, run)

        searches = [r for r in server.requests if r["method"] == "GET"]
        self.assertEqual(sorted(r["query"]["q"][0] for r in searches),
                         ["repo:acme/widgets is:issue state:closed",
                          "repo:acme/widgets is:issue state:open"])
        for request in searches:
            self.assertEqual(request["headers"].get("Authorization"), f"Bearer {self.TOKEN}")
            self.assertEqual(request["headers"].get("Accept"), "application/vnd.github+json")

        posts = [r for r in server.requests if r["method"] == "POST"]
        self.assertEqual(len(posts), 1, server.requests)
        self.assertEqual(posts[0]["headers"].get("Content-Type"), "application/json")
        self.assertEqual(posts[0]["query"], {"key": ["webhook-secret"]})
        self.assertEqual(json.loads(posts[0]["body"]),
                         {"text": "acme/widgets issues: 7 open, 42 closed (49 in all)"})

        self.assertIn("acme/widgets issues: 7 open, 42 closed", run.stdout)
        self.assertNotIn(self.TOKEN, run.output)
        self.assertNotIn("webhook-secret", run.output)

    def test_http_error_exits_1_and_never_shows_the_token(self):
        server = self.start_server(search_status=401)
        run = run_image(self.image, self.environment(server))
        self.assertEqual(run.status, 1, run)
        self.assertIn("HTTP 401", run.stderr)
        self.assertIn("Bad credentials", run.stderr)
        self.assertNotIn(self.TOKEN, run.output)
        self.assertEqual([r for r in server.requests if r["method"] == "POST"], [])

    def test_missing_variables_exit_2(self):
        run = run_image(self.image, {"GITHUB_TOKEN": self.TOKEN}, network="none")
        self.assertEqual(run.status, 2, run)
        self.assertIn("GITHUB_REPOSITORY", run.stderr)
        self.assertIn("CHAT_WEBHOOK_URL", run.stderr)
        self.assertNotIn(self.TOKEN, run.output)

    def test_unit_tests_pass_on_the_base_image(self):
        run = self.unit_tests_in("python:3.11-slim", "python3", "-m", "unittest", "-v",
                                 "test_summary.py")
        self.assertEqual(run.status, 0, run)

    def unit_tests_in(self, image, *command):
        args = ["run", "--rm", "--network", "none", "--label", LABEL,
                "--env", "PYTHONDONTWRITEBYTECODE=1",
                "--volume", f"{self.directory}:/src:ro", "--workdir", "/src", image, *command]
        return Run(docker(*args, check=False))


class PythonTemplateTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.directory = scaffold("python", "tpl-python")
        cls.image = build(cls.directory, "python")

    def test_runs_and_logs(self):
        run = run_image(self.image, network="none")
        self.assertEqual(run.status, 0, run)
        self.assertRegex(run.stdout, rf"(?m)^{TIMESTAMP}\+0000 INFO tpl-python: tpl-python ran$")

    def test_unit_tests_pass_on_the_base_image(self):
        run = Run(docker("run", "--rm", "--network", "none", "--label", LABEL,
                         "--volume", f"{self.directory}:/src:ro", "--workdir", "/src",
                         "python:3.11-slim", "python3", "-m", "unittest", "-v", "test_main.py",
                         check=False))
        self.assertEqual(run.status, 0, run)
        self.assertIn("Ran 2 tests", run.stderr)


class NodeTemplateTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.directory = scaffold("node", "tpl-node")
        cls.image = build(cls.directory, "node")

    def test_runs_and_logs(self):
        run = run_image(self.image, network="none")
        self.assertEqual(run.status, 0, run)
        self.assertRegex(run.stdout, rf"(?m)^{TIMESTAMP}\.\d{{3}}Z INFO tpl-node: tpl-node ran$")

    def test_package_json_is_valid_and_dependency_free(self):
        with open(os.path.join(self.directory, "package.json")) as f:
            package = json.load(f)
        self.assertEqual(package["name"], "tpl-node")
        self.assertNotIn("dependencies", package)

    def test_unit_tests_pass_on_the_base_image(self):
        run = Run(docker("run", "--rm", "--network", "none", "--label", LABEL,
                         "--volume", f"{self.directory}:/src:ro", "--workdir", "/src",
                         "node:20-slim", "node", "--test", check=False))
        self.assertEqual(run.status, 0, run)
        self.assertRegex(run.stdout, r"(?m)^# pass 2$")


def main():
    global TASK_BIN
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--task-bin", default=TASK_BIN)
    options, rest = parser.parse_known_args()
    TASK_BIN = os.path.abspath(options.task_bin) if options.task_bin else ""
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)


if __name__ == "__main__":
    main()
