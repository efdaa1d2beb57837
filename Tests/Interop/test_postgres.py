"""PostgreSQL mode: several instances on one database, and a database outage under load.

Run with HERALD_TEST_BACKEND=postgres and HERALD_TEST_POSTGRES_URL; the outage test also needs HERALD_TEST_POSTGRES_DIR,
the cluster directory of `scripts/postgres-cluster`, so that it can stop and start the server."""

import contextlib
import itertools
import os
import re
import signal
import subprocess
import tempfile
import threading
import time

import httpx
import pytest

from conftest import BACKEND, POSTGRES_URL, ROOT, HeraldProcess, fresh_postgres_database
from receiver import Receiver

pytestmark = pytest.mark.skipif(BACKEND != "postgres", reason="needs HERALD_TEST_BACKEND=postgres")

MESSAGES = 5000
KILL_AFTER = 2000
# Short request timeout, so a dead instance's leases (twice request + connect timeout, + 30 s) run out sooner.
WORKER_ENV = {"HERALD_LOG_LEVEL": "notice", "HERALD_REQUEST_TIMEOUT": "5"}


def psql(database_url: str, sql: str) -> str:
    return subprocess.check_output(["psql", "-X", "-q", "-t", "-A", database_url, "-c", sql], text=True).strip()


def lease_owner(instance: HeraldProcess) -> str:
    with open(instance.log_path) as log:
        match = re.search(r"herald\.lease_owner=(\S+).*delivery worker started|delivery worker started.*herald\.lease_owner=(\S+)", log.read())
    assert match, "the instance did not log its lease owner"
    return match.group(1) or match.group(2)


def set_up_app(url: str, headers: dict, uid: str, receiver_url: str):
    httpx.post(url + "/api/v1/app", json={"name": uid, "uid": uid}, headers=headers).raise_for_status()
    httpx.post(url + f"/api/v1/app/{uid}/endpoint", json={"url": receiver_url + "/hook"}, headers=headers).raise_for_status()


@contextlib.contextmanager
def two_instances(name: str, uid: str):
    """Two instances on one fresh database, application `uid` with an endpoint, and an org token's headers."""
    receiver = Receiver()
    database = fresh_postgres_database()
    with tempfile.TemporaryDirectory() as workdir:
        first, second = (HeraldProcess(workdir, database=database, name=f"{name}{i}") for i in range(2))
        first.start()
        second.start()
        try:
            headers = {"authorization": f"Bearer {first.token()}"}
            set_up_app(first.url, headers, uid, receiver.url)
            yield first, second, headers
        finally:
            first.stop()
            second.stop()
            receiver.close()


def wait_for_delivery(receiver: Receiver, accepted: set, timeout: float) -> list:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if accepted <= {r["headers"]["webhook-id"] for r in receiver.to("/hook")}:
            break
        time.sleep(0.25)
    return [r["headers"]["webhook-id"] for r in receiver.to("/hook")]


