"""What a new user meets in the first hour: start-up and shutdown lines, refusals that name what is wrong, the CLI."""

import os
import re
import socket
import subprocess
import tempfile
import time

import httpx

from conftest import HERALD_BIN, HeraldProcess


def run(*args, env=None, timeout=30):
    return subprocess.run([HERALD_BIN, *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def test_start_up_says_what_it_created_and_where_webhooks_may_go_and_shutdown_says_so():
    with tempfile.TemporaryDirectory() as workdir:
        first = HeraldProcess(workdir, extra_env={"HERALD_LOG_LEVEL": "info"}, database=f"sqlite:{workdir}/herald.db")
        first.start()
        first.stop()
        log = open(first.log_path).read()
        assert re.search(r"JWT secret from \S+herald\.db\.jwt-secret \(created now\), main key from \S+herald\.db\.main-key \(created now\)", log)
        assert "webhooks may reach public addresses and 127.0.0.0/8" in log
        assert f"dashboard at http://127.0.0.1:{first.port}/dashboard; get a token with: herald token create" in log
        assert "Herald stopped" in log
        second = HeraldProcess(workdir, extra_env={"HERALD_LOG_LEVEL": "info"}, database=f"sqlite:{workdir}/herald.db", name="second")
        second.start()
        second.stop()
        log = open(second.log_path).read()
        assert "herald.db.jwt-secret, main key from" in log and "created now" not in log


def test_a_second_server_on_one_sqlite_file_is_refused_naming_the_first():
    with tempfile.TemporaryDirectory() as workdir:
        first = HeraldProcess(workdir, database=f"sqlite:{workdir}/herald.db")
        first.start()
        try:
            second = HeraldProcess(workdir, database=f"sqlite:{workdir}/herald.db", name="second")
            result = run(*second.args("serve")[1:], "--host", "127.0.0.1", "--port", str(second.port), env=second.env)
            assert result.returncode != 0
            assert f"pid {first.process.pid}" in result.stderr
            assert "only one may run on a SQLite file" in result.stderr
        finally:
            first.stop()


def test_a_port_in_use_is_named_and_nothing_is_created():
    with tempfile.TemporaryDirectory() as workdir, socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run("serve", "--host", "127.0.0.1", "--port", str(port), "--database", f"sqlite:{workdir}/herald.db")
        assert result.returncode != 0
        assert f"127.0.0.1:{port}" in result.stderr and "already in use" in result.stderr
        assert os.listdir(workdir) == []


def test_a_directory_as_database_path_is_named():
    with tempfile.TemporaryDirectory() as workdir:
        result = run("serve", "--host", "127.0.0.1", "--port", "0", "--database", f"sqlite:{workdir}")
        assert result.returncode != 0
        assert f"the database path {workdir} is a directory" in result.stderr


def test_the_cli_says_its_version_and_each_command_its_own_options():
    version = run("--version")
    assert version.returncode == 0
    assert re.match(r"^\d+\.\d+\.\d+ \(commit ([0-9a-f]{7,}|unknown)\)$", version.stdout.strip()), version.stdout
    token_help = run("token", "create", "--help").stdout
    assert "--database" in token_help and "--port" not in token_help and "--host" not in token_help
    assert "--expires-in" in token_help
    serve_help = run("serve", "--help").stdout
    assert "HERALD_ALLOWED_SUBNETS" in serve_help and "HERALD_MAX_CONCURRENCY" in serve_help


def test_an_attempt_to_a_closed_port_says_connection_refused(herald):
    token = herald.token()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    api = httpx.Client(base_url=herald.url + "/api/v1", headers={"authorization": f"Bearer {token}"})
    app = "refused-" + os.urandom(3).hex()
    api.post("/app", json={"name": "Refused", "uid": app}).raise_for_status()
    api.post(f"/app/{app}/endpoint", json={"url": f"http://127.0.0.1:{port}/hook", "uid": "closed"}).raise_for_status()
    message = api.post(f"/app/{app}/msg", json={"eventType": "a.b", "payload": {}}).json()["id"]
    deadline = time.time() + 20
    attempts = []
    while time.time() < deadline and not attempts:
        attempts = api.get(f"/app/{app}/attempt/msg/{message}").json()["data"]
        time.sleep(0.2)
    assert attempts and attempts[0]["response"] == "connection refused"
    assert attempts[0]["responseStatusCode"] == 0
