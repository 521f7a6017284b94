#!/usr/bin/env python3
"""Smart-HTTP Git server for tests and benchmarks: `git http-backend` behind a small CGI
bridge on 127.0.0.1, on an ephemeral port written to --port-file once it listens.

Repositories are served from --root (every one is exported). Paths under /private/ need
HTTP basic auth whose password is the token in --token-file (any user name). While the
file --slow-flag exists, responses are sent slowly, so a test can interrupt a transfer.
Each request is logged to --log as "METHOD PATH USER STATUS" (never a password).
"""
import argparse
import base64
import http.server
import os
import subprocess
import sys
import threading
import time


def read_body(handler):
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        body = bytearray()
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return bytes(body)
            body += handler.rfile.read(size)
            handler.rfile.readline()
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "task-test-git/1"
    options = None
    log_lock = threading.Lock()

    def log_message(self, fmt, *args):  # the request log is written by log_request_line
        pass

    def log_request_line(self, user, status):
        if not self.options.log:
            return
        with self.log_lock, open(self.options.log, "a") as log:
            log.write(f"{self.command} {self.path} {user or '-'} {status}\n")

    def authorized_user(self):
        """(allowed, user) for the request's path."""
        if not self.path.startswith("/private/"):
            return True, ""
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False, ""
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False, ""
        with open(self.options.token_file) as f:
            token = f.read().strip()
        return password == token, user

    def do_GET(self):
        self.serve()

    def do_POST(self):
        self.serve()

    def serve(self):
        allowed, user = self.authorized_user()
        if not allowed:
            self.log_request_line(user, 401)
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="git"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = read_body(self) if self.command == "POST" else b""
        path, _, query = self.path.partition("?")
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": self.options.root,
            "GIT_HTTP_EXPORT_ALL": "1",
            "GATEWAY_INTERFACE": "CGI/1.1",
            "REQUEST_METHOD": self.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_ADDR": self.client_address[0],
            "REMOTE_USER": user,
            "HOME": self.options.root,
        }
        if self.headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
        if self.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
        proc = subprocess.Popen(["git", "http-backend"], env=env, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        writer = threading.Thread(target=self.feed, args=(proc, body))
        writer.start()
        status, headers = 200, []
        while True:
            line = proc.stdout.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").rstrip("\r\n").partition(":")
            if name.lower() == "status":
                status = int(value.split()[0])
            else:
                headers.append((name, value.strip()))
        self.log_request_line(user, status)
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Connection", "close")
        self.end_headers()
        slow = self.options.slow_flag and os.path.exists(self.options.slow_flag)
        try:
            while True:
                chunk = proc.stdout.read1(4096 if slow else 65536)
                if not chunk:
                    break
                self.wfile.write(chunk)
                if slow:
                    self.wfile.flush()
                    time.sleep(0.05)
        except (BrokenPipeError, ConnectionResetError):
            proc.kill()
        finally:
            writer.join()
            proc.wait()

    @staticmethod
    def feed(proc, body):
        try:
            proc.stdin.write(body)
            proc.stdin.close()
        except BrokenPipeError:
            pass


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", required=True)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--token-file")
    parser.add_argument("--slow-flag")
    parser.add_argument("--log")
    Handler.options = parser.parse_args()
    Handler.options.root = os.path.abspath(Handler.options.root)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port_file = Handler.options.port_file
    with open(port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(port_file + ".tmp", port_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