def test_three_instances_one_killed_lose_nothing():
    receiver = Receiver(lambda path, index: (time.sleep(0.002), 204)[1])
    database = fresh_postgres_database()
    with tempfile.TemporaryDirectory() as workdir:
        instances = [HeraldProcess(workdir, WORKER_ENV, database=database, name=f"herald{i}") for i in range(3)]
        for instance in instances:
            instance.start()
        headers = {"authorization": f"Bearer {instances[0].token()}"}
        set_up_app(instances[0].url, headers, "fleet", receiver.url)

        victim = instances[1]
        accepted, lock, killed = set(), threading.Lock(), threading.Event()
        cut_off = []  # requests the kill cut off: each may have committed a message whose 202 never came
        in_flight_at_kill = []
        indexes = iter(range(MESSAGES))

        def produce(offset: int):
            targets = itertools.cycle(instances[offset:] + instances[:offset])
            with httpx.Client(timeout=15) as http:
                for index in indexes:
                    while True:
                        target = next(targets)
                        if target is victim and killed.is_set():
                            continue
                        try:
                            response = http.post(
                                target.url + "/api/v1/app/fleet/msg",
                                json={"eventType": "fleet.test", "payload": {"index": index}},
                                headers=headers,
                            )
                        except httpx.TransportError:
                            cut_off.append(index)
                            continue  # that instance just died: the next one takes the message
                        if response.status_code != 202:
                            time.sleep(0.05)
                            continue
                        with lock:
                            accepted.add(response.json()["id"])
                            if len(accepted) == KILL_AFTER and not killed.is_set():
                                os.kill(victim.process.pid, signal.SIGKILL)
                                killed.set()
                                # Deliveries the dead instance had claimed and not finished: the only ones that may
                                # reach the receiver twice (sent, but the result never recorded).
                                owner = lease_owner(victim)
                                in_flight_at_kill.append(int(psql(database, f"SELECT count(*) FROM deliveries WHERE lease_owner = '{owner}'")))
                        break

        producers = [threading.Thread(target=produce, args=(i % 3,)) for i in range(6)]
        for producer in producers:
            producer.start()
        for producer in producers:
            producer.join(timeout=300)
        assert killed.is_set() and victim.process.wait(timeout=10) == -signal.SIGKILL

        received = wait_for_delivery(receiver, accepted, timeout=180)
        missing = accepted - set(received)
        duplicates = len(received) - len(set(received))
        print(
            f"accepted {len(accepted)}, delivered {len(set(received))} distinct, duplicates {duplicates}, "
            f"in flight on the killed instance {in_flight_at_kill[0]}, requests cut off by the kill {len(cut_off)}"
        )
        for instance in instances:
            instance.stop()
        receiver.close()
        assert len(accepted) == MESSAGES
        assert not missing, f"{len(missing)} accepted messages never arrived"
        assert duplicates <= in_flight_at_kill[0]
        # A request cut off by the kill may have committed before the 202 was lost; the client's retry (without an
        # idempotency key) then made a second message. Both are delivered, so only those may be unknown to the client.
        assert len(set(received) - accepted) <= len(cut_off)


def test_database_outage_answers_503_and_loses_nothing():
    cluster = os.environ.get("HERALD_TEST_POSTGRES_DIR")
    if not cluster:
        pytest.skip("needs HERALD_TEST_POSTGRES_DIR to stop and start the server")
    control = os.path.join(ROOT, "scripts", "postgres-cluster")
    receiver = Receiver()
    with tempfile.TemporaryDirectory() as workdir:
        herald = HeraldProcess(workdir, {"HERALD_LOG_LEVEL": "notice"})
        herald.start()
        headers = {"authorization": f"Bearer {herald.token()}"}
        set_up_app(herald.url, headers, "outage", receiver.url)

        accepted, refusals, hangs, lock = set(), [], [], threading.Lock()
        stop = threading.Event()

        def produce():
            with httpx.Client(timeout=30) as http:
                index = 0
                while not stop.is_set():
                    try:
                        response = http.post(
                            herald.url + "/api/v1/app/outage/msg",
                            json={"eventType": "outage.test", "payload": {"index": index}},
                            headers=headers,
                        )
                    except httpx.TimeoutException:
                        hangs.append(index)  # no answer in 30 s: the outage made a request hang
                        continue
                    with lock:
                        if response.status_code == 202:
                            accepted.add(response.json()["id"])
                            index += 1
                        else:
                            refusals.append((response.status_code, response.headers.get("content-type"), response.json()))
                    if response.status_code != 202:
                        time.sleep(0.1)

        producers = [threading.Thread(target=produce) for _ in range(3)]
        for producer in producers:
            producer.start()
        while len(accepted) < 300:
            time.sleep(0.05)

        subprocess.run([control, "pause", cluster], check=True)
        try:
            health = httpx.get(herald.url + "/api/v1/health", timeout=30)
            assert health.status_code == 503 and health.json() == {"database": {"status": "error"}}
            during = httpx.post(
                herald.url + "/api/v1/app/outage/msg", json={"eventType": "outage.test", "payload": {}}, headers=headers, timeout=30
            )
            assert during.status_code == 503
            assert during.json()["code"] == "service_unavailable"
            time.sleep(2)
        finally:
            subprocess.run([control, "resume", cluster], check=True)

        deadline = time.time() + 60
        while httpx.get(herald.url + "/api/v1/health", timeout=30).status_code != 200:
            assert time.time() < deadline, "Herald did not reconnect within 60 s"
            time.sleep(0.2)
        before = len(accepted)
        while len(accepted) < before + 300:
            time.sleep(0.05)
        stop.set()
        for producer in producers:
            producer.join(timeout=60)

        received = wait_for_delivery(receiver, accepted, timeout=120)
        herald.stop()
        receiver.close()
        with open(herald.log_path) as log:
            text = log.read()
        print(f"accepted {len(accepted)}, refused during the outage {len(refusals)}, delivered {len(set(received))}")
        assert not hangs, f"{len(hangs)} requests got no answer within 30 s"
        assert accepted <= set(received), f"{len(accepted - set(received))} accepted messages never arrived"
        assert refusals and all(status == 503 and kind == "application/json" for status, kind, _ in refusals)
        assert "PostgreSQL is unreachable" in text and "PostgreSQL is reachable again" in text


