"""Hostile headers and query values against every route of a running Herald, streaming ones included.

Schemathesis (scripts/fuzz) covers bodies and documented parameters of the finite routes; this covers what it cannot:
every header the API reads (Last-Event-ID, Idempotency-Key, Content-Type, Content-Length, Authorization, Origin and
the CORS pre-flight headers) and every query parameter any route reads, on every route of the OpenAPI document
including the live and feed streams (read for a moment, then closed). A 5xx is a failure; so is a server that stops
answering. The caller (scripts/fuzz) also checks that the process is still alive afterwards.

A source's ingest URL (the only route open to anyone) gets hostile signatures, headers and bodies as well: each must
be refused with a 4xx, never a 5xx.

usage: hostile_requests.py BASE_URL TOKEN [INGEST_PATH]   (BASE_URL like http://127.0.0.1:8071)
"""

import http.client
import json
import socket
import sys
import urllib.parse
import urllib.request

BASE, TOKEN = sys.argv[1], sys.argv[2]
INGEST = sys.argv[3] if len(sys.argv) > 3 else None
HOST, PORT = urllib.parse.urlsplit(BASE).hostname, urllib.parse.urlsplit(BASE).port

# Numbers at and past every integer edge, times at and past RFC 3339's, and text that is not what a field expects.
VALUES = [
    "", " ", "0", "1", "-1", "2999", "3000", "-3000", "9223372036854775807", "9223372036854775808",
    "-9223372036854775808", "-9223372036854775809", "18446744073709551616", "9" * 40, "1e308", "-1e308", "1e309", "NaN",
    "inf", "0x10", "1.5", "--1", "1-", "-", "1-msg_x", "true", "null", "%00", "%ff", "%C3%28", "ü", "../../etc",
    "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999+23:59", "2026-13-45T99:99:99Z", "-2026-01-01T00:00:00Z",
    "a" * 5000, ",,,", "a,,b", "[]", "{}",
]
QUERY_NAMES = [
    "after", "app_id", "before", "channel", "consumer", "endpoint_id", "event_type", "event_types", "expunge",
    "get_if_exists", "include_archived", "iterator", "limit", "order", "since", "status", "status_code_class", "until",
    "wait", "with_content", "event_types[]",
]
HEADERS = [
    "Last-Event-ID", "Idempotency-Key", "Content-Type", "Origin", "Access-Control-Request-Method",
    "Access-Control-Request-Headers", "Accept",
]
AUTHORIZATIONS = ["Bearer", "Bearer ", "bearer " + TOKEN + "=", "Basic " + TOKEN, "Bearer " + "a" * 9000, "Bearer a.b.c",
                  "Bearer " + TOKEN + " x"]
PATH_VALUES = {
    "app_id": "fuzz-app", "endpoint_id": "fuzz-endpoint", "sink_id": "fuzz-poller", "msg_id": "fuzz-msg",
    "event_type_name": "fuzz.event", "consumer_id": "fuzz-consumer", "attempt_id": "atmpt_x", "source_id": "fuzz-source",
}
# Stripe-Signature values at the edges of its grammar (the fuzz source verifies as Stripe does).
SIGNATURES = VALUES + [
    "t=", "t=1", "v1=", "t=1,v1=" + "0" * 64, "t=-1,v1=zz", "t=9223372036854775807,v1=" + "a" * 64,
    "t=-9223372036854775808,v1=" + "a" * 64, "t=1," + ",".join(["v1=" + "a" * 64] * 500), "=,=,=", "t==1", "t=1,v1=" + "g" * 63,
]
INGEST_BODIES = [b"", b"{}", b"\xff\xfe\x00", b"{" * 10000, b"a" * (2 << 20)]
STREAMS = ("/live", "/stream")


