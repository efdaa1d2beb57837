"""Inbound sources over HTTP, on the backend under test (issue #21): requests signed the way Stripe (its own library),
GitHub, Shopify and Standard Webhooks senders sign are accepted, a tampered copy of each is refused with nothing
stored, and every accepted event reaches an internal receiver byte for byte with the sender's headers — after that
receiver was down for a while."""

import base64
import datetime
import hashlib
import hmac
import json
import threading
import time
import uuid

import httpx
import standardwebhooks
import stripe

from receiver import Receiver

STRIPE_SECRET = "whsec_" + "s" * 32
GITHUB_SECRET = "It's a Secret to Everybody"
SHOPIFY_SECRET = "shpss_" + "k" * 32
STANDARD_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def wait_until(check, timeout=60.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    return check()


def signed_requests():
    """One request per sender, as (source uid, body bytes, headers, expected event type, expected event id)."""
    stripe_body = json.dumps({"id": "evt_" + uuid.uuid4().hex, "object": "event", "type": "payment_intent.succeeded", "data": {"object": {"amount": 2000}}})
    stripe_header = stripe.WebhookSignature.generate_signature_header(stripe_body, STRIPE_SECRET)
    github_body = b'{"ref":"refs/heads/main","after":"0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"}'
    github_delivery = str(uuid.uuid4())
    github_signature = "sha256=" + hmac.new(GITHUB_SECRET.encode(), github_body, hashlib.sha256).hexdigest()
    shopify_body = b'{"id":820982911946154508,"email":"jon@example.com"}'
    shopify_id = str(uuid.uuid4())
    shopify_signature = base64.b64encode(hmac.new(SHOPIFY_SECRET.encode(), shopify_body, hashlib.sha256).digest()).decode()
    standard_body = '{"type":"invoice.paid","timestamp":"2026-12-02T00:00:00Z","data":{"id":"in_1"}}'
    standard_id = "msg_" + uuid.uuid4().hex
    standard_signature = standardwebhooks.Webhook(STANDARD_SECRET).sign(standard_id, datetime.datetime.now(tz=datetime.timezone.utc), standard_body)
    return [
        ("stripe", stripe_body.encode(), {"Stripe-Signature": stripe_header, "Content-Type": "application/json; charset=utf-8", "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)"},
         "payment_intent.succeeded", json.loads(stripe_body)["id"]),
        ("github", github_body, {"X-Hub-Signature-256": github_signature, "X-GitHub-Event": "push", "X-GitHub-Delivery": github_delivery, "Content-Type": "application/json"},
         "push", github_delivery),
        ("shopify", shopify_body, {"X-Shopify-Hmac-Sha256": shopify_signature, "X-Shopify-Topic": "orders/create", "X-Shopify-Webhook-Id": shopify_id, "Content-Type": "application/json"},
         "orders.create", shopify_id),
        ("standard", standard_body.encode(), {"webhook-id": standard_id, "webhook-timestamp": standard_signature and str(int(time.time())), "webhook-signature": standard_signature, "Content-Type": "application/json"},
         # A sender id Herald cannot take as an event id (here one starting msg_, Herald's own prefix) is kept hashed.
         "invoice.paid", "sha256-" + hashlib.sha256(standard_id.encode()).hexdigest()),
    ]


def tampered(body: bytes) -> bytes:
    return body.replace(b"}", b" }", 1)


def test_signed_webhooks_are_received_verified_and_forwarded_byte_for_byte(herald):
    api = httpx.Client(base_url=herald.url + "/api/v1", headers={"authorization": f"Bearer {herald.token()}"}, timeout=30)
    public = httpx.Client(timeout=30)
    up = threading.Event()
    receiver = Receiver(lambda path, index: 204 if up.is_set() else 503)
    app = "inbound-" + uuid.uuid4().hex[:6]
    try:
        api.post("/app", json={"name": "Inbound", "uid": app}).raise_for_status()
        api.post(f"/app/{app}/endpoint", json={"url": f"{receiver.url}/internal", "uid": "internal"}).raise_for_status()
        assert api.put(f"/app/{app}/endpoint/internal/policy", json={"retrySchedule": [1] * 20, "circuitBreaker": {"enabled": False}}).status_code == 200
        verifications = {
            "stripe": {"type": "stripe", "secret": STRIPE_SECRET},
            "github": {"type": "github", "secret": GITHUB_SECRET},
            "shopify": {"type": "shopify", "secret": SHOPIFY_SECRET},
            "standard": {"type": "standard-webhooks", "secret": STANDARD_SECRET},
        }
        ingest = {}
        for uid, verification in verifications.items():
            created = api.post(f"/app/{app}/source", json={"name": uid.title(), "uid": uid, "verification": verification})
            assert created.status_code == 201, created.text
            source = created.json()
            # The secret is write-only: a source reads back with its scheme and ingest URL, never the secret.
            assert source["verification"]["type"] == verification["type"] and "secret" not in source["verification"]
            assert verification["secret"] not in created.text
            ingest[uid] = source["ingestUrl"]

        requests = signed_requests()
        for uid, body, headers, _, _ in requests:
            refused = public.post(ingest[uid], content=tampered(body), headers=headers)
            assert refused.status_code == 401, (uid, refused.text)
            assert refused.json() == {"code": "not_accepted", "detail": "Not accepted"}
            # Headers a receiver behind a proxy might trust are never passed on from the internet.
            smuggled = {"X-Forwarded-User": "admin", "X-HTTP-Method-Override": "DELETE", "X-Original-URL": "/admin"}
            accepted = public.post(ingest[uid], content=body, headers={**headers, **smuggled})
            assert accepted.status_code == 200, (uid, accepted.text)
        # The sender's retry of a stored event is acknowledged and not stored again.
        uid, body, headers, _, _ = requests[0]
        again = public.post(ingest[uid], content=body, headers=headers)
        assert again.status_code == 200 and again.json() == {"status": "duplicate"}
        assert public.post(herald.url + "/ingest/insrc_" + "0" * 64, content=body, headers=headers).status_code == 404
        # Each source counts what it received (stored every few seconds): Stripe's refused, stored and retried.
        traffic = wait_until(lambda: (t := api.get(f"/app/{app}/source/stripe").json()["traffic"])["received"] == 3 and t)
        assert traffic and (traffic["accepted"], traffic["duplicates"], traffic["rejected"]) == (1, 1, 1), traffic
        assert traffic["lastRejection"] == "bad_signature" and traffic["lastRejectedAt"]
        sample = traffic["recentRejections"][-1]
        assert sample["reason"] == "bad_signature" and sample["userAgent"].startswith("Stripe/1.0") and sample["contentLength"] > 0

        messages = api.get(f"/app/{app}/msg").json()["data"]
        assert len(messages) == len(requests)
        by_event = {m["eventId"]: m for m in messages}
        for uid, body, headers, event_type, event_id in requests:
            message = by_event[event_id]
            assert message["eventType"] == event_type
            assert message["payload"] == json.loads(body)
            assert message["inbound"]["contentType"] == headers["Content-Type"]

        # The receiver was down through the first attempts; once up, each event arrives as its sender sent it.
        time.sleep(2.5)
        assert len(receiver.to("/internal")) >= len(requests)
        up.set()
        up_at = time.time()
        sent = {body for _, body, _, _, _ in requests}

        def delivered_since_up():
            bodies = {r["body"]: r for r in receiver.to("/internal") if r["at"] >= up_at}
            return bodies if set(bodies) >= sent else None

        bodies = wait_until(delivered_since_up)
        assert bodies, "not every received event reached the internal receiver once it was up"
        for uid, body, headers, _, _ in requests:
            request = bodies[body]
            received = {name.lower(): value for name, value in request["headers"].items()}
            for name, value in headers.items():
                assert received[name.lower()] == value, (uid, name)
            assert not {"x-forwarded-user", "x-http-method-override", "x-original-url"} & set(received), uid
            # Forwarded as the sender sent it: Herald adds no signature of its own unless the endpoint asks.
            if uid != "standard":
                assert "webhook-signature" not in received
        stripe_uid, stripe_body, stripe_headers, _, _ = requests[0]
        forwarded = bodies[stripe_body]
        # Stripe's own library verifies the forwarded request (within its tolerance of the sender's timestamp).
        received = {name.lower(): value for name, value in forwarded["headers"].items()}
        event = stripe.Webhook.construct_event(forwarded["body"], received["stripe-signature"], STRIPE_SECRET)
        assert event["type"] == "payment_intent.succeeded"
    finally:
        receiver.close()


def test_sources_are_managed_rotated_disabled_and_signed_again_on_request(herald):
    api = httpx.Client(base_url=herald.url + "/api/v1", headers={"authorization": f"Bearer {herald.token()}"}, timeout=30)
    public = httpx.Client(timeout=30)
    receiver = Receiver()
    app = "inbound-" + uuid.uuid4().hex[:6]
    try:
        api.post("/app", json={"name": "Inbound", "uid": app}).raise_for_status()
        endpoint = api.post(f"/app/{app}/endpoint", json={"url": f"{receiver.url}/signed", "uid": "signed"}).json()
        assert api.put(f"/app/{app}/endpoint/signed/policy", json={"signInbound": True}).json()["signInbound"] is True
        secret = api.get(f"/app/{app}/endpoint/signed/secret").json()["key"]

        bad = api.post(f"/app/{app}/source", json={"name": "x", "verification": {"type": "stripe"}})
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "verification", "secret"]
        bad = api.post(f"/app/{app}/source", json={"name": "x", "verification": {"type": "github", "secret": "s", "header": "X"}})
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "verification", "header"]
        bad = api.post(f"/app/{app}/source", json={"name": "x", "verification": {"type": "none"}, "eventType": {"xpath": "a"}})
        assert bad.status_code == 422

        source = api.post(
            f"/app/{app}/source",
            json={"name": "Forms", "uid": "forms", "verification": {"type": "basic", "username": "sender", "password": "pw"},
                  "eventType": {"header": "X-Form"}, "eventId": {"jsonPath": "nope"}, "forwardHeaders": ["X-Form"]},
        ).json()
        assert source["forwardHeaders"] == ["x-form"]
        refused = api.patch(f"/app/{app}/source/forms", json={"forwardHeaders": ["X-Form", "Authorization"]})
        assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", "forwardHeaders", "1"]
        assert source["eventType"] == {"header": "X-Form"} and source["verification"] == {"type": "basic", "username": "sender"}
        assert api.get(f"/app/{app}/source").json()["data"][0]["id"] == source["id"]
        url = source["ingestUrl"]
        auth = "Basic " + base64.b64encode(b"sender:pw").decode()
        form = b"name=Ada&amount=12"
        headers = {"Authorization": auth, "Content-Type": "application/x-www-form-urlencoded", "X-Form": "signup"}
        assert public.post(url, content=form, headers={**headers, "Authorization": "Basic " + base64.b64encode(b"sender:px").decode()}).status_code == 401
        assert public.post(url, content=form, headers=headers).status_code == 200

        request = wait_until(lambda: receiver.to("/signed"))[0]
        assert request["body"] == form
        received = {name.lower(): value for name, value in request["headers"].items()}
        assert received["content-type"] == "application/x-www-form-urlencoded" and received["x-form"] == "signup"
        assert "authorization" not in received
        # The endpoint asked for Herald's signature as well: it verifies with the endpoint's own secret.
        # (Checked by hand: the standardwebhooks library parses the body as JSON, and this one is a form.)
        signed = f"{received['webhook-id']}.{received['webhook-timestamp']}.".encode() + request["body"]
        expected = base64.b64encode(hmac.new(base64.b64decode(secret.removeprefix("whsec_")), signed, hashlib.sha256).digest()).decode()
        assert "v1," + expected in received["webhook-signature"].split(" ")
        message = api.get(f"/app/{app}/msg").json()["data"][0]
        assert message["eventType"] == "signup" and message["payload"] == {"contentType": "application/x-www-form-urlencoded", "body": "name=Ada&amount=12"}

        rotated = api.post(f"/app/{app}/source/forms/rotate-token").json()
        assert rotated["ingestUrl"] != source["ingestUrl"]
        assert public.post(url, content=form, headers=headers).status_code == 404
        new_url = rotated["ingestUrl"]
        assert public.post(new_url, content=form, headers=headers).status_code == 200
        assert api.patch(f"/app/{app}/source/forms", json={"disabled": True}).json()["disabled"] is True
        assert public.post(new_url, content=form, headers=headers).status_code == 404
        assert api.delete(f"/app/{app}/source/forms").status_code == 204
        assert api.get(f"/app/{app}/source/forms").status_code == 404
        assert endpoint["id"]
    finally:
        receiver.close()


