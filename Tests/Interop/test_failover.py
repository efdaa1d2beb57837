"""A primary failover loses nothing (issue #16): Herald on a Patroni cluster (three PostgreSQL nodes, synchronous
replication, etcd, HAProxy in front), under steady load, while the primary node is SIGKILLed and Patroni promotes its
synchronous standby.

Run by scripts/test-failover, which starts the cluster (scripts/patroni-cluster) and sets HERALD_TEST_PATRONI_DIR and
HERALD_TEST_PATRONI_URL; it prints the figures and writes them to $HERALD_FAILOVER_REPORT if set."""

import collections
import json
import os
import subprocess
import tempfile
import threading
import time

import httpx
import pytest

from conftest import ROOT, HeraldProcess
from receiver import Receiver

CLUSTER = os.environ.get("HERALD_TEST_PATRONI_DIR")
URL = os.environ.get("HERALD_TEST_PATRONI_URL")
pytestmark = pytest.mark.skipif(not (CLUSTER and URL), reason="needs the Patroni cluster of scripts/test-failover")

RATE = int(os.environ.get("HERALD_FAILOVER_RATE", "500"))
BEFORE_KILL = float(os.environ.get("HERALD_FAILOVER_BEFORE", "15"))
AFTER_RECOVERY = float(os.environ.get("HERALD_FAILOVER_AFTER", "15"))
APPS = 4
SENDERS = int(os.environ.get("HERALD_FAILOVER_SENDERS", "48"))
CONTROL = os.path.join(ROOT, "scripts", "patroni-cluster")


