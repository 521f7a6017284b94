#!/usr/bin/env python3
"""A webhook endpoint for tests, on 127.0.0.1 only.

Usage: webhook_server.py DIR
Writes its port to DIR/port and each request it receives, as one JSON line
{method, path, query, headers, body}, to DIR/requests.jsonl. GET /verdict answers with
the text of DIR/verdict (what the task under test should do). A POST answers with the
next status in DIR/statuses (one per line, consumed) or 200 when none is left.
Stops on SIGTERM.
"""
import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

directory = sys.argv[1]
lock = threading.Lock()


def next_status():
    path = os.path.join(directory, "statuses")
    with lock:
        try:
            with open(path) as f:
                lines = [line.strip() for line in f if line.strip()]
        except FileNotFoundError:
            return 200
        if not lines:
            return 200
        with open(path, "w") as f:
            f.write("".join(line + "\n" for line in lines[1:]))
        return int(lines[0])


class Handler(BaseHTTPRequestHandler):
    def record(self, body):
        url = urlsplit(self.path)
        entry = {"method": self.command, "path": url.path, "query": parse_qs(url.query),
                 "headers": dict(self.headers.items()), "body": body}
        with lock, open(os.path.join(directory, "requests.jsonl"), "a") as f:
            f.write(json.dumps(entry) + "\n")

    def reply(self, status, text):
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if urlsplit(self.path).path == "/verdict":
            with open(os.path.join(directory, "verdict")) as f:
                return self.reply(200, f.read().strip())
        self.reply(404, "not found")

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length).decode("utf-8", "replace")
        self.record(body)
        status = next_status()
        self.reply(status, "ok" if status < 300 else "no")

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
with open(os.path.join(directory, "port.tmp"), "w") as f:
    f.write(str(server.server_address[1]))
os.rename(os.path.join(directory, "port.tmp"), os.path.join(directory, "port"))
server.serve_forever()
