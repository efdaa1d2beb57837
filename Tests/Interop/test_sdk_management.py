"""Drives a real Herald with the official Python `svix` SDK through the whole management flow.

Every call must succeed and every response must parse into the SDK's typed models unchanged.
"""

import uuid
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from svix.api import (
    AppPortalAccessIn,
    ApplicationIn,
    ApplicationListOptions,
    ApplicationPatch,
    EndpointHeadersIn,
    EndpointHeadersPatchIn,
    EndpointIn,
    EndpointListOptions,
    EndpointPatch,
    EndpointSecretRotateIn,
    EndpointUpsertIn,
    EventTypeDeleteOptions,
    EventTypeIn,
    EventTypeListOptions,
    EventTypePatch,
    EventTypeUpsertIn,
    MessageGetOptions,
    MessageIn,
    MessageListOptions,
    Ordering,
    Svix,
    SvixOptions,
)
from svix.exceptions import HttpError, HTTPValidationError


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="module")
def client(herald) -> Svix:
    return Svix(herald.token(), SvixOptions(server_url=herald.url))


def test_health(client):
    client.health.get()


def test_application_lifecycle(client):
    uid = unique("app")
    created = client.application.create(ApplicationIn(name="Acme", uid=uid, metadata={"tier": "gold"}))
    assert created.id.startswith("app_") and created.uid == uid and created.metadata == {"tier": "gold"}

    again = client.application.get_or_create(ApplicationIn(name="Other", uid=uid))
    assert again.id == created.id and again.name == "Acme"

    assert client.application.get(uid).id == created.id
    assert client.application.get(created.id).uid == uid

    patched = client.application.patch(uid, ApplicationPatch(name="Acme Corp"))
    assert patched.name == "Acme Corp" and patched.uid == uid

    updated = client.application.upsert(created.id, ApplicationIn(name="Acme Ltd", uid=uid))
    assert updated.id == created.id and updated.name == "Acme Ltd"

    fresh_uid = unique("upserted")
    upserted = client.application.upsert(fresh_uid, ApplicationIn(name="New", uid=fresh_uid))
    assert upserted.uid == fresh_uid and upserted.id != created.id

    with pytest.raises(HttpError) as conflict:
        client.application.create(ApplicationIn(name="Dup", uid=uid))
    assert conflict.value.status_code == 409

    client.application.delete(uid)
    with pytest.raises(HttpError) as missing:
        client.application.get(uid)
    assert missing.value.status_code == 404
    # A deleted application releases its uid.
    assert client.application.create(ApplicationIn(name="Reborn", uid=uid)).uid == uid


def test_application_pagination(client):
    ids = [client.application.create(ApplicationIn(name=f"page-{i}")).id for i in range(5)]
    seen = []
    iterator = None
    while True:
        page = client.application.list(ApplicationListOptions(limit=2, iterator=iterator))
        seen.extend(app.id for app in page.data)
        if page.done:
            break
        iterator = page.iterator
    assert [i for i in seen if i in ids] == ids

    newest_first = client.application.list(ApplicationListOptions(limit=250, order=Ordering.DESCENDING))
    listed = [app.id for app in newest_first.data if app.id in ids]
    assert listed == list(reversed(ids))

    with pytest.raises(HTTPValidationError):
        client.application.list(ApplicationListOptions(limit=251))


def test_event_type_lifecycle(client):
    name = unique("invoice.paid").replace("-", ".")
    schema = {"1": {"type": "object", "examples": [{"amount": 5}]}}
    created = client.event_type.create(EventTypeIn(name=name, description="Paid", schemas=schema))
    assert created.name == name and created.deprecated is False

    with pytest.raises(HttpError) as conflict:
        client.event_type.create(EventTypeIn(name=name, description="again"))
    assert conflict.value.status_code == 409 and conflict.value.code == "event_type_exists"

    fetched = client.event_type.get(name)
    assert fetched.schemas == schema

    patched = client.event_type.patch(name, EventTypePatch(deprecated=True))
    assert patched.deprecated is True and patched.description == "Paid"

    upserted = client.event_type.upsert(name, EventTypeUpsertIn(description="Paid v2"))
    assert upserted.description == "Paid v2"

    listed = client.event_type.list(EventTypeListOptions(limit=250, with_content=True))
    assert name in [et.name for et in listed.data]

    client.event_type.delete(name)
    assert name not in [et.name for et in client.event_type.list(EventTypeListOptions(limit=250)).data]
    archived = client.event_type.list(EventTypeListOptions(limit=250, include_archived=True))
    assert name in [et.name for et in archived.data if et.archived]

    client.event_type.delete(name, EventTypeDeleteOptions(expunge=True))
    with pytest.raises(HttpError) as missing:
        client.event_type.get(name)
    assert missing.value.status_code == 404


