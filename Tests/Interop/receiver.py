"""A real HTTP receiver on 127.0.0.1 for the interop tests: records every webhook and answers as scripted."""

import http.server
import threading
import time


class _Server(http.server.ThreadingHTTPServer):
    # Herald opens many connections at once after an outage; the default backlog of 5 would drop some, and a sender
    # whose connection times out records a failed attempt that the receiver never saw.
    request_queue_size = 256


class Receiver:
    def __init__(self, script=None, port=0, headers=None):
        """`script(path, index)` returns the status for the index-th request to path (default 204), `headers(path,
        index)` any headers to answer with; `port` 0 picks one."""
        self.script = script or (lambda path, index: 204)
        self.headers = headers or (lambda path, index: {})
        self.requests = []
        self.counts = {}  # path -> requests so far (a scan of every request would slow a long test's receiver down)
        self.lock = threading.Condition()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with receiver.lock:
                    index = receiver.counts.get(self.path, 0)
                    receiver.counts[self.path] = index + 1
                    receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body, "at": time.time()})
                    receiver.lock.notify_all()
                status = receiver.script(self.path, index)
                self.send_response(status)
                for name, value in receiver.headers(self.path, index).items():
                    self.send_header(name, value)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = _Server(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        # A sender killed mid-request resets its connection; that is expected here, not worth a traceback.
        self.server.handle_error = lambda request, address: None
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def to(self, path):
        with self.lock:
            return [r for r in self.requests if r["path"] == path]

    def wait_for(self, path, count, timeout=30.0):
        deadline = time.time() + timeout
        with self.lock:
            while True:
                matching = [r for r in self.requests if r["path"] == path]
                if len(matching) >= count or time.time() > deadline:
                    return matching
                self.lock.wait(timeout=0.2)

    def close(self):
        self.server.shutdown()
        self.server.server_close()
