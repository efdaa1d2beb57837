"""PostgreSQL behind PgBouncer (Debian's package, started here on loopback in front of the test server).

Session mode works as a direct connection does: two instances through it deliver every message once. Transaction
mode is refused at start with an error that says why and what to use, instead of silently losing the LISTEN that
wakes other instances (and failing prepared statements at random later)."""

import os
import shutil
import socket
import subprocess
import tempfile
import time
from urllib.parse import urlparse

import httpx
import pytest

from conftest import BACKEND, POSTGRES_URL, HeraldProcess, fresh_postgres_database, free_port
from receiver import Receiver

PGBOUNCER = shutil.which("pgbouncer") or next((p for p in ["/usr/sbin/pgbouncer"] if os.path.exists(p)), None)

pytestmark = [
    pytest.mark.skipif(BACKEND != "postgres", reason="needs HERALD_TEST_BACKEND=postgres"),
    pytest.mark.skipif(
        PGBOUNCER is None and os.environ.get("HERALD_REQUIRE_PGBOUNCER") != "1",
        reason="needs Debian's pgbouncer (apt-get install pgbouncer)",
    ),
]


class PgBouncer:
    """A PgBouncer on a free loopback port in front of the test server, in the given pool mode."""

    def __init__(self, workdir: str, mode: str):
        assert PGBOUNCER, "HERALD_REQUIRE_PGBOUNCER=1 but pgbouncer is not installed"
        server = urlparse(POSTGRES_URL)
        self.dir = os.path.join(workdir, f"pgbouncer-{mode}")
        os.makedirs(self.dir)
        os.chmod(workdir, 0o755)
        os.chmod(self.dir, 0o777)  # it runs as `postgres` when the tests run as root (it refuses root)
        self.port = free_port()
        with open(os.path.join(self.dir, "users.txt"), "w") as users:
            users.write('"postgres" ""\n')
        self.config = os.path.join(self.dir, "pgbouncer.ini")
        with open(self.config, "w") as config:
            config.write(
                f"""[databases]
* = host={server.hostname} port={server.port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = trust
auth_file = {self.dir}/users.txt
admin_users = postgres
pool_mode = {mode}
max_client_conn = 400
default_pool_size = 120
logfile = {self.dir}/pgbouncer.log
pidfile = {self.dir}/pgbouncer.pid
"""
            )
        self.process = None

    def __enter__(self):
        command = [PGBOUNCER, self.config]
        if os.getuid() == 0:
            command = ["runuser", "-u", "postgres", "--"] + command
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.time() + 15
        while time.time() < deadline:
            assert self.process.poll() is None, f"pgbouncer exited: {self.log()}"
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"pgbouncer did not listen within 15 s: {self.log()}")

    def __exit__(self, *_):
        self.process.terminate()
        self.process.wait(timeout=10)

    def log(self) -> str:
        try:
            with open(os.path.join(self.dir, "pgbouncer.log")) as log:
                return log.read()[-2000:]
        except OSError:
            return "(no log)"

    def url(self, database_url: str) -> str:
        """The same database, reached through this PgBouncer."""
        return f"postgres://postgres@127.0.0.1:{self.port}/" + database_url.rsplit("/", 1)[1]

    def clients(self, database_url: str) -> int:
        """Client connections PgBouncer has for the database (its admin console's SHOW CLIENTS)."""
        name = database_url.rsplit("/", 1)[1]
        rows = subprocess.check_output(
            ["psql", "-X", "-q", "-t", "-A", "-F", "|", f"postgres://postgres@127.0.0.1:{self.port}/pgbouncer", "-c", "SHOW CLIENTS"],
            text=True,
        )
        return sum(1 for row in rows.splitlines() if f"|{name}|" in row)


def test_two_instances_through_pgbouncer_in_session_mode_deliver_every_message_once():
    receiver = Receiver(lambda path, index: 204)
    database = fresh_postgres_database()
    with tempfile.TemporaryDirectory() as workdir, PgBouncer(workdir, "session") as bouncer:
        bounced = bouncer.url(database)
        instances = [HeraldProcess(workdir, {"HERALD_LOG_LEVEL": "notice"}, database=bounced, name=f"herald{i}") for i in range(2)]
        for instance in instances:
            instance.start()
        try:
            assert bouncer.clients(database) >= 2, "Herald did not connect through PgBouncer"
            headers = {"authorization": f"Bearer {instances[0].token()}"}
            httpx.post(instances[0].url + "/api/v1/app", json={"name": "pooled", "uid": "pooled"}, headers=headers).raise_for_status()
            for path in ["/a", "/b"]:
                httpx.post(
                    instances[0].url + "/api/v1/app/pooled/endpoint", json={"url": receiver.url + path}, headers=headers
                ).raise_for_status()
            accepted = set()
            with httpx.Client(timeout=10) as http:
                for index in range(200):
                    target = instances[index % 2]
                    response = http.post(
                        target.url + "/api/v1/app/pooled/msg",
                        json={"eventType": "pooled.event", "payload": {"index": index}},
                        headers=headers,
                    )
                    assert response.status_code == 202, response.text
                    accepted.add(response.json()["id"])
            deadline = time.time() + 60
            while time.time() < deadline:
                if all(len(receiver.to(path)) >= len(accepted) for path in ["/a", "/b"]):
                    break
                time.sleep(0.25)
            for path in ["/a", "/b"]:
                ids = [r["headers"]["webhook-id"] for r in receiver.to(path)]
                assert set(ids) == accepted, f"{path}: {len(set(ids))} of {len(accepted)} delivered"
                assert len(ids) == len(accepted), f"{path}: {len(ids) - len(set(ids))} duplicates"
        finally:
            for instance in instances:
                instance.stop()
            receiver.close()


def test_transaction_mode_is_refused_at_start_with_a_clear_error():
    database = fresh_postgres_database()
    with tempfile.TemporaryDirectory() as workdir, PgBouncer(workdir, "transaction") as bouncer:
        instance = HeraldProcess(workdir, database=bouncer.url(database))
        started = time.time()
        with pytest.raises(RuntimeError, match="herald exited"):
            instance.start()
        assert time.time() - started < 30
        log = open(instance.log_path).read()
        assert "LISTEN/NOTIFY does not work on this PostgreSQL connection" in log, log[-2000:]
        assert "pool_mode = session" in log
        # Refused before migrating: nothing was created in the database.
        tables = subprocess.check_output(
            ["psql", "-X", "-q", "-t", "-A", database, "-c", "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"], text=True
        ).strip()
        assert tables == "0"
