"""Prometheus, from Debian's package, scrapes a real `herald serve`: the exposition passes `promtool check metrics`,
both ways of scraping work (the metrics port without a token, the API port with an org token from a credentials
file), the counters move as messages are accepted and delivered, and the example alert rules and the Grafana
dashboard's queries in docs/monitoring/ load and evaluate against the scraped data.

Skipped when prometheus or promtool is missing, unless HERALD_REQUIRE_PROMETHEUS=1 (CI sets it)."""

import json
import os
import re
import shutil
import subprocess
import tempfile
import time

import httpx
import pytest

from conftest import ROOT, BACKEND, HeraldProcess, free_port
from receiver import Receiver

PROMETHEUS = shutil.which("prometheus")
PROMTOOL = shutil.which("promtool")
if not (PROMETHEUS and PROMTOOL):
    if os.environ.get("HERALD_REQUIRE_PROMETHEUS") == "1":
        raise RuntimeError("HERALD_REQUIRE_PROMETHEUS=1 but prometheus or promtool is not installed")
    pytest.skip("prometheus and promtool are not installed", allow_module_level=True)

MONITORING = os.path.join(ROOT, "docs", "monitoring")


class NotReady(Exception):
    """Prometheus answers 503 until its storage is open."""


def query(prometheus: str, expression: str) -> list:
    response = httpx.get(prometheus + "/api/v1/query", params={"query": expression}, timeout=10)
    if response.status_code == 503:
        raise NotReady(response.text)
    answer = response.json()
    assert answer["status"] == "success", (expression, answer)
    return answer["data"]["result"]


def scrape(port: int) -> str:
    """The metrics port's page, once it listens (it starts beside the API's)."""
    deadline = time.time() + 10
    while True:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/metrics").raise_for_status().text
        except httpx.TransportError:
            assert time.time() < deadline, "the metrics port never listened"
            time.sleep(0.1)


def wait_for_value(prometheus: str, expression: str, wanted, timeout: float = 30) -> float:
    deadline = time.time() + timeout
    value = None
    while time.time() < deadline:
        try:
            result = query(prometheus, expression)
        except (httpx.TransportError, NotReady):  # Prometheus is still starting
            time.sleep(0.2)
            continue
        value = float(result[0]["value"][1]) if result else None
        if value is not None and wanted(value):
            return value
        time.sleep(0.5)
    raise AssertionError(f"{expression} = {value} after {timeout} s")


