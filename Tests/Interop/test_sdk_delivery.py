"""Deliveries from a real Herald, verified by the official Python verifiers, and the attempt API through the SDK."""

import uuid
from datetime import datetime, timedelta, timezone

import pytest
import standardwebhooks
from svix.api import (
    ApplicationIn,
    EndpointIn,
    EndpointSecretRotateIn,
    EventExampleIn,
    EventTypeIn,
    MessageAttemptListByMsgOptions,
    MessageIn,
    RecoverIn,
    Svix,
    SvixOptions,
)
from svix.webhooks import Webhook

from receiver import Receiver


@pytest.fixture(scope="module")
def client(herald) -> Svix:
    return Svix(herald.token(), SvixOptions(server_url=herald.url))


@pytest.fixture()
def receiver():
    # 500 for the first two requests to /flaky, then 200; 200 everywhere else.
    server = Receiver(lambda path, index: 500 if path == "/flaky" and index < 2 else 200)
    yield server
    server.close()


def new_app(client):
    return client.application.create(ApplicationIn(name="Delivery", uid=f"d-{uuid.uuid4().hex[:10]}"))


def verify_both_ways(secret, request):
    body = request["body"].decode()
    headers = {k.lower(): v for k, v in request["headers"].items()}
    Webhook(secret).verify(body, headers)
    standardwebhooks.Webhook(secret).verify(body, {k: v for k, v in headers.items() if k.startswith("webhook-")})


def test_a_message_arrives_signed_and_both_verifiers_accept_it(client, receiver):
    app = new_app(client)
    endpoint = client.endpoint.create(app.id, EndpointIn(url=receiver.url + "/hook"))
    secret = client.endpoint.get_secret(app.id, endpoint.id).key
    message = client.message.create(app.id, MessageIn(event_type="invoice.paid", payload={"amount": 1250, "note": "café"}))
    [request] = receiver.wait_for("/hook", 1)
    assert request["headers"]["webhook-id"] == message.id
    verify_both_ways(secret, request)
    with pytest.raises(Exception):
        Webhook("whsec_" + "A" * 32).verify(request["body"].decode(), request["headers"])


def test_rotation_signs_with_old_and_new_keys(client, receiver):
    app = new_app(client)
    endpoint = client.endpoint.create(app.id, EndpointIn(url=receiver.url + "/rotating"))
    old = client.endpoint.get_secret(app.id, endpoint.id).key
    new = client.endpoint.rotate_secret(app.id, endpoint.id, EndpointSecretRotateIn()).key
    client.message.create(app.id, MessageIn(event_type="a.b", payload={"x": 1}))
    [request] = receiver.wait_for("/rotating", 1)
    assert len(request["headers"]["webhook-signature"].split(" ")) == 2
    verify_both_ways(old, request)
    verify_both_ways(new, request)


def test_a_flaky_receiver_gets_the_message_on_the_third_attempt(herald, receiver):
    # A short schedule so the retries happen within the test: a second Herald configured for it.
    from conftest import HeraldProcess
    import tempfile

    with tempfile.TemporaryDirectory() as workdir:
        fast = HeraldProcess(workdir, {"HERALD_RETRY_SCHEDULE": "0.2,0.2,0.2"})
        fast.start()
        try:
            client = Svix(fast.token(), SvixOptions(server_url=fast.url))
            app = new_app(client)
            endpoint = client.endpoint.create(app.id, EndpointIn(url=receiver.url + "/flaky"))
            secret = client.endpoint.get_secret(app.id, endpoint.id).key
            message = client.message.create(app.id, MessageIn(event_type="a.b", payload={"n": 1}))
            arrived = receiver.wait_for("/flaky", 3)
            assert len(arrived) == 3
            assert {r["headers"]["webhook-id"] for r in arrived} == {message.id}
            for request in arrived:  # each attempt is signed with its own timestamp
                verify_both_ways(secret, request)
            attempts = []
            for _ in range(100):
                attempts = client.message_attempt.list_by_msg(app.id, message.id).data
                if len(attempts) == 3:
                    break
                __import__("time").sleep(0.05)
            assert sorted(a.response_status_code for a in attempts) == [200, 500, 500]
            assert [a.status_text for a in attempts][0] == "success"
            destinations = client.message_attempt.list_attempted_destinations(app.id, message.id).data
            assert [d.status_text for d in destinations] == ["success"]
        finally:
            fast.stop()


def test_attempt_routes_through_the_sdk(client, receiver):
    app = new_app(client)
    # Its own name: picked from the list, another module's `order.created.…` (no example) could come last.
    event_type = client.event_type.create(EventTypeIn(name=f"order.{uuid.uuid4().hex[:8]}", description="d",
                                                      schemas={"1": {"type": "object", "examples": [{"order": 7}]}})).name
    endpoint = client.endpoint.create(app.id, EndpointIn(url=receiver.url + "/ok"))
    message = client.message.create(app.id, MessageIn(event_type=event_type, payload={"order": 1}))
    receiver.wait_for("/ok", 1)
    for _ in range(100):
        attempts = client.message_attempt.list_by_endpoint(app.id, endpoint.id).data
        if attempts:
            break
        __import__("time").sleep(0.05)
    [attempt] = attempts
    assert attempt.msg_id == message.id and attempt.response_status_code == 200
    assert client.message_attempt.get(app.id, message.id, attempt.id).id == attempt.id
    assert [a.id for a in client.message_attempt.list_by_msg(app.id, message.id, MessageAttemptListByMsgOptions(endpoint_id=endpoint.id)).data] == [attempt.id]
    [sent] = client.message_attempt.list_attempted_messages(app.id, endpoint.id).data
    assert sent.id == message.id and sent.status_text == "success"

    client.message_attempt.resend(app.id, message.id, endpoint.id)
    assert len(receiver.wait_for("/ok", 2)) == 2

    example = client.endpoint.send_example(app.id, endpoint.id, EventExampleIn(event_type=event_type))
    examples = receiver.wait_for("/ok", 3)
    assert examples[-1]["body"] == b'{"order":7}' and example.event_type == event_type

    stats = client.endpoint.get_stats(app.id, endpoint.id)
    assert stats.success >= 1 and stats.fail == 0
    recovered = client.endpoint.recover(app.id, endpoint.id, RecoverIn(since=datetime.now(timezone.utc) - timedelta(days=1)))
    assert recovered.id.startswith("qtask_")

    client.message_attempt.expunge_content(app.id, message.id, attempt.id)
