#!/usr/bin/env python3
"""An engine without BuildKit, for the one path a current Docker engine cannot show: a
BuildKit build refused, and the build done again with the classic builder.

Usage: old_engine.py SOCKET LOG
Listens on the unix socket SOCKET and answers what `task build` asks of an engine
(ping, version, networks, images, build) as a Docker engine that refuses version=2
builds would: 400 "buildkit not supported by daemon". A classic build reads the whole
context and answers with a build stream and an image id. Each request goes to LOG as
one line "METHOD PATH". Stops on SIGTERM.
"""
import json
import os
import signal
import socketserver
import sys
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

socket_path, log_path = sys.argv[1], sys.argv[2]
IMAGE_ID = "sha256:" + "0123456789abcdef" * 4


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def address_string(self):
        return "unix"

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            size = 0
            while True:
                line = self.rfile.readline().strip()
                length = int(line.split(b";")[0], 16)
                if length == 0:
                    self.rfile.readline()
                    return size
                self.rfile.read(length)
                self.rfile.readline()
                size += length
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        return length

    def answer(self, status, body, content_type="application/json"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        with open(log_path, "a") as log:
            log.write(f"GET {self.path}\n")
        path = urlsplit(self.path).path
        if path.endswith("/_ping"):
            self.answer(200, "OK", "text/plain")
        elif path.endswith("/version"):
            self.answer(200, json.dumps({"Version": "18.09.0", "ApiVersion": "1.39", "Os": "linux", "Arch": "amd64"}))
        elif "/images/" in path and path.endswith("/json"):
            self.answer(404, json.dumps({"message": "No such image"}))
        else:
            self.answer(404, json.dumps({"message": "page not found"}))

    def do_POST(self):
        size = self.read_body()
        with open(log_path, "a") as log:
            log.write(f"POST {self.path} {size}\n")
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        if url.path.endswith("/build") and query.get("version") == ["2"]:
            self.answer(400, json.dumps({"message": "buildkit not supported by daemon"}))
        elif url.path.endswith("/build"):
            lines = [{"stream": "Step 1/1 : FROM busybox:1.36\n"}, {"stream": f"read {size} bytes of context\n"},
                     {"aux": {"ID": IMAGE_ID}}, {"stream": "Successfully built 0123456789ab\n"}]
            self.answer(200, "".join(json.dumps(line) + "\r\n" for line in lines))
        else:
            self.answer(404, json.dumps({"message": "page not found"}))


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


if os.path.exists(socket_path):
    os.unlink(socket_path)
server = Server(socket_path, Handler)
signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(SystemExit(0)))
try:
    server.serve_forever()
finally:
    server.server_close()
    os.unlink(socket_path)
