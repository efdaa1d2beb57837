"""`herald serve --config`: a YAML file alone starts a working server; environment and flags override it; a bad file is
refused before anything starts, naming every bad key; `herald config print` masks secrets."""

import base64
import os
import subprocess
import tempfile
import time

import httpx

from conftest import HERALD_BIN, free_port, fresh_database
from receiver import Receiver


def write_config(workdir: str, text: str, name: str = "herald.yaml") -> str:
    path = os.path.join(workdir, name)
    with open(path, "w") as file:
        file.write(text)
    return path


def clean_env(**extra) -> dict:
    """The test environment without any HERALD_* setting, so only the file (and `extra`) configure Herald."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("HERALD_") or key.startswith("HERALD_TEST_")}
    return {**env, **extra}


def wait_until_up(process, url: str):
    deadline = time.time() + 30
    while time.time() < deadline:
        assert process.poll() is None, f"herald exited with {process.returncode}"
        try:
            httpx.get(url + "/api/v1/health/ping", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError("herald did not start within 30 s")


def test_a_config_file_alone_runs_herald_and_the_environment_overrides_it():
    with tempfile.TemporaryDirectory() as workdir:
        receiver = Receiver()
        file_port, env_port = free_port(), free_port()
        jwt_secret = base64.b64encode(os.urandom(32)).decode()
        main_key = base64.b64encode(os.urandom(32)).decode()
        config = write_config(workdir, f"""
host: 127.0.0.1
port: {file_port}
database: "{fresh_database(workdir)}"
jwt_secret: "{jwt_secret}"
main_key: "{main_key}"
allowed_subnets:
  - 127.0.0.0/8
retry_schedule: [1, 1]
log_level: notice
""")
        env = clean_env(HERALD_PORT=str(env_port))
        log = open(os.path.join(workdir, "herald.log"), "wb")
        process = subprocess.Popen([HERALD_BIN, "serve", "--config", config], cwd=workdir, env=env, stdout=log, stderr=log)
        try:
            url = f"http://127.0.0.1:{env_port}"
            wait_until_up(process, url)
            token = subprocess.check_output([HERALD_BIN, "token", "create"], cwd=workdir, env={**env, "HERALD_CONFIG": config}, text=True).strip()
            headers = {"authorization": f"Bearer {token}"}
            app = httpx.post(url + "/api/v1/app", json={"name": "Config"}, headers=headers).json()
            httpx.post(url + f"/api/v1/app/{app['id']}/endpoint", json={"url": receiver.url + "/config"}, headers=headers).raise_for_status()
            created = httpx.post(url + f"/api/v1/app/{app['id']}/msg", json={"eventType": "config.used", "payload": {"n": 1}}, headers=headers)
            assert created.status_code == 202
            delivered = receiver.wait_for("/config", 1)
            assert len(delivered) == 1 and b'"n":1' in delivered[0]["body"].replace(b" ", b"")

            printed = subprocess.run([HERALD_BIN, "config", "print", "--config", config], env=env, capture_output=True, text=True)
            assert printed.returncode == 0, printed.stderr
            assert f"port: {env_port}  # HERALD_PORT" in printed.stdout
            assert f'allowed_subnets: ["127.0.0.0/8"]  # allowed_subnets in {config}' in printed.stdout
            assert jwt_secret not in printed.stdout and main_key not in printed.stdout
            assert 'jwt_secret: "********"' in printed.stdout
        finally:
            process.terminate()
            process.wait(timeout=20)
            receiver.close()
        assert f"Settings read from {config}" in open(os.path.join(workdir, "herald.log")).read()


def test_a_bad_config_file_is_refused_at_start_naming_every_bad_key():
    with tempfile.TemporaryDirectory() as workdir:
        config = write_config(workdir, "port: 8071\nmax_concurency: 10\nrequest_timeout: 90\njwt_secret: tooshort\n")
        env = clean_env()
        started = subprocess.run([HERALD_BIN, "serve", "--config", config, "--database", f"sqlite:{workdir}/herald.db"],
                                 cwd=workdir, env=env, capture_output=True, text=True, timeout=30)
        assert started.returncode == 78  # EX_CONFIG: the unit does not restart on it
        assert "unknown key 'max_concurency'" in started.stderr and "did you mean 'max_concurrency'" in started.stderr
        assert f"request_timeout in {config} must be whole seconds from 1 to 30, not '90'" in started.stderr
        assert f"jwt_secret in {config} must be a secret of at least 32 bytes" in started.stderr
        assert "tooshort" not in started.stderr
        assert os.listdir(workdir) == ["herald.yaml"]  # nothing was created

        checked = subprocess.run([HERALD_BIN, "config", "check", "--config", config], env=env, capture_output=True, text=True)
        assert checked.returncode == 78 and "max_concurency" in checked.stderr

        good = write_config(workdir, '{"port": 8072, "retry_schedule": [5, 60]}', name="herald.json")
        checked = subprocess.run([HERALD_BIN, "config", "check", "--config", good], env=env, capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        assert f"ok: {good} sets 2 settings" in checked.stdout
