"""Receivers that answer with bytes no text column holds, endless or dripping bodies, or headers without end, next to a
healthy one: every attempt of both is recorded once, on the backend under test, and Herald stays healthy."""

import socket
import tempfile
import threading
import time
import uuid

import httpx

from conftest import HeraldProcess
from receiver import Receiver

CASES = {
    "/nul": b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\nConnection: close\r\n\r\n{\x00\x00:\x00}\x00",
    "/binary": b"HTTP/1.1 500 Oops\r\nContent-Length: 6\r\nConnection: close\r\n\r\n\xff\xfe\xc3\x28\xed\xa0",
    "/huge": b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n",  # followed by 3 MB of body
    "/drip": b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n",  # followed by a byte every 0.3 s
    "/headers": b"HTTP/1.1 200 OK\r\n",  # followed by headers that never end
}


class HostileServer:
    """A raw socket server: reads a request, answers as the path says, with no HTTP library in between."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.stopped = False
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while not self.stopped:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(connection,), daemon=True).start()

    def serve(self, connection):
        try:
            request = connection.recv(65536)
            path = request.split(b" ", 2)[1].decode()
            connection.sendall(CASES[path])
            deadline = time.time() + 40
            if path == "/huge":
                chunk = b"x" * 65536
                for _ in range(48):
                    connection.sendall(chunk)
            elif path == "/drip":
                while time.time() < deadline and not self.stopped:
                    connection.sendall(b"y")
                    time.sleep(0.3)
            elif path == "/headers":
                index = 0
                while time.time() < deadline and not self.stopped:
                    connection.sendall(f"X-Endless-{index}: {'z' * 100}\r\n".encode())
                    index += 1
                    time.sleep(0.01)
        except OSError:
            pass
        finally:
            connection.close()

    def close(self):
        self.stopped = True
        self.sock.close()


def test_every_hostile_answer_is_recorded_once_beside_a_healthy_endpoint():
    # Its own Herald: retries an hour away (so every attempt seen is a first one) and a 3 s request timeout.
    with tempfile.TemporaryDirectory() as workdir:
        herald = HeraldProcess(workdir, extra_env={"HERALD_RETRY_SCHEDULE": "3600", "HERALD_REQUEST_TIMEOUT": "3"})
        herald.start()
        try:
            check_hostile_receivers(herald)
        finally:
            herald.stop()


def check_hostile_receivers(herald):
    token = herald.token()
    hostile, healthy = HostileServer(), Receiver()
    api = httpx.Client(base_url=herald.url + "/api/v1", headers={"authorization": f"Bearer {token}"}, timeout=30)
    app = "hostile-" + uuid.uuid4().hex[:6]
    try:
        api.post("/app", json={"name": "Hostile", "uid": app}).raise_for_status()
        for path in CASES:
            api.post(f"/app/{app}/endpoint", json={"url": hostile.url + path, "uid": path.strip("/")}).raise_for_status()
        api.post(f"/app/{app}/endpoint", json={"url": healthy.url + "/ok", "uid": "healthy"}).raise_for_status()
        messages = [api.post(f"/app/{app}/msg", json={"eventType": "a.b", "payload": {"n": n}}).json()["id"] for n in range(3)]

        expected = len(messages) * (len(CASES) + 1)
        deadline = time.time() + 120
        attempts = []
        while time.time() < deadline:
            attempts = [a for message in messages for a in api.get(f"/app/{app}/attempt/msg/{message}", params={"limit": 250}).json()["data"]]
            if len(attempts) >= expected:
                break
            time.sleep(1)
        by_destination = {}
        for attempt in attempts:
            by_destination.setdefault((attempt["msgId"], attempt["url"]), []).append(attempt)
        assert len(by_destination) == expected, f"{len(by_destination)} of {expected} destinations have an attempt"
        # Once each: a scheduled retry is minutes away, so any second attempt here would be a resend of a lost result.
        assert all(len(found) == 1 for found in by_destination.values())
        responses = {attempt["url"].rsplit("/", 1)[1]: attempt for attempt in attempts}
        assert responses["nul"]["response"].startswith("[herald:") and "\x00" not in responses["nul"]["response"]
        assert responses["binary"]["responseStatusCode"] == 500 and responses["binary"]["response"].startswith("[herald:")
        assert len(responses["huge"]["response"].encode()) < 25_000
        assert responses["ok"]["status"] == 0
        assert httpx.get(herald.url + "/api/v1/health").status_code == 200
    finally:
        hostile.close()
        healthy.close()
