#!/usr/bin/python3
"""A local HTTP sink standing in for Slack in the demo: accepts POSTs on
127.0.0.1, answers 200 "ok" like Slack's incoming webhooks, and appends each
request body as one JSON line to the file given.

    http-sink.py PORT_FILE LOG_FILE   (binds port 0, writes the port to PORT_FILE)
"""
import http.server
import json
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with open(sys.argv[2], "a", encoding="utf-8") as log:
            log.write(json.dumps({"path": self.path, "body": body.decode("utf-8", "replace")}) + "\n")
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[1], "w", encoding="utf-8") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