def test_prometheus_scrapes_herald_and_the_counters_move():
    receiver = Receiver()
    with tempfile.TemporaryDirectory() as workdir:
        metrics_port = free_port()
        herald = HeraldProcess(workdir)
        herald.start("--metrics-port", str(metrics_port))
        prometheus_process = None
        try:
            token = herald.token()
            headers = {"authorization": f"Bearer {token}"}
            exposition = scrape(metrics_port)
            check = subprocess.run([PROMTOOL, "check", "metrics"], input=exposition, capture_output=True, text=True)
            assert check.returncode == 0, check.stdout + check.stderr
            # The API port serves the same families, only with an org token.
            assert httpx.get(herald.url + "/metrics").status_code == 401
            assert "herald_build_info" in httpx.get(herald.url + "/metrics", headers=headers).text

            token_file = os.path.join(workdir, "herald-token")
            with open(token_file, "w") as handle:
                handle.write(token)
            prometheus_port = free_port()
            config = os.path.join(workdir, "prometheus.yml")
            with open(config, "w") as handle:
                handle.write(f"""
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - {os.path.join(MONITORING, "herald-alerts.yml")}
scrape_configs:
  - job_name: herald
    static_configs:
      - targets: ["127.0.0.1:{metrics_port}"]
  - job_name: herald-api
    authorization:
      credentials_file: {token_file}
    static_configs:
      - targets: ["127.0.0.1:{herald.port}"]
""")
            log = open(os.path.join(workdir, "prometheus.log"), "wb")
            prometheus_process = subprocess.Popen(
                [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={workdir}/tsdb",
                 f"--web.listen-address=127.0.0.1:{prometheus_port}"],
                stdout=log, stderr=log,
            )
            prometheus = f"http://127.0.0.1:{prometheus_port}"
            wait_for_value(prometheus, 'sum(up{job=~"herald|herald-api"})', lambda value: value == 2)

            app = httpx.post(herald.url + "/api/v1/app", json={"name": "Metrics"}, headers=headers).json()
            httpx.post(herald.url + f"/api/v1/app/{app['id']}/endpoint", json={"url": receiver.url + "/metrics-hook"},
                       headers=headers).raise_for_status()
            for number in range(3):
                httpx.post(herald.url + f"/api/v1/app/{app['id']}/msg",
                           json={"eventType": "metrics.checked", "payload": {"n": number}}, headers=headers).raise_for_status()
            assert len(receiver.wait_for("/metrics-hook", 3)) == 3
            wait_for_value(prometheus, 'herald_messages_accepted_total{job="herald"}', lambda value: value == 3)
            wait_for_value(prometheus, 'herald_deliveries_total{job="herald", outcome="success"}', lambda value: value == 3)
            # Both scrapes read the same counters.
            wait_for_value(prometheus, 'herald_messages_accepted_total{job="herald-api"}', lambda value: value == 3)
            for number in range(2):
                httpx.post(herald.url + f"/api/v1/app/{app['id']}/msg",
                           json={"eventType": "metrics.checked", "payload": {"n": number}}, headers=headers).raise_for_status()
            wait_for_value(prometheus, 'herald_messages_accepted_total{job="herald"}', lambda value: value == 5)
            wait_for_value(prometheus, 'herald_deliveries_total{job="herald", outcome="success"}', lambda value: value == 5)
            backend = "postgres" if BACKEND == "postgres" else "sqlite"
            wait_for_value(
                prometheus,
                f'herald_database_operation_duration_seconds_count{{job="herald", backend="{backend}", operation="message_commit"}}',
                lambda value: value == 5,
            )

            # The alert rules loaded and were evaluated without error.
            check = subprocess.run([PROMTOOL, "check", "rules", os.path.join(MONITORING, "herald-alerts.yml")],
                                   capture_output=True, text=True)
            assert check.returncode == 0, check.stdout + check.stderr
            deadline = time.time() + 20
            while True:
                groups = httpx.get(prometheus + "/api/v1/rules").json()["data"]["groups"]
                rules = [rule for group in groups for rule in group["rules"]]
                if rules and all(rule.get("lastEvaluation", "").startswith("20") and rule["health"] == "ok" for rule in rules):
                    break
                assert time.time() < deadline, rules
                time.sleep(0.5)
            assert len(rules) >= 8
            # Nothing is wrong with this server: no rule is even pending.
            active = [(rule["name"], rule["state"]) for rule in rules if rule["state"] != "inactive"]
            assert active == [], active

            # Unknown paths share one label: a scanner cannot grow the number of series.
            routes_before = set(re.findall(r'herald_http_requests_total\{route="([^"]*)"', scrape(metrics_port)))
            for number in range(20):
                httpx.get(herald.url + f"/scan-{number}/{os.urandom(4).hex()}")
                httpx.get(herald.url + f"/api/v1/app/app_{number}/nothing-here", headers=headers)
            routes_after = set(re.findall(r'herald_http_requests_total\{route="([^"]*)"', scrape(metrics_port)))
            assert routes_after - routes_before <= {"NotFound"}, routes_after - routes_before
            process = {name: float(value) for name, value in re.findall(r"^(process_\w+) (\S+)$", scrape(metrics_port), re.M)}
            assert process.get("process_resident_memory_bytes", 0) > 1_000_000 and process.get("process_open_fds", 0) > 3, process

            # Every query of the Grafana dashboard evaluates, and names only families Herald exports.
            families = set(re.findall(r"^# TYPE (\S+) ", httpx.get(f"http://127.0.0.1:{metrics_port}/metrics").text, re.M))
            dashboard = json.load(open(os.path.join(MONITORING, "herald-dashboard.json")))
            expressions = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
            assert len(expressions) >= 10
            for expression in expressions:
                concrete = expression.replace("$__rate_interval", "1m").replace("$job", ".*").replace("$instance", ".*")
                query(prometheus, concrete)
                for name in re.findall(r"\b((?:herald|process)_[a-z_]+)", concrete):
                    family = re.sub(r"_(bucket|sum|count)$", "", name)
                    assert family in families or name in families, (name, expression)
            # The dashboard shows data: accepted messages over the last minute.
            assert query(prometheus, 'sum(increase(herald_messages_accepted_total{job="herald"}[1m]))')
        finally:
            if prometheus_process:
                prometheus_process.terminate()
                prometheus_process.wait(timeout=20)
            herald.stop()
            receiver.close()
