"""Throttle rates and slow-downs over HTTP, on the backend under test: an endpoint's `throttleRate` paces what it
receives (its burst, then the rate, never more), and a 429 with Retry-After holds the endpoint's other deliveries back
until then. Only bounds that a slow machine cannot break are asserted: sends no closer together than the rate allows."""

import time
import uuid

import httpx

from receiver import Receiver


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
        api.post(f"/app/{app}/endpoint", json={"url": f"{receiver.url}/busy"}).raise_for_status()
        api.post(f"/app/{app}/msg", json={"eventType": "order.paid", "payload": {}}).raise_for_status()
        first = receiver.wait_for("/busy", 1)
        assert len(first) == 1
        for n in range(2):
            api.post(f"/app/{app}/msg", json={"eventType": "order.paid", "payload": {"n": n}}).raise_for_status()
        later = receiver.wait_for("/busy", 3, timeout=30)
        assert len(later) == 3
        # Held back until the 3 s the receiver asked for had passed.
        assert min(r["at"] for r in later[1:]) - first[0]["at"] >= 2.9
    finally:
        receiver.close()
