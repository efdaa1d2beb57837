"""Pull: polling endpoints read with the official SDK's message.poller, the feed stream, the switch from push to pull,
and `herald listen` forwarding to a local receiver that verifies every request."""

import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

import httpx
import pytest
import standardwebhooks
from svix.api import (
    AppPortalAccessIn,
    ApplicationIn,
    EndpointIn,
    EndpointPatch,
    MessageIn,
    MessagePollerConsumerPollOptions,
    MessagePollerPollOptions,
    PollingEndpointConsumerSeekIn,
    Svix,
    SvixOptions,
)

from svix.webhooks import Webhook

from conftest import HERALD_BIN
from receiver import Receiver


@pytest.fixture(scope="module")
def client(herald) -> Svix:
    return Svix(herald.token(), SvixOptions(server_url=herald.url))


def new_app(client: Svix) -> str:
    return client.application.create(ApplicationIn(name="Pull", uid="pull-" + uuid.uuid4().hex[:8])).id


def send(client: Svix, app: str, event_type: str = "order.paid", **payload) -> str:
    return client.message.create(app, MessageIn(event_type=event_type, payload=payload or {"n": 1})).id


def wait_visible(client: Svix, app: str, sink: str, count: int, timeout: float = 20):
    """Waits until the feed shows `count` messages: on PostgreSQL a message becomes readable once every older
    transaction in the cluster has ended (a moment later, never skipped)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        seen, iterator = 0, None
        while True:
            page = client.message.poller.poll(app, sink, MessagePollerPollOptions(iterator=iterator, limit=250))
            seen += len(page.data)
            iterator = page.iterator
            if page.done:
                break
        if seen >= count:
            return
        time.sleep(0.05)


def test_the_sdk_poller_reads_consumes_and_seeks(client):
    app = new_app(client)
    sink = client.endpoint.create(app, EndpointIn(url="poller://", uid="sink")).id
    sent = [send(client, app, n=index) for index in range(5)]
    wait_visible(client, app, sink, len(sent))

    first = client.message.poller.poll(app, sink, MessagePollerPollOptions(limit=3))
    assert [m.id for m in first.data] == sent[:3] and first.done is False
    assert first.data[0].payload == {"n": 0} and first.data[0].event_type == "order.paid"
    rest = client.message.poller.poll(app, "sink", MessagePollerPollOptions(iterator=first.iterator))
    assert [m.id for m in rest.data] == sent[3:] and rest.done is True

    assert [m.id for m in client.message.poller.consumer_poll(app, sink, "worker", MessagePollerConsumerPollOptions(limit=2)).data] == sent[:2]
    assert [m.id for m in client.message.poller.consumer_poll(app, sink, "worker").data] == sent[2:]
    assert client.message.poller.consumer_poll(app, sink, "worker").data == []

    # Seek back to before everything: the consumer reads it all again.
    seek = client.message.poller.consumer_seek(app, sink, "worker", PollingEndpointConsumerSeekIn(after=datetime.now(timezone.utc) - timedelta(hours=1)))
    assert seek.iterator
    assert [m.id for m in client.message.poller.consumer_poll(app, sink, "worker").data] == sent


def test_switching_from_push_to_pull_leaves_no_gap(client):
    """Half the events by push, the rest by pull: create the polling endpoint first, then retire the webhook endpoint;
    every event arrives by one way or the other (the ones in between by both, with the same id)."""
    app = new_app(client)
    receiver = Receiver()
    try:
        client.endpoint.create(app, EndpointIn(url=receiver.url + "/hook", uid="push"))
        early = [send(client, app, n=index) for index in range(20)]
        client.endpoint.create(app, EndpointIn(url="poller://", uid="pull"))
        overlap = [send(client, app, n=index) for index in range(20, 30)]
        client.endpoint.patch(app, "push", EndpointPatch(disabled=True))
        late = [send(client, app, n=index) for index in range(30, 50)]

        pushed = {r["headers"]["webhook-id"] for r in receiver.wait_for("/hook", len(early) + len(overlap))}
        wait_visible(client, app, "pull", len(overlap) + len(late))
        pulled, iterator = [], None
        while True:
            page = client.message.poller.poll(app, "pull", MessagePollerPollOptions(iterator=iterator))
            pulled += [m.id for m in page.data]
            iterator = page.iterator
            if page.done:
                break
        assert pulled == overlap + late  # in order, from the moment the polling endpoint existed
        assert pushed == set(early + overlap)
        assert pushed | set(pulled) == set(early + overlap + late)
    finally:
        receiver.close()


def test_a_long_poll_returns_when_a_message_commits(herald, client):
    app = new_app(client)
    client.endpoint.create(app, EndpointIn(url="poller://", uid="waiter"))
    headers = {"authorization": f"Bearer {herald.token()}"}
    result = {}

    def wait():
        result["response"] = httpx.get(herald.url + f"/api/v1/app/{app}/poller/waiter/consumer/c?wait=20", headers=headers, timeout=30)

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.3)
    sent = send(client, app)
    waiter.join(timeout=30)
    assert [m["id"] for m in result["response"].json()["data"]] == [sent]


def read_stream(url: str, headers: dict, count: int, timeout: float = 15) -> list[tuple[str, dict]]:
    """The first `count` message events of a feed stream, as (id, data)."""
    events, current = [], {}
    with httpx.stream("GET", url, headers=headers, timeout=timeout) as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("id: "):
                current["id"] = line[4:]
            elif line.startswith("data: "):
                current["data"] = json.loads(line[6:])
            elif line == "" and "data" in current:
                events.append((current["id"], current["data"]))
                current = {}
                if len(events) == count:
                    return events
    return events


def test_the_stream_sends_each_message_with_its_iterator_and_resumes(herald, client):
    app = new_app(client)
    client.endpoint.create(app, EndpointIn(url="poller://", uid="live"))
    sent = [send(client, app, n=index) for index in range(4)]
    headers = {"authorization": f"Bearer {herald.token()}"}
    url = herald.url + f"/api/v1/app/{app}/poller/live/stream"
    first = read_stream(url, headers, 2)
    assert [data["id"] for _, data in first] == sent[:2]
    resumed = read_stream(url, {**headers, "last-event-id": first[-1][0]}, 2)
    assert [data["id"] for _, data in resumed] == sent[2:]

    # Live: a message sent while the stream is open arrives on it.
    later = {}
    reader = threading.Thread(target=lambda: later.setdefault("events", read_stream(url, {**headers, "last-event-id": resumed[-1][0]}, 1)))
    reader.start()
    time.sleep(0.3)
    live = send(client, app, n=99)
    reader.join(timeout=20)
    assert [data["id"] for _, data in later["events"]] == [live]


class Listen:
    """A running `herald listen`, its output collected line by line."""

    def __init__(self, herald, token: str, app: str, forward: str, events: str | None = None, source: str | None = None):
        command = [HERALD_BIN, "listen", "--server", herald.url, "--token", token, "--app", app, "--forward", forward]
        if events:
            command += ["--events", events]
        if source:
            command += ["--source", source]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for_line(self, pattern: str, timeout: float = 20) -> str:
        deadline = time.time() + timeout
        while time.time() < deadline:
            for line in self.lines:
                if re.search(pattern, line):
                    return line
            time.sleep(0.05)
        raise AssertionError(f"no line matching {pattern!r} in {self.lines}")

    def stop(self):
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=10)


def test_herald_listen_forwards_signed_events_and_resumes_where_it_stopped(herald, client):
    app = new_app(client)
    token = herald.token()
    verified, lock = [], threading.Lock()
    secret_holder = {}

    def verify(path, index):
        return 204

    receiver = Receiver(verify)
    listen = Listen(herald, token, app, receiver.url + "/local", events="order.*")
    try:
        secret = re.search(r"(whsec_\S+)", listen.wait_for_line(r"Signing secret: whsec_")).group(1)
        first = send(client, app, "order.paid", n=1)
        send(client, app, "invoice.sent", n=2)  # filtered out by --events
        second = send(client, app, "order.refunded", n=3)
        listen.wait_for_line(second)
        listen.stop()

        # Sent while nobody listens: the next run picks it up from the saved position.
        third = send(client, app, "order.paid", n=4)
        listen = Listen(herald, token, app, receiver.url + "/local", events="order.*")
        listen.wait_for_line(third)

        requests = receiver.wait_for("/local", 3)
        webhook = standardwebhooks.Webhook(secret)
        for request in requests:
            webhook.verify(request["body"], {k.lower(): v for k, v in request["headers"].items()})
        assert [r["headers"]["webhook-id"] for r in requests] == [first, second, third]
        assert "→ 204" in listen.wait_for_line(third)
    finally:
        if listen.process.poll() is None:
            listen.stop()
        receiver.close()


def test_consecutive_consumer_polls_return_every_message_once_under_concurrent_writers(herald, client):
    app = new_app(client)
    client.endpoint.create(app, EndpointIn(url="poller://", uid="busy"))
    written, lock = [], threading.Lock()

    def write(worker: int):
        for index in range(100):
            message = send(client, app, n=worker * 1000 + index)
            with lock:
                written.append(message)

    writers = [threading.Thread(target=write, args=(worker,)) for worker in range(4)]
    for writer in writers:
        writer.start()
    read = []
    deadline = time.time() + 60
    while time.time() < deadline:
        page = client.message.poller.consumer_poll(app, "busy", "reader", MessagePollerConsumerPollOptions(limit=25))
        read += [m.id for m in page.data]
        if len(read) >= 400 and not any(writer.is_alive() for writer in writers):
            break
    for writer in writers:
        writer.join()
    # Whatever committed last is read by the final polls.
    deadline = time.time() + 20
    while len(read) < len(written) and time.time() < deadline:
        read += [m.id for m in client.message.poller.consumer_poll(app, "busy", "reader").data]
    assert len(read) == len(set(read)), "a message was returned twice"
    assert set(read) == set(written), f"{len(set(written) - set(read))} messages were never returned"


def read_live(url: str, headers: dict, want, timeout: float = 15) -> list[tuple[str, dict]]:
    """Events of the live stream until `want(events)` holds (or the timeout)."""
    events, current, deadline = [], {}, time.time() + timeout
    with httpx.stream("GET", url, headers=headers, timeout=timeout) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("event: "):
                current["event"] = line[7:]
            elif line.startswith("data: "):
                current["data"] = json.loads(line[6:])
            elif line == "" and "data" in current:
                events.append((current["event"], current["data"]))
                current = {}
                if want(events) or time.time() > deadline:
                    return events
    return events


def test_the_live_stream_pushes_activity_scoped_by_the_token(herald, client):
    mine, other = new_app(client), new_app(client)
    receiver = Receiver()
    try:
        client.endpoint.create(mine, EndpointIn(url=receiver.url + "/live", uid="live-hook"))
        portal = client.authentication.app_portal_access(mine, AppPortalAccessIn())
        app_headers = {"authorization": f"Bearer {portal.token}"}
        result = {}

        def watch():
            result["events"] = read_live(
                herald.url + "/api/v1/live", app_headers,
                lambda events: any(kind == "attempt" for kind, _ in events) and any(kind == "stats" for kind, _ in events),
            )

        watcher = threading.Thread(target=watch)
        watcher.start()
        time.sleep(0.5)
        send(client, other, n=1)  # another application: the app token must not see it
        sent = send(client, mine, n=2)
        watcher.join(timeout=30)
        events = result["events"]
        kinds = [kind for kind, _ in events]
        assert kinds[:2] == ["health", "history"]
        assert [e["uid"] for e in events[0][1]["endpoints"]] == ["live-hook"]
        history = events[1][1]
        assert history["bucketSeconds"] == 10 and 60 <= len(history["buckets"]) <= 61  # the current bucket is partial
        messages = [data for kind, data in events if kind == "message"]
        assert [m["id"] for m in messages] == [sent] and all(m["appId"] != other for m in messages)
        attempt = next(data for kind, data in events if kind == "attempt")
        assert attempt["msgId"] == sent and attempt["responseStatusCode"] == 204
        stats = next(data for kind, data in events if kind == "stats")
        assert {"messagesPerSecond", "deliveriesPerSecond", "successRate", "p50Ms", "p99Ms", "due", "retrying"} <= set(stats)
    finally:
        receiver.close()


def test_herald_listen_forwards_the_exact_bytes_with_both_header_sets_and_retries(herald, client):
    app = new_app(client)
    token = herald.token()
    # The first two forwards fail: the message is retried, not skipped.
    receiver = Receiver(lambda path, index: 500 if index < 2 else 204)
    listen = Listen(herald, token, app, receiver.url + "/local")
    try:
        secret = re.search(r"(whsec_\S+)", listen.wait_for_line(r"Signing secret: whsec_")).group(1)
        raw = b'{"eventType": "order.paid", "payload": {"b": 1,   "a": [1.50, "\\u00e9"],\n  "z": null}}'
        response = httpx.post(f"{herald.url}/api/v1/app/{app}/msg", content=raw,
                              headers={"authorization": f"Bearer {token}", "content-type": "application/json"})
        assert response.status_code == 202
        message = response.json()["id"]
        requests = receiver.wait_for("/local", 3, timeout=30)
        assert "retrying" in "\n".join(listen.lines)
        last = requests[-1]
        assert last["body"] == b'{"b": 1,   "a": [1.50, "\\u00e9"],\n  "z": null}'
        headers = {k.lower(): v for k, v in last["headers"].items()}
        assert headers["webhook-id"] == headers["svix-id"] == message
        assert headers["svix-signature"] == headers["webhook-signature"]
        assert headers["user-agent"].startswith("Herald/")
        standardwebhooks.Webhook(secret).verify(last["body"], headers)
        Webhook(secret).verify(last["body"], headers)
    finally:
        listen.stop()
        receiver.close()


def test_herald_listen_says_in_one_line_why_a_forward_failed(herald, client):
    app = new_app(client)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]  # nothing listens there once the socket is closed
    listen = Listen(herald, herald.token(), app, f"http://127.0.0.1:{closed_port}/local")
    try:
        listen.wait_for_line(r"Signing secret")
        message = send(client, app)
        line = listen.wait_for_line(message)
        assert "connection refused" in line
    finally:
        listen.stop()