def test_only_the_granted_application_reaches_a_private_network(tmp_path):
    """With no global allowance, an application granted 127.0.0.0/8 (inside HERALD_GRANTABLE_SUBNETS) forwards a
    received webhook to a receiver on loopback; another application's endpoint there stays blocked."""
    from conftest import HeraldProcess

    server = HeraldProcess(str(tmp_path), extra_env={"HERALD_ALLOWED_SUBNETS": "", "HERALD_GRANTABLE_SUBNETS": "127.0.0.0/8"})
    server.start()
    receiver = Receiver()
    try:
        api = httpx.Client(base_url=server.url + "/api/v1", headers={"authorization": f"Bearer {server.token()}"}, timeout=30)
        public = httpx.Client(timeout=30)
        for uid in ["granted", "guarded"]:
            api.post("/app", json={"name": uid, "uid": uid}).raise_for_status()
        assert api.get("/app/granted/allowed-subnets").json() == {"allowedSubnets": [], "grantableSubnets": ["127.0.0.0/8"]}
        # Before the grant, a customer's app token names an endpoint by a host name (allowed then: it is resolved at
        # send time). The grant does not carry it into the private network: only org tokens' endpoints go there.
        port = receiver.url.rsplit(":", 1)[1]
        portal = api.post("/auth/app-portal-access/granted", json={}).json()["token"]
        as_customer = httpx.Client(base_url=server.url + "/api/v1", headers={"authorization": f"Bearer {portal}"}, timeout=30)
        as_customer.post("/app/granted/endpoint", json={"url": f"http://localhost:{port}/pre-grant", "uid": "pre-grant"}).raise_for_status()
        outside = api.put("/app/granted/allowed-subnets", json={"allowedSubnets": ["10.0.0.0/8"]})
        assert outside.status_code == 422 and outside.json()["detail"][0]["loc"] == ["body", "allowedSubnets", "0"]
        assert api.put("/app/granted/allowed-subnets", json={"allowedSubnets": ["127.0.0.1/32"]}).json()["allowedSubnets"] == ["127.0.0.1/32"]

        # The guarded application may not even name the address; by a host name it is refused at send time.
        refused = api.post("/app/guarded/endpoint", json={"url": f"{receiver.url}/guarded"})
        assert refused.status_code == 422
        api.post("/app/guarded/endpoint", json={"url": f"http://localhost:{port}/guarded", "uid": "guarded"}).raise_for_status()
        api.post("/app/granted/endpoint", json={"url": f"{receiver.url}/granted"}).raise_for_status()

        # Where private networks are open, only org tokens change endpoints (a customer's app token may not).
        assert as_customer.post("/app/granted/endpoint", json={"url": f"{receiver.url}/customer"}).status_code == 403
        assert as_customer.put("/app/granted/endpoint/pre-grant/headers", json={"headers": {"X-Forwarded-User": "admin"}}).status_code == 403
        assert as_customer.get("/app/granted/endpoint").status_code == 200
        source = api.post("/app/granted/source", json={"name": "Plain", "verification": {"type": "none"}}).json()
        url = source["ingestUrl"]
        assert public.post(url, content=b'{"type":"ping"}', headers={"content-type": "application/json"}).status_code == 200
        api.post("/app/guarded/msg", json={"eventType": "ping", "payload": {"a": 1}}).raise_for_status()

        assert wait_until(lambda: receiver.to("/granted"))[0]["body"] == b'{"type":"ping"}'
        attempts = wait_until(lambda: api.get("/app/guarded/attempt/endpoint/guarded").json()["data"])
        assert attempts[0]["responseStatusCode"] == 0 and "blocked" in attempts[0]["response"]
        assert receiver.to("/guarded") == []
        pre_grant = wait_until(lambda: api.get("/app/granted/attempt/endpoint/pre-grant").json()["data"])
        assert pre_grant[0]["responseStatusCode"] == 0 and "blocked" in pre_grant[0]["response"]
        assert receiver.to("/pre-grant") == []
    finally:
        receiver.close()
        server.stop()


def test_a_slow_drip_body_is_cut_off_and_the_server_carries_on(herald):
    """An ingest request whose body trickles in is answered 408 at the body deadline (10 s), not held open."""
    import socket

    api = httpx.Client(base_url=herald.url + "/api/v1", headers={"authorization": f"Bearer {herald.token()}"}, timeout=30)
    app = "inbound-" + uuid.uuid4().hex[:6]
    api.post("/app", json={"name": "Slow", "uid": app}).raise_for_status()
    source = api.post(f"/app/{app}/source", json={"name": "Slow", "verification": {"type": "none"}}).json()
    path = "/ingest/" + source["ingestUrl"].split("/ingest/", 1)[1]
    started = time.time()
    with socket.create_connection(("127.0.0.1", herald.port), timeout=30) as connection:
        connection.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{".encode())
        answer = b""
        connection.settimeout(1)
        while b"\r\n\r\n" not in answer and time.time() - started < 25:
            try:
                connection.sendall(b" ")
                answer += connection.recv(4096)
            except socket.timeout:
                pass
            except OSError:
                break
    assert answer.startswith(b"HTTP/1.1 408"), answer[:80]
    assert 9 <= time.time() - started < 20
    assert api.get(f"/app/{app}/msg").json()["data"] == []


def test_herald_listen_forwards_one_sources_events_as_their_sender_sent_them(herald):
    """`herald listen --source` (development, like stripe listen): only the named source's events, each with the
    sender's body bytes (a form here, not JSON) and headers; a published message and another source's are skipped."""
    from test_pull import Listen

    api = httpx.Client(base_url=herald.url + "/api/v1", headers={"authorization": f"Bearer {herald.token()}"}, timeout=30)
    public = httpx.Client(timeout=30)
    receiver = Receiver()
    app = "inbound-" + uuid.uuid4().hex[:6]
    api.post("/app", json={"name": "Listen", "uid": app}).raise_for_status()
    github = api.post(f"/app/{app}/source", json={"name": "GitHub", "uid": "gh", "verification": {"type": "github", "secret": GITHUB_SECRET}}).json()
    other = api.post(f"/app/{app}/source", json={"name": "Other", "verification": {"type": "none"}}).json()
    listen = Listen(herald, herald.token(), app, receiver.url + "/local", source="gh")
    try:
        listen.wait_for_line(r"received by source gh")
        api.post(f"/app/{app}/msg", json={"eventType": "published", "payload": {"a": 1}}).raise_for_status()
        public.post(other["ingestUrl"], content=b'{"type":"other"}', headers={"content-type": "application/json"}).raise_for_status()
        form = b"payload=%7B%22zen%22%3A%22Keep+it+logically+awesome.%22%7D"
        signature = "sha256=" + hmac.new(GITHUB_SECRET.encode(), form, hashlib.sha256).hexdigest()
        headers = {"content-type": "application/x-www-form-urlencoded", "x-github-event": "ping", "x-github-delivery": str(uuid.uuid4()), "x-hub-signature-256": signature}
        assert public.post(github["ingestUrl"], content=form, headers=headers).status_code == 200
        listen.wait_for_line(r"\bping\b.*→ 204")
        requests = receiver.to("/local")
        assert len(requests) == 1
        received = {name.lower(): value for name, value in requests[0]["headers"].items()}
        assert requests[0]["body"] == form
        for name, value in headers.items():
            assert received[name] == value
        # The forwarded copy still verifies with the sender's secret.
        assert hmac.compare_digest(received["x-hub-signature-256"], "sha256=" + hmac.new(GITHUB_SECRET.encode(), requests[0]["body"], hashlib.sha256).hexdigest())
    finally:
        listen.stop()
        receiver.close()
