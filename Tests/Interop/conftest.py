"""Starts a real `herald serve` on a free loopback port with a fresh SQLite file, for the SDK interop tests."""

import os
import socket
import subprocess
import tempfile
import time
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERALD_BIN = os.environ.get("HERALD_BIN", os.path.join(ROOT, ".build", "debug", "herald"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class HeraldProcess:
    def __init__(self, workdir: str, extra_env: dict | None = None):
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # Receivers run on loopback, which the SSRF guard blocks unless allowed.
        self.env = {**os.environ, "HERALD_LOG_LEVEL": "warning", "HERALD_ALLOWED_SUBNETS": "127.0.0.0/8", **(extra_env or {})}
        self.log = open(os.path.join(workdir, "herald.log"), "ab")
        self.process = None

    def args(self, *command: str) -> list[str]:
        return [HERALD_BIN, *command, "--database", f"sqlite:{self.workdir}/herald.db"]

    def start(self):
        self.process = subprocess.Popen(
            self.args("serve") + ["--host", "127.0.0.1", "--port", str(self.port)],
            cwd=self.workdir, env=self.env, stdout=self.log, stderr=self.log,
        )
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"herald exited with {self.process.returncode}")
            try:
                with urllib.request.urlopen(self.url + "/api/v1/health/ping", timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("herald did not start within 30 s")

    def token(self, org: str | None = None) -> str:
        command = self.args("token", "create") + (["--org", org] if org else [])
        return subprocess.check_output(command, cwd=self.workdir, env=self.env, text=True).strip()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)


@pytest.fixture(scope="session")
def herald():
    with tempfile.TemporaryDirectory() as workdir:
        server = HeraldProcess(workdir)
        server.start()
        try:
            yield server
        finally:
            server.stop()