def test_endpoint_lifecycle(client):
    app = client.application.create(ApplicationIn(name="Endpoints", uid=unique("ep-app")))
    event = unique("order.created").replace("-", ".")
    client.event_type.create(EventTypeIn(name=event, description="Order created"))

    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    endpoint = client.endpoint.create(
        app.id,
        EndpointIn(url="https://example.com/hook", uid="primary", event_types=[event], channels=["eu"], secret=secret),
    )
    assert endpoint.id.startswith("ep_") and endpoint.event_types == [event] and endpoint.channels == ["eu"]
    assert client.endpoint.get_secret(app.id, "primary").key == secret

    with pytest.raises(HTTPValidationError):
        client.endpoint.create(app.id, EndpointIn(url="https://example.com/x", event_types=["no.such.type"]))
    with pytest.raises(HTTPValidationError):
        client.endpoint.create(app.id, EndpointIn(url="ftp://example.com/x"))

    assert client.endpoint.get(app.id, "primary").id == endpoint.id
    patched = client.endpoint.patch(app.id, endpoint.id, EndpointPatch(description="Main", channels=None))
    assert patched.description == "Main" and patched.channels is None and patched.event_types == [event]

    updated = client.endpoint.upsert(app.id, endpoint.id, EndpointUpsertIn(url="https://example.com/v2", uid="primary"))
    assert updated.url == "https://example.com/v2" and updated.event_types is None

    rotated = client.endpoint.rotate_secret(app.id, endpoint.id, EndpointSecretRotateIn())
    assert rotated.key.startswith("whsec_") and rotated.key != secret
    assert client.endpoint.get_secret(app.id, endpoint.id).key == rotated.key

    client.endpoint.set_headers(app.id, endpoint.id, EndpointHeadersIn(headers={"X-Tenant": "a", "Authorization": "Bearer s"}))
    headers = client.endpoint.get_headers(app.id, endpoint.id)
    assert headers.headers == {"X-Tenant": "a"} and headers.sensitive == ["Authorization"]
    client.endpoint.patch_headers(app.id, endpoint.id, EndpointHeadersPatchIn(headers={"X-Region": "eu"}, delete_headers=["x-tenant"]))
    assert client.endpoint.get_headers(app.id, endpoint.id).headers == {"X-Region": "eu"}

    second = client.endpoint.create(app.id, EndpointIn(url="https://example.com/second"))
    listed = client.endpoint.list(app.id, EndpointListOptions(limit=1))
    assert [e.id for e in listed.data] == [second.id] and listed.done is False
    rest = client.endpoint.list(app.id, EndpointListOptions(limit=1, iterator=listed.iterator))
    assert [e.id for e in rest.data] == [endpoint.id]

    client.endpoint.delete(app.id, endpoint.id)
    with pytest.raises(HttpError) as missing:
        client.endpoint.get(app.id, endpoint.id)
    assert missing.value.status_code == 404


