"""Retention through the command line and the API, on the selected backend: `herald prune --retention` deletes the
messages older than the period whose deliveries have ended, with their attempts, and nothing else — not a message
still waiting for a retry, not a newer one."""

import subprocess
import tempfile
import time

import httpx

from conftest import HeraldProcess
from receiver import Receiver


def test_prune_deletes_old_delivered_messages_and_nothing_else():
    # /down keeps failing: its message waits for retries and must survive any retention.
    receiver = Receiver(script=lambda path, index: 503 if path == "/down" else 204)
    with tempfile.TemporaryDirectory() as workdir:
        herald = HeraldProcess(workdir, extra_env={"HERALD_RETRY_SCHEDULE": "3600"})
        herald.start()
        try:
            headers = {"authorization": f"Bearer {herald.token()}"}
            app = httpx.post(herald.url + "/api/v1/app", json={"name": "Retention"}, headers=headers).json()
            base = herald.url + f"/api/v1/app/{app['id']}"
            for name in ("order.paid", "order.stuck"):
                httpx.post(herald.url + "/api/v1/event-type", json={"name": name, "description": name}, headers=headers)
            httpx.post(base + "/endpoint", json={"url": receiver.url + "/ok", "filterTypes": ["order.paid"]},
                       headers=headers).raise_for_status()
            httpx.post(base + "/endpoint", json={"url": receiver.url + "/down", "filterTypes": ["order.stuck"]},
                       headers=headers).raise_for_status()

            def send(event_type: str) -> str:
                created = httpx.post(base + "/msg", json={"eventType": event_type, "payload": {"t": time.time()}}, headers=headers)
                created.raise_for_status()
                return created.json()["id"]

            old = [send("order.paid") for _ in range(3)]
            stuck = send("order.stuck")
            assert len(receiver.wait_for("/ok", 3)) == 3
            assert len(receiver.wait_for("/down", 1)) == 1
            time.sleep(2)
            split = time.time()
            time.sleep(2)
            new = [send("order.paid") for _ in range(2)]
            assert len(receiver.wait_for("/ok", 5)) == 5
            # The last result is recorded a moment after the receiver saw it.
            deadline = time.time() + 10
            while any(httpx.get(base + f"/attempt/msg/{message}", headers=headers).json()["data"] == [] for message in new):
                assert time.time() < deadline
                time.sleep(0.1)
        finally:
            herald.stop()

        # A period ending between the old messages and the new, whatever the time the steps above took.
        period = round(time.time() - split)
        pruned = subprocess_prune(herald, f"{period}s")
        assert "deleted 3 messages (older than" in pruned, pruned

        herald.start()
        try:
            for message in old:
                assert httpx.get(base + f"/msg/{message}", headers=headers).status_code == 404
                assert httpx.get(base + f"/attempt/msg/{message}", headers=headers).status_code == 404
            assert httpx.get(base + f"/msg/{stuck}", headers=headers).status_code == 200
            assert len(httpx.get(base + f"/attempt/msg/{stuck}", headers=headers).json()["data"]) == 1
            for message in new:
                assert httpx.get(base + f"/msg/{message}", headers=headers).status_code == 200
                assert len(httpx.get(base + f"/attempt/msg/{message}", headers=headers).json()["data"]) == 1
            listed = httpx.get(base + "/msg", headers=headers).json()["data"]
            assert sorted(message["id"] for message in listed) == sorted(new + [stuck])
        finally:
            herald.stop()
            receiver.close()


def subprocess_prune(herald: HeraldProcess, retention: str) -> str:
    result = subprocess.run(herald.args("prune") + ["--retention", retention], cwd=herald.workdir, env=herald.env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout
