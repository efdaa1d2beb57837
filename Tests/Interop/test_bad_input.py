"""Garbage of every kind gets a 4xx JSON answer and leaves Herald healthy."""

import json
import random

import httpx

BODIES = [
    b"", b"{", b"}", b"null", b"[]", b"[1,2,3]", b'"text"', b"42", b"true", b"{\"name\": }", b"\x00\x01\x02", b"\xff\xfe\xfd",
    b"{" * 5000 + b"}" * 5000, b"[" * 100000, b'{"name": "' + b"a" * 300 + b'"}', b'{"name": 1e999}', b'{"name": -0}',
    b'{"name": "\\ud800"}', b'{"name": null}', b'{"name": ["x"]}', b'{"name": {"a": 1}}', b'{"url": "javascript:alert(1)"}',
    b'{"url": "http://[::1"}', b'{"eventType": "a", "payload": {"a": ' + b"[" * 3000 + b"]" * 3000 + b"}}",
    b'{"limit": 99999999999999999999999}', json.dumps({"name": "x" * 10, "uid": "\u202e\u0000"}).encode(),
]
PATHS = [
    "/api/v1/app", "/api/v1/app/%00", "/api/v1/app/..%2F..%2Fetc", "/api/v1/app/" + "a" * 5000, "/api/v1/app/x/endpoint",
    "/api/v1/app/x/endpoint/y/secret/rotate", "/api/v1/app/x/msg", "/api/v1/app/x/msg/y/content", "/api/v1/event-type",
    "/api/v1/event-type/%ff%fe", "/api/v1/auth/app-portal-access/x", "/api/v1/app?limit=-1", "/api/v1/app?limit=1e3",
    "/api/v1/app?iterator=%00&order=%ff", "/api/v1/app/x/msg?before=not-a-date&after=2026-99-99T00:00:00Z",
    "/api/v1/app/x/attempt/msg/y?status=9&status_code_class=42", "/api/v1/app/x/endpoint/y/stats?since=x",
    "/api/v1//app", "/api/v1/app/x/msg/y/endpoint/z/resend", "/api/v2/app", "/", "/api/v1/app/x/endpoint/y/headers",
]
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def test_garbage_gets_4xx_json_and_herald_stays_healthy(herald):
    token = herald.token()
    random.seed(7)
    tried = 0
    with httpx.Client(base_url=herald.url, timeout=10) as http:
        # Real objects so that some garbage reaches the deeper code paths.
        auth = {"authorization": f"Bearer {token}"}
        http.post("/api/v1/app", json={"name": "X", "uid": "x"}, headers=auth)
        for path in PATHS:
            for method in METHODS:
                for body in random.sample(BODIES, 6):
                    headers = dict(auth) if random.random() < 0.85 else {"authorization": random.choice(["Bearer", "Bearer x.y.z", "Basic Zm9v"])}
                    headers["content-type"] = random.choice(["application/json", "text/plain", "application/x-www-form-urlencoded"])
                    response = http.request(method, path, content=body, headers=headers)
                    tried += 1
                    assert response.status_code < 500, (method, path, body[:80], response.status_code, response.text[:200])
                    if response.content:
                        assert response.headers["content-type"] == "application/json", (method, path)
                        response.json()
        assert http.get("/api/v1/health").status_code == 200
    print(f"{tried} hostile requests, no 5xx")