def test_message_lifecycle(client):
    app = client.application.create(ApplicationIn(name="Messages", uid=unique("msg-app")))
    created = client.message.create(
        app.id, MessageIn(event_type="user.signup", payload={"email": "a@example.com"}, event_id="evt-1", channels=["eu"])
    )
    assert created.id.startswith("msg_") and created.event_id == "evt-1" and created.payload == {}

    with pytest.raises(HttpError) as duplicate:
        client.message.create(app.id, MessageIn(event_type="user.signup", payload={}, event_id="evt-1"))
    assert duplicate.value.status_code == 409

    fetched = client.message.get(app.id, created.id, MessageGetOptions(with_content=True))
    assert fetched.event_type == "user.signup" and fetched.payload == {"email": "a@example.com"}
    assert client.message.get(app.id, "evt-1").id == created.id

    other = client.message.create(app.id, MessageIn(event_type="user.deleted", payload={"id": 1}))
    everything = client.message.list(app.id)
    assert [m.id for m in everything.data] == [other.id, created.id]
    only_signup = client.message.list(app.id, MessageListOptions(event_types=["user.signup"]))
    assert [m.id for m in only_signup.data] == [created.id]
    by_channel = client.message.list(app.id, MessageListOptions(channel="eu"))
    assert [m.id for m in by_channel.data] == [created.id]
    future = client.message.list(app.id, MessageListOptions(after=datetime.now(timezone.utc) + timedelta(minutes=5)))
    assert future.data == [] and future.iterator is None and future.done

    with pytest.raises(HTTPValidationError):
        client.message.create(app.id, MessageIn(event_type="bad type!", payload={}))

    client.message.expunge_content(app.id, created.id)


def test_message_creates_application_on_the_fly(client):
    uid = unique("lazy")
    message = client.message.create(uid, MessageIn(event_type="a.b", payload={"x": 1}, application=ApplicationIn(name="Lazy", uid=uid)))
    assert message.id.startswith("msg_")
    assert client.application.get(uid).name == "Lazy"


def test_app_portal_token_is_scoped_to_its_application(client, herald):
    app = client.application.create(ApplicationIn(name="Portal", uid=unique("portal")))
    other = client.application.create(ApplicationIn(name="Other", uid=unique("other")))
    access = client.authentication.app_portal_access(app.id, AppPortalAccessIn())
    assert access.url.endswith("#token=" + access.token)

    scoped = Svix(access.token, SvixOptions(server_url=herald.url))
    assert scoped.application.get(app.id).id == app.id
    scoped.endpoint.create(app.id, EndpointIn(url="https://example.com/portal"))
    with pytest.raises(HttpError) as hidden:
        scoped.application.get(other.id)
    assert hidden.value.status_code == 404
    with pytest.raises(HttpError) as forbidden:
        scoped.application.list()
    assert forbidden.value.status_code == 403

    scoped.authentication.logout()
    with pytest.raises(HttpError) as ended:
        scoped.application.get(app.id)
    assert ended.value.status_code == 401


def test_errors_are_json(herald):
    token = herald.token()
    for method, path in [("GET", "/api/v1/nowhere"), ("DELETE", "/api/v1/app"), ("GET", "/api/v1/app")]:
        response = httpx.request(method, herald.url + path)
        assert response.status_code in (401, 404, 405)
        assert response.headers["content-type"] == "application/json"
        assert "code" in response.json()
    bad_json = httpx.post(
        herald.url + "/api/v1/app", content=b"{nope", headers={"authorization": f"Bearer {token}", "content-type": "application/json"}
    )
    assert bad_json.status_code == 422 and bad_json.json()["detail"][0]["loc"] == ["body"]


def test_idempotency_key_replays_the_first_response(herald):
    token = herald.token()
    headers = {"authorization": f"Bearer {token}", "idempotency-key": unique("key")}
    first = httpx.post(herald.url + "/api/v1/app", json={"name": "Once"}, headers=headers)
    second = httpx.post(herald.url + "/api/v1/app", json={"name": "Once"}, headers=headers)
    assert first.status_code == 201 and second.status_code == 201
    assert first.json()["id"] == second.json()["id"]


def test_other_org_sees_nothing(client, herald):
    app = client.application.create(ApplicationIn(name="Mine", uid=unique("mine")))
    stranger = Svix(herald.token(org="org_2stranger00000000000000000"), SvixOptions(server_url=herald.url))
    with pytest.raises(HttpError) as hidden:
        stranger.application.get(app.id)
    assert hidden.value.status_code == 404
    assert all(a.id != app.id for a in stranger.application.list().data)