def test_a_viewer_on_one_instance_sees_activity_of_another():
    """The live stream reads the database, so a dashboard connected to one instance shows what another did."""
    from test_pull import read_live

    with two_instances("live", "shared") as (writer, viewer, headers):
        result = {}
        watcher = threading.Thread(target=lambda: result.setdefault("events", read_live(
            viewer.url + "/api/v1/live", headers,
            lambda events: any(kind == "attempt" for kind, _ in events))))
        watcher.start()
        time.sleep(0.5)
        sent = httpx.post(writer.url + "/api/v1/app/shared/msg", json={"eventType": "a.b", "payload": {}}, headers=headers).json()["id"]
        watcher.join(timeout=30)
        kinds = {kind: data for kind, data in result["events"]}
        assert kinds["message"]["id"] == sent
        assert kinds["attempt"]["msgId"] == sent


def refused_within(url: str, headers: dict, refused_status: int, limit: float) -> float:
    """Seconds until a request to `url` is answered `refused_status` (polled); fails after `limit`."""
    start = time.monotonic()
    while time.monotonic() - start < limit:
        if httpx.get(url, headers=headers).status_code == refused_status:
            return time.monotonic() - start
        time.sleep(0.01)
    raise AssertionError(f"{url} still answered after {limit} s")


def test_a_logout_or_an_application_change_on_one_instance_holds_on_another():
    """Instances cache verified tokens and applications, and drop them on news of another instance's change (NOTIFY):
    a logout or an application deleted on one holds on the other within its caches' time to live at most (2 s and
    1 s), normally within milliseconds."""
    with two_instances("cache", "cached") as (first, second, headers):
        app_url = "/api/v1/app/cached"
        # Both instances have the token and the application in their caches.
        for instance in (first, second):
            assert httpx.get(instance.url + app_url, headers=headers).status_code == 200
        httpx.delete(first.url + app_url, headers=headers).raise_for_status()
        app_gone = refused_within(second.url + app_url, headers, 404, limit=10)

        assert httpx.get(second.url + "/api/v1/app", headers=headers).status_code == 200
        httpx.post(first.url + "/api/v1/auth/logout", headers=headers).raise_for_status()
        logged_out = refused_within(second.url + "/api/v1/app", headers, 401, limit=10)
        print(f"application deleted on one instance gone on the other after {app_gone:.3f} s; logout after {logged_out:.3f} s")
        # What the first instance refuses, the second does too, for good.
        other_token = {"authorization": f"Bearer {first.token()}"}
        for _ in range(20):
            assert httpx.get(second.url + "/api/v1/app", headers=headers).status_code == 401
            assert httpx.get(second.url + app_url, headers=other_token).status_code == 404
