"""Delivery control over HTTP, on the backend under test: an endpoint's `throttleRate` paces what it receives (its
burst, then the rate, never more); a 429 with Retry-After holds the endpoint's other deliveries back until then; a
circuit breaker stops sending after failures in a row and one probe reopens it; an ordered endpoint gets its messages
one at a time, in order, through a failure. Only bounds that a slow machine cannot break are asserted: sends no
closer together than the rate or the pause allows."""

import time
import uuid

import httpx

from receiver import Receiver


def wait_until(check, timeout=30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return check()


def most_within(times, seconds):
    times = sorted(times)
    start, most = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= seconds:
            start += 1
        most = max(most, end - start + 1)
    return most


def test_a_throttled_endpoint_is_paced_and_another_is_not(herald):
    api = httpx.Client(base_url=herald.url + "/api/v1", headers={"authorization": f"Bearer {herald.token()}"}, timeout=30)
    receiver = Receiver()
    app = "throttle-" + uuid.uuid4().hex[:6]
    try:
        api.post("/app", json={"name": "Throttled", "uid": app}).raise_for_status()
        created = api.post(f"/app/{app}/endpoint", json={"url": f"{receiver.url}/paced", "throttleRate": 10})
        assert created.status_code == 201 and created.json()["throttleRate"] == 10
        api.post(f"/app/{app}/endpoint", json={"url": f"{receiver.url}/free"}).raise_for_status()
        ids = [api.post(f"/app/{app}/msg", json={"eventType": "order.paid", "payload": {"n": n}}).json()["id"] for n in range(40)]

        paced = receiver.wait_for("/paced", 40, timeout=60)
        assert sorted(r["headers"]["webhook-id"] for r in paced) == sorted(ids)
        free = receiver.wait_for("/free", 40)
        assert len(free) == 40
        times = [r["at"] for r in paced]
        # 10/s with a burst of 1: 39 intervals of 100 ms at least (a little slack for when requests reach the receiver).
        assert max(times) - min(times) >= 3.7, max(times) - min(times)
        assert most_within(times, 1.0) <= 12, most_within(times, 1.0)
        # Every delivery succeeded on its first attempt: waiting for its turn is not an attempt.
        endpoint = api.get(f"/app/{app}/endpoint").json()["data"]
        paced_id = next(e["id"] for e in endpoint if e["url"].endswith("/paced"))
        attempts = api.get(f"/app/{app}/attempt/endpoint/{paced_id}", params={"limit": 250}).json()["data"]
        assert len(attempts) == 40 and all(a["status"] == 0 for a in attempts)
    finally:
        receiver.close()


def test_retry_after_holds_back_the_endpoints_other_deliveries(herald):
    api = httpx.Client(base_url=herald.url + "/api/v1", headers={"authorization": f"Bearer {herald.token()}"}, timeout=30)
    receiver = Receiver(lambda path, index: 429 if index == 0 else 204, headers=lambda path, index: {"retry-after": "3"} if index == 0 else {})
    app = "slowdown-" + uuid.uuid4().hex[:6]
    try:
        api.post("/app", json={"name": "Slow down", "uid": app}).raise_for_status()
        api.post(f"/app/{app}/endpoint", json={"url": f"{receiver.url}/busy", "uid": "busy"}).raise_for_status()
        api.post(f"/app/{app}/msg", json={"eventType": "order.paid", "payload": {}}).raise_for_status()
        first = receiver.wait_for("/busy", 1)
        assert len(first) == 1
        # The receiver logs the request before Herald has read its 429: wait until the slow-down is recorded, since a
        # delivery claimed before that moment is already on its way.
        deadline = time.monotonic() + 10
        while api.get(f"/app/{app}/endpoint/busy/policy").json()["state"]["pausedUntil"] is None:
            assert time.monotonic() < deadline, "the 429 never slowed the endpoint"
            time.sleep(0.05)
        for n in range(2):
            api.post(f"/app/{app}/msg", json={"eventType": "order.paid", "payload": {"n": n}}).raise_for_status()
        later = receiver.wait_for("/busy", 3, timeout=30)
        assert len(later) == 3
        # Held back until the 3 s the receiver asked for had passed.
        assert min(r["at"] for r in later[1:]) - first[0]["at"] >= 2.9
    finally:
        receiver.close()


def test_a_breaker_opens_after_failures_in_a_row_and_a_probe_closes_it(herald):
    api = httpx.Client(base_url=herald.url + "/api/v1", headers={"authorization": f"Bearer {herald.token()}"}, timeout=30)
    receiver = Receiver(lambda path, index: 500 if index < 2 else 204)
    app = "breaker-" + uuid.uuid4().hex[:6]
    try:
        api.post("/app", json={"name": "Breaker", "uid": app}).raise_for_status()
        api.post(f"/app/{app}/endpoint", json={"url": f"{receiver.url}/flaky", "uid": "flaky"}).raise_for_status()
        policy = {"retrySchedule": [600], "circuitBreaker": {"failureThreshold": 2, "cooldownSeconds": 2}}
        put = api.put(f"/app/{app}/endpoint/flaky/policy", json=policy)
        assert put.status_code == 200, put.text
        assert put.json()["circuitBreaker"] == {"enabled": True, "failureThreshold": 2, "cooldownSeconds": 2}
        assert put.json()["state"] == {"circuitBreaker": "closed", "pausedUntil": None}
        bad = api.put(f"/app/{app}/endpoint/flaky/policy", json={"circuitBreaker": {"failureThreshold": 0, "cooldown": 1}})
        assert bad.status_code == 422
        assert sorted(d["loc"] for d in bad.json()["detail"]) == [
            ["body", "circuitBreaker", "cooldown"], ["body", "circuitBreaker", "failureThreshold"]]

        for n in range(2):
            api.post(f"/app/{app}/msg", json={"eventType": "order.paid", "payload": {"n": n}}).raise_for_status()
            receiver.wait_for("/flaky", n + 1)
        failed = receiver.wait_for("/flaky", 2)
        opened = wait_until(lambda: api.get(f"/app/{app}/endpoint/flaky/policy").json()["state"]["circuitBreaker"] == "open", 10)
        assert opened
        assert api.get(f"/app/{app}/endpoint/flaky/policy").json()["state"]["pausedUntil"] is not None
        for n in range(3):
            api.post(f"/app/{app}/msg", json={"eventType": "order.paid", "payload": {"n": 10 + n}}).raise_for_status()
        later = receiver.wait_for("/flaky", 5, timeout=30)
        assert len(later) == 5
        # Nothing went while it was open: the probe came after the 2 s cool-down, then the rest.
        assert min(r["at"] for r in later[2:]) - failed[1]["at"] >= 1.9
        assert wait_until(lambda: api.get(f"/app/{app}/endpoint/flaky/policy").json()["state"]["circuitBreaker"] == "closed", 10)
    finally:
        receiver.close()


def test_an_ordered_endpoint_gets_one_message_at_a_time_in_order(herald):
    api = httpx.Client(base_url=herald.url + "/api/v1", headers={"authorization": f"Bearer {herald.token()}"}, timeout=30)
    receiver = Receiver(lambda path, index: 503 if index == 1 else 204)
    app = "fifo-" + uuid.uuid4().hex[:6]
    try:
        api.post("/app", json={"name": "Ordered", "uid": app}).raise_for_status()
        api.post(f"/app/{app}/endpoint", json={"url": f"{receiver.url}/ordered", "uid": "ordered"}).raise_for_status()
        put = api.put(f"/app/{app}/endpoint/ordered/policy", json={"ordering": "fifo", "retrySchedule": [1, 1]})
        assert put.status_code == 200 and put.json()["ordering"] == "fifo"
        assert api.put(f"/app/{app}/endpoint/ordered/policy", json={"ordering": "lifo"}).status_code == 422
        ids = [api.post(f"/app/{app}/msg", json={"eventType": "order.paid", "payload": {"n": n}}).json()["id"] for n in range(8)]
        arrived = receiver.wait_for("/ordered", 9, timeout=60)
        order = [r["headers"]["webhook-id"] for r in arrived]
        # The second failed once and was retried before the third went.
        assert order == ids[:2] + ids[1:], order
    finally:
        receiver.close()
