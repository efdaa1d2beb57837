"""`herald backup` under load: ingest goes on while it copies, and a server started on the copy has every message that
was answered 202 before the backup began, with its endpoints' secrets readable (the key files came along)."""

import os
import sqlite3
import subprocess
import tempfile
import threading
import time

import httpx
import pytest

from conftest import BACKEND, HERALD_BIN, HeraldProcess


@pytest.mark.skipif(BACKEND != "sqlite", reason="herald backup copies the embedded SQLite database")
def test_a_backup_under_load_restores_every_message_accepted_before_it():
    with tempfile.TemporaryDirectory() as workdir:
        herald = HeraldProcess(workdir, database=f"sqlite:{workdir}/herald.db")
        herald.start()
        headers = {"authorization": f"Bearer {herald.token()}"}
        httpx.post(herald.url + "/api/v1/app", json={"name": "Backup", "uid": "backup"}, headers=headers).raise_for_status()
        endpoint = httpx.post(herald.url + "/api/v1/app/backup/endpoint", json={"url": "https://example.com/hook"},
                              headers=headers).json()
        secret = httpx.get(herald.url + f"/api/v1/app/backup/endpoint/{endpoint['id']}/secret", headers=headers).json()["key"]

        answered = []  # (message id, time the 202 arrived)
        failures = []
        stop = threading.Event()

        def load():
            with httpx.Client(base_url=herald.url, headers=headers, timeout=10) as client:
                n = 0
                while not stop.is_set():
                    n += 1
                    response = client.post("/api/v1/app/backup/msg", json={"eventType": "backup.load", "payload": {"n": n}})
                    if response.status_code == 202:
                        answered.append((response.json()["id"], time.monotonic()))
                    else:
                        failures.append(response.status_code)

        threads = [threading.Thread(target=load) for _ in range(4)]
        for thread in threads:
            thread.start()
        try:
            time.sleep(1.5)
            began = time.monotonic()
            result = subprocess.run([HERALD_BIN, "backup", f"{workdir}/copy.db", "--database", herald.database],
                                    env=herald.env, capture_output=True, text=True, timeout=120)
            ended = time.monotonic()
            time.sleep(0.5)
        finally:
            stop.set()
            for thread in threads:
                thread.join()
            herald.stop()
        assert result.returncode == 0, result.stderr
        assert f"to {workdir}/copy.db, {workdir}/copy.db.main-key, {workdir}/copy.db.jwt-secret" in result.stdout
        assert failures == []
        before = [message for message, at in answered if at < began]
        during_or_after = [message for message, at in answered if at >= ended]
        assert len(before) > 100 and len(during_or_after) > 0  # ingest went on during and after the copy

        for suffix in ["", ".main-key", ".jwt-secret"]:
            assert os.stat(f"{workdir}/copy.db{suffix}").st_mode & 0o077 == 0
        with sqlite3.connect(f"file:{workdir}/copy.db?mode=ro", uri=True) as copy:
            ids = {row[0] for row in copy.execute("SELECT id FROM messages")}
        assert set(before) <= ids
        # A second backup never overwrites the first.
        again = subprocess.run([HERALD_BIN, "backup", f"{workdir}/copy.db", "--database", herald.database],
                               env=herald.env, capture_output=True, text=True, timeout=60)
        assert again.returncode == 1 and "exists" in again.stderr

        restored = HeraldProcess(workdir, database=f"sqlite:{workdir}/copy.db", name="restored")
        restored.start()
        try:
            restored_headers = {"authorization": f"Bearer {restored.token()}"}
            for message in (before[0], before[-1]):
                response = httpx.get(restored.url + f"/api/v1/app/backup/msg/{message}", headers=restored_headers)
                assert response.status_code == 200 and response.json()["eventType"] == "backup.load"
            copied_secret = httpx.get(restored.url + f"/api/v1/app/backup/endpoint/{endpoint['id']}/secret",
                                      headers=restored_headers).json()["key"]
            assert copied_secret == secret
        finally:
            restored.stop()
