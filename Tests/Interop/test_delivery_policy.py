"""Endpoint delivery policies over HTTP, on the backend under test: a payload filter decides which messages an endpoint
gets, a retry schedule of its own replaces the server's, and a bad policy is a 422 that changes nothing."""

import time
import uuid

import httpx

from receiver import Receiver


def wait_until(check, timeout=60.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    return check()


def test_policies_filter_fan_out_and_schedule_retries(herald):
    api = httpx.Client(base_url=herald.url + "/api/v1", headers={"authorization": f"Bearer {herald.token()}"}, timeout=30)
    receiver = Receiver(lambda path, index: 503 if path.startswith("/down") else 204)
    app = "policy-" + uuid.uuid4().hex[:6]
    try:
        api.post("/app", json={"name": "Policies", "uid": app}).raise_for_status()
        for uid in ["large", "all", "down-twice", "down-once"]:
            api.post(f"/app/{app}/endpoint", json={"url": f"{receiver.url}/{uid}", "uid": uid}).raise_for_status()

        large = {"data.amount": {"$gte": 100}, "data.currency": {"$in": ["eur", "usd"]}}
        put = api.put(f"/app/{app}/endpoint/large/policy", json={"filter": large})
        assert put.status_code == 200 and put.json()["filter"] == large
        assert put.json()["serverDefaults"]["timeoutSeconds"] >= 1
        # Retries a second apart: with the server's schedule (5 s, then 5 min) the third attempt would not come.
        assert api.put(f"/app/{app}/endpoint/down-twice/policy", json={"retrySchedule": [1, 1]}).status_code == 200
        assert api.put(f"/app/{app}/endpoint/down-once/policy", json={"retrySchedule": []}).status_code == 200

        refused = api.put(f"/app/{app}/endpoint/large/policy", json={"filter": {"data.amount": {"$regex": "^1"}}})
        assert refused.status_code == 422
        assert refused.json()["detail"][0]["loc"] == ["body", "filter", "data.amount", "$regex"]
        assert api.get(f"/app/{app}/endpoint/large/policy").json()["filter"] == large

        payloads = [
            {"data": {"amount": 150, "currency": "eur"}},
            {"data": {"amount": 50, "currency": "eur"}},
            {"data": {"amount": 500, "currency": "gbp"}},
            {"data": {"amount": 100.0, "currency": "usd"}},
        ]
        ids = [api.post(f"/app/{app}/msg", json={"eventType": "order.paid", "payload": p}).json()["id"] for p in payloads]

        assert len(receiver.wait_for("/all", len(payloads))) == len(payloads)
        # The filtered endpoint's deliveries were decided at fan-out: the ones it matches, nothing else.
        destinations = {
            message: {d["url"].rsplit("/", 1)[1] for d in api.get(f"/app/{app}/msg/{message}/endpoint").json()["data"]} for message in ids
        }
        assert [("large" in destinations[message]) for message in ids] == [True, False, False, True]
        received = sorted(r["headers"]["webhook-id"] for r in receiver.wait_for("/large", 2))
        assert received == sorted([ids[0], ids[3]])

        def attempts(uid):
            return api.get(f"/app/{app}/attempt/endpoint/{uid}", params={"limit": 250}).json()["data"]

        # Three attempts per message (the first and its two retries), then failed for good.
        assert wait_until(lambda: len(attempts("down-twice")) == 3 * len(ids), timeout=90)
        assert len(attempts("down-once")) == len(ids)
        statuses = wait_until(
            lambda: [d for m in ids for d in api.get(f"/app/{app}/msg/{m}/endpoint").json()["data"] if d["url"].endswith("/down-once") and d["status"] == 2]
        )
        assert len(statuses) == len(ids)
        time.sleep(2.5)
        assert len(attempts("down-twice")) == 3 * len(ids)
        assert len(receiver.to("/large")) == 2
    finally:
        receiver.close()
