"""Starts a real `herald serve` on a free loopback port, for the SDK interop tests: on a fresh SQLite file, or — with
HERALD_TEST_BACKEND=postgres — on a fresh database of the PostgreSQL server named by HERALD_TEST_POSTGRES_URL."""

import base64
import os
import socket
import subprocess
import tempfile
import time
import urllib.request
import uuid

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERALD_BIN = os.environ.get("HERALD_BIN", os.path.join(ROOT, ".build", "debug", "herald"))
BACKEND = os.environ.get("HERALD_TEST_BACKEND", "sqlite")
POSTGRES_URL = os.environ.get("HERALD_TEST_POSTGRES_URL", "")
# Instances sharing PostgreSQL must share their secrets, so these are configured rather than generated per instance.
SHARED_SECRETS = {
    "HERALD_JWT_SECRET": base64.b64encode(os.urandom(32)).decode(),
    "HERALD_MAIN_KEY": base64.b64encode(os.urandom(32)).decode(),
}


def fresh_postgres_database() -> str:
    """Creates an empty database on the test server and returns its URL."""
    if not POSTGRES_URL:
        raise RuntimeError("HERALD_TEST_BACKEND=postgres needs HERALD_TEST_POSTGRES_URL")
    name = "herald_i_" + uuid.uuid4().hex
    subprocess.run(["psql", "-X", "-q", POSTGRES_URL, "-c", f"CREATE DATABASE {name}"], check=True)
    return POSTGRES_URL.rsplit("/", 1)[0] + "/" + name


def fresh_database(workdir: str) -> str:
    """The database URL of a fresh store for the selected backend."""
    return fresh_postgres_database() if BACKEND == "postgres" else f"sqlite:{workdir}/herald.db"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class HeraldProcess:
    def __init__(self, workdir: str, extra_env: dict | None = None, database: str | None = None, name: str = "herald"):
        """`database` shares another instance's database; by default each instance gets a fresh one."""
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database = database or fresh_database(workdir)
        # Receivers run on loopback, which the SSRF guard blocks unless allowed.
        self.env = {
            **os.environ, **(SHARED_SECRETS if self.database.startswith("postgres") else {}),
            "HERALD_LOG_LEVEL": "warning", "HERALD_ALLOWED_SUBNETS": "127.0.0.0/8", **(extra_env or {}),
        }
        self.log_path = os.path.join(workdir, f"{name}.log")
        self.log = open(self.log_path, "ab")
        self.process = None

    def args(self, *command: str) -> list[str]:
        return [HERALD_BIN, *command, "--database", self.database]

    def start(self, *extra_args: str):
        self.process = subprocess.Popen(
            self.args("serve") + ["--host", "127.0.0.1", "--port", str(self.port), *extra_args],
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
