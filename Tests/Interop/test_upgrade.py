"""Upgrades keep data: a database written by the oldest supported release (the fixture made by scripts/upgrade-fixture
with that release's binary) opens in this build, on the selected backend, and everything is there and keeps going —
applications, endpoints and their sealed secrets and headers, messages and attempts, the poller feed, revocations —
and the deliveries the old release left waiting are made.

Two things of the fixture are moved to today before the new binary opens it, with plain SQL both schemas share: its
receiver's address (the fixture's fixed port may be taken; the test's receiver has its own) and its payloads' expiry
(90 days after the fixture was made; an expired payload is not delivered)."""

import glob
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest
from standardwebhooks import Webhook

from conftest import BACKEND, HeraldProcess, fresh_postgres_database
from receiver import Receiver

FIXTURES = sorted(glob.glob(os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "upgrade-*")))


def bring_to_today(receiver_url, fixture_port):
    """SQL that points the fixture's endpoints at this run's receiver and gives its payloads 90 more days."""
    old = f"http://127.0.0.1:{fixture_port}"
    expires = int((time.time() + 90 * 86400) * 1000)
    return (f"UPDATE endpoints SET url = replace(url, '{old}', '{receiver_url}'); "
            f"UPDATE messages SET payload_expires_at = {expires};")


def call(server, method, path, token, body=None):
    request = urllib.request.Request(server.url + "/api/v1" + path, method=method, data=None if body is None else json.dumps(body).encode())
    request.add_header("authorization", "Bearer " + token)
    request.add_header("content-type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read()
        return json.loads(text) if text else None


@pytest.mark.parametrize("fixture", FIXTURES, ids=[os.path.basename(f) for f in FIXTURES])
def test_a_database_of_an_older_release_opens_migrates_and_keeps_delivering(fixture):
    with open(os.path.join(fixture, "keys.json")) as file:
        keys = json.load(file)
    with open(os.path.join(fixture, "manifest.json")) as file:
        manifest = json.load(file)[BACKEND]
    with tempfile.TemporaryDirectory() as workdir:
        receiver = Receiver()
        update = bring_to_today(receiver.url, manifest["receiverPort"])
        if BACKEND == "postgres":
            database = fresh_postgres_database()
            subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", database, "-f", os.path.join(fixture, "postgres.sql")],
                           check=True, stdout=subprocess.DEVNULL)
            subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", database, "-c", update], check=True)
        else:
            shutil.copy(os.path.join(fixture, "herald.db"), os.path.join(workdir, "herald.db"))
            with sqlite3.connect(os.path.join(workdir, "herald.db")) as connection:
                connection.executescript(update)
            database = f"sqlite:{workdir}/herald.db"
        server = HeraldProcess(workdir, extra_env=keys, database=database)
        try:
            server.start()
            token = server.token()
            apps = manifest["applications"]
            endpoints = manifest["endpoints"]

            # What was written is read back, secrets opened with the same main key.
            listed = {app["id"]: app for app in call(server, "GET", "/app", token)["data"]}
            assert set(listed) == set(apps.values())
            assert listed[apps["acme"]]["uid"] == "acme" and listed[apps["acme"]]["metadata"] == {"tier": "gold"}
            acme_endpoints = {e["id"]: e for e in call(server, "GET", "/app/acme/endpoint", token)["data"]}
            assert set(acme_endpoints) == {endpoints["paid"], endpoints["eu"], endpoints["inbox"]}
            assert acme_endpoints[endpoints["eu"]]["channels"] == ["eu"]
            assert call(server, "GET", f"/app/acme/endpoint/{endpoints['paid']}/secret", token)["key"] == manifest["paidSecret"]
            assert call(server, "GET", f"/app/acme/endpoint/{endpoints['paid']}/headers", token)["headers"] == {"X-Tenant": "acme"}
            names = {t["name"] for t in call(server, "GET", "/event-type", token)["data"]}
            assert names == {"invoice.paid", "invoice.failed"}
            for message_id in manifest["delivered"][:2] + manifest["waiting"]:
                assert call(server, "GET", f"/app/acme/msg/{message_id}", token)["id"] == message_id
            attempts = call(server, "GET", f"/app/acme/attempt/msg/{manifest['delivered'][0]}", token)["data"]
            assert [a["status"] for a in attempts] == [0]  # 0: success

            # The revoked token stays revoked.
            with pytest.raises(urllib.error.HTTPError) as refused:
                call(server, "GET", "/app", manifest["revokedToken"])
            assert refused.value.code == 401

            # The deliveries the old release left waiting are made, signed with the endpoint's (rotated) secret.
            waiting = receiver.wait_for("/paid", 2, timeout=60)
            assert sorted(r["headers"]["webhook-id"] for r in waiting) == sorted(manifest["waiting"])
            for request in waiting:
                Webhook(manifest["paidSecret"]).verify(request["body"], request["headers"])

            # New messages flow as before, and the poller feed holds the old ones and the new one, in order.
            new = call(server, "POST", "/app/acme/msg", token, {"eventType": "invoice.paid", "payload": {"invoiceId": "inv_6"}})
            assert any(r["headers"]["webhook-id"] == new["id"] for r in receiver.wait_for("/paid", 3, timeout=30))
            feed = call(server, "GET", "/app/acme/poller/inbox?limit=100", token)["data"]
            acme_messages = manifest["delivered"][:2] + manifest["waiting"] + [new["id"]]
            assert [m["id"] for m in feed] == acme_messages
        finally:
            server.stop()
            receiver.close()