def send(method, path, headers, body=None):
    """Status of one request; a stream's first bytes are read, then the connection is closed."""
    connection = http.client.HTTPConnection(HOST, PORT, timeout=10)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        sent = {k.lower() for k in headers}
        for name, value in headers.items():
            connection.putheader(name, value)
        if "authorization" not in sent:
            connection.putheader("Authorization", "Bearer " + TOKEN)
        payload = body.encode() if isinstance(body, str) else body
        if payload is not None and "content-length" not in sent:
            connection.putheader("Content-Length", str(len(payload)))
        connection.endheaders(payload)
        stream = path.split("?")[0].endswith(STREAMS)
        connection.sock.settimeout(5 if stream else 35)
        response = connection.getresponse()
        status = response.status
        try:
            # A stream that started writes its first event at once: one byte shows it is alive.
            response.read(1 if stream and status == 200 else None)
        except (socket.timeout, TimeoutError):
            pass
        return status
    finally:
        connection.close()


def routes():
    """Every operation with its path filled in; deletions last, deepest first, so the objects the others name live on
    until they have been fuzzed."""
    document = json.loads(urllib.request.urlopen(BASE + "/api/v1/openapi.json").read())
    found = []
    for template, operations in document["paths"].items():
        path = template
        for name, value in PATH_VALUES.items():
            path = path.replace("{" + name + "}", value)
        for method in operations:
            if method.upper() in ("GET", "POST", "PUT", "PATCH", "DELETE") and not template.endswith("/auth/logout"):
                found.append((method.upper(), path))
    return sorted(found, key=lambda route: (route[0] == "DELETE", -route[1].count("/") if route[0] == "DELETE" else 0))


def main():
    failures, count = [], 0

    def check(method, path, headers, body=None, refused=False):
        nonlocal count
        count += 1
        try:
            status = send(method, path, headers, body)
        except (ConnectionError, http.client.HTTPException, OSError) as error:
            failures.append(f"{method} {path} {headers!r:.120}: no answer ({error})")
            return
        # 429 would mean a limit answered instead of the code under test (scripts/fuzz raises them).
        if status >= 500 or status == 429 or (refused and status < 400):
            failures.append(f"{method} {path} {headers!r:.120}: {status}")

    body = '{"eventType":"fuzz.event","payload":{"a":1}}'
    for method, path in routes():
        with_body = body if method in ("POST", "PUT", "PATCH") else None
        # Destructive routes get only the headers (a deleted app would turn the rest into 404s).
        for name in HEADERS:
            for value in VALUES:
                check(method, path, {name: value}, with_body)
        for value in AUTHORIZATIONS:
            check(method, path, {"Authorization": value}, with_body)
        check(method, path, {"Content-Length": "99999999999999999999"}, with_body)
        if method == "DELETE":
            continue
        for name in QUERY_NAMES:
            for value in VALUES:
                query = urllib.parse.urlencode({name: value}, safe="%")
                check(method, f"{path}?{query}", {}, with_body)
    if INGEST:
        # No signature matches: every answer must be a 4xx; a 2xx, a 5xx or a dropped connection is a failure.
        for value in SIGNATURES:
            check("POST", INGEST, {"Stripe-Signature": value, "Authorization": ""}, "{}", refused=True)
        for name in HEADERS + ["Content-Encoding", "Transfer-Encoding", "Host", "X-Forwarded-For"]:
            for value in VALUES:
                check("POST", INGEST, {name: value, "Stripe-Signature": "t=1,v1=00"}, "{}", refused=True)
        for body in INGEST_BODIES:
            check("POST", INGEST, {"Stripe-Signature": "t=1,v1=00"}, body, refused=True)
        for path in ["/ingest/", "/ingest/" + "a" * 5000, "/ingest/%00", "/ingest/..%2f..%2fapi"]:
            check("POST", path, {}, "{}", refused=True)
    print(f"hostile requests: {count} sent, {len(failures)} answered 5xx or not at all")
    for failure in failures[:40]:
        print("  " + failure)
    # The plain closing line CI reads.
    print(f"hostile: {count - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