def test_a_killed_primary_loses_no_accepted_message():
    receiver = Receiver()
    with tempfile.TemporaryDirectory() as workdir:
        # A short webhook timeout shortens delivery leases (twice it, plus 30 s): a delivery whose result the dead
        # primary took with it is sent again sooner.
        # Retries a few seconds apart: an attempt the receiver could not take (a loaded machine) is tried again within
        # the test's wait, so what stays undelivered is the failover's doing.
        herald = HeraldProcess(
            workdir, {"HERALD_LOG_LEVEL": "notice", "HERALD_REQUEST_TIMEOUT": "5", "HERALD_RETRY_SCHEDULE": "1,2,5,10,20"}, database=URL
        )
        herald.start()
        headers = {"authorization": f"Bearer {herald.token()}"}
        for app in range(APPS):
            httpx.post(herald.url + "/api/v1/app", json={"name": f"ha{app}", "uid": f"ha{app}"}, headers=headers).raise_for_status()
            httpx.post(
                herald.url + f"/api/v1/app/ha{app}/endpoint", json={"url": receiver.url + f"/ha{app}"}, headers=headers
            ).raise_for_status()

        lock = threading.Lock()
        accepted = {}  # message id -> app
        answered_at = {}  # message id -> when its 202 came
        answers = []  # (sent at, answered at, status)
        hangs = []
        stop = threading.Event()
        start = time.time()

        def send(worker: int):
            # Open loop: each sender has its share of the rate on a fixed schedule, whatever the answers take.
            interval = SENDERS / RATE
            with httpx.Client(timeout=30) as http:
                index = worker
                while not stop.is_set():
                    due = start + (index // SENDERS) * interval + worker * interval / SENDERS
                    if due > time.time():
                        time.sleep(due - time.time())
                    app = f"ha{index % APPS}"
                    sent = time.time()
                    try:
                        response = http.post(
                            herald.url + f"/api/v1/app/{app}/msg",
                            json={"eventType": "ha.event", "payload": {"index": index}},
                            headers=headers,
                        )
                    except httpx.HTTPError:
                        with lock:
                            hangs.append(sent)
                        index += SENDERS
                        continue
                    with lock:
                        answers.append((sent, time.time(), response.status_code))
                        if response.status_code == 202:
                            accepted[response.json()["id"]] = app
                            answered_at[response.json()["id"]] = time.time()
                    index += SENDERS

        senders = [threading.Thread(target=send, args=(worker,)) for worker in range(SENDERS)]
        for sender in senders:
            sender.start()
        time.sleep(BEFORE_KILL)

        primary = subprocess.check_output([CONTROL, "primary", CLUSTER], text=True).strip()
        killed_at = time.time()
        subprocess.run([CONTROL, "kill", CLUSTER, primary], check=True)

        # The outage: from the kill to the first 202 for a request sent after the last refused one (or one that got no
        # answer). A kill takes a moment to land (Patroni, the postmaster and the backends die one after another), so a
        # request can be refused and the next accepted before the primary is really gone: wait for failures, then for
        # 3 s without one, and measure from the last.
        def last_failure():
            with lock:
                failed = [sent for sent, _, status in answers if sent > killed_at and status != 202] + [s for s in hangs if s > killed_at]
            return max(failed) if failed else None

        while True:
            assert time.time() - killed_at < 120, "Herald did not accept again within 120 s of the kill"
            time.sleep(0.1)
            last = last_failure()
            if last is not None and time.time() - last > 3:
                with lock:
                    if any(sent > last and status == 202 for sent, _, status in answers):
                        break
        time.sleep(AFTER_RECOVERY)
        stopped_at = time.time()
        stop.set()
        for sender in senders:
            sender.join(timeout=60)
        last = last_failure()
        recovered_at = min((answered for sent, answered, status in answers if sent > last and status == 202), default=None)
        assert recovered_at is not None, "no request sent after the last refused one was accepted"
        new_primary = subprocess.check_output([CONTROL, "primary", CLUSTER], text=True).strip()

        # Lost: answered 202 but not in the new primary's messages table.
        stored = set(
            subprocess.check_output(["psql", "-X", "-q", "-t", "-A", URL, "-c", "SELECT id FROM messages"], text=True).split()
        )
        lost = [id for id in accepted if id not in stored]

        # Delivered: every accepted message at its endpoint, counting duplicates.
        deadline = time.time() + 180
        arrivals = collections.Counter()
        while time.time() < deadline:
            arrivals = collections.Counter(
                (request["path"][1:], request["headers"]["webhook-id"]) for app in range(APPS) for request in receiver.to(f"/ha{app}")
            )
            if all((app, id) in arrivals for id, app in accepted.items()):
                break
            time.sleep(0.5)
        undelivered = [id for id, app in accepted.items() if (app, id) not in arrivals]
        duplicates = sum(count - 1 for count in arrivals.values() if count > 1)
        never_accepted = sum(1 for (_, id) in arrivals if id not in accepted)

        # Attempts that failed (a receiver that could not keep up, say): retried within the wait, and reported.
        failed_attempts = int(
            subprocess.check_output(["psql", "-X", "-q", "-t", "-A", URL, "-c", "SELECT count(*) FROM attempts WHERE status <> 0"], text=True)
        )
        # What the database says of undelivered messages, while it and Herald still run (a failure says why at once).
        stuck = ""
        if undelivered:
            ids = ",".join(f"'{id}'" for id in undelivered[:5])
            stuck = "\n".join(
                subprocess.run(["psql", "-X", "-q", "-A", URL, "-c", query], text=True, capture_output=True).stdout
                for query in (
                    f"SELECT *, (extract(epoch from now()) * 1000)::bigint AS now_ms FROM deliveries WHERE msg_id IN ({ids})",
                    f"SELECT id, msg_id, response_status_code, status, created_at FROM attempts WHERE msg_id IN ({ids})",
                    f"SELECT id, created_at FROM messages WHERE id IN ({ids})",
                    "SELECT id, disabled FROM endpoints",
                    "SELECT * FROM delivery_gates",
                    "SELECT * FROM parked_endpoints",
                )
            )

        herald.stop()
        receiver.close()
        log = open(herald.log_path).read()
        if undelivered:
            stuck += "\nHerald's log, warnings and errors and the lines naming them:\n" + "\n".join(
                line
                for line in log.splitlines()
                if any(id in line for id in undelivered[:5]) or "warning" in line or "error" in line
            )[-20000:]
        refused = [status for sent, _, status in answers if status != 202]
        figures = {
            "rate_offered": RATE,
            # What the senders managed (each waits for its answer: on a loaded machine, less than offered).
            "rate_answered": round(len(answers) / (stopped_at - start), 1),
            "killed": primary,
            "promoted": new_primary,
            "accepted": len(accepted),
            "lost": len(lost),
            "undelivered": len(undelivered),
            "duplicates": duplicates,
            "failed_attempts": failed_attempts,
            "delivered_without_a_202": never_accepted,
            "refused": len(refused),
            "refused_statuses": sorted(set(refused)),
            "requests_without_an_answer": len(hangs),
            "seconds_to_accept_again": round(recovered_at - killed_at, 2),
            "lost_answered_after_kill_s": [round(answered_at[id] - killed_at, 3) for id in lost],
            "outage_logged": log.count("PostgreSQL is unreachable"),
            "end_logged": log.count("PostgreSQL is reachable again"),
        }
        print("failover figures: " + json.dumps(figures))
        report = os.environ.get("HERALD_FAILOVER_REPORT")
        if report:
            with open(report, "w") as out:
                json.dump(figures, out, indent=2)

        assert new_primary and new_primary != primary
        assert not lost, f"{len(lost)} messages answered 202 are missing on the new primary"
        assert not undelivered, f"{len(undelivered)} accepted messages were never delivered\n{stuck}"
        assert recovered_at - killed_at <= 30, f"accepting again took {recovered_at - killed_at:.1f} s"
        assert set(refused) <= {503}, f"refusals other than 503: {sorted(set(refused))}"
        assert not hangs, f"{len(hangs)} requests got no answer within 30 s"
        # The outage is logged once when it starts and once when it ends (connections the kill broke, failing just after
        # the switch, are not a second outage).
        outage_lines = [line for line in log.splitlines() if "PostgreSQL is" in line]
        assert figures["outage_logged"] == 1 and figures["end_logged"] == 1, (
            f"killed at {time.strftime('%H:%M:%S', time.gmtime(killed_at))}.{int(killed_at % 1 * 1000):03d} UTC; "
            + "\n".join(outage_lines)
        )
