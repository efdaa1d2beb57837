"""HERALD_LOG_FORMAT=json: every line herald serve writes parses as one JSON object with stable keys; a request's lines
carry the id its response returned (x-request-id, echoed when given), a delivery's lines name its message, endpoint,
application and attempt; secrets never appear."""

import json
import tempfile

import httpx

from conftest import HeraldProcess
from receiver import Receiver


def test_json_logs_parse_line_by_line_and_carry_the_ids():
    receiver = Receiver()
    with tempfile.TemporaryDirectory() as workdir:
        herald = HeraldProcess(workdir, extra_env={"HERALD_LOG_FORMAT": "json", "HERALD_LOG_LEVEL": "debug"})
        herald.start()
        try:
            token = herald.token()
            headers = {"authorization": f"Bearer {token}"}
            app = httpx.post(herald.url + "/api/v1/app", json={"name": "Logs"}, headers=headers).json()
            endpoint = httpx.post(herald.url + f"/api/v1/app/{app['id']}/endpoint", json={"url": receiver.url + "/logs"},
                                  headers=headers).json()
            secret = httpx.get(herald.url + f"/api/v1/app/{app['id']}/endpoint/{endpoint['id']}/secret", headers=headers).json()["key"]
            created = httpx.post(herald.url + f"/api/v1/app/{app['id']}/msg", json={"eventType": "log.checked", "payload": {}},
                                 headers={**headers, "x-request-id": "trace-json-1"})
            assert created.status_code == 202 and created.headers["x-request-id"] == "trace-json-1"
            message = created.json()["id"]
            assert len(receiver.wait_for("/logs", 1)) == 1
            generated = httpx.get(herald.url + "/api/v1/app", headers=headers).headers["x-request-id"]
            assert generated.startswith("req_")
        finally:
            herald.stop()
            receiver.close()

        lines = open(herald.log_path).read().splitlines()
        objects = [json.loads(line) for line in lines]  # every line parses
        assert all({"timestamp", "level", "message", "logger"} <= set(entry) for entry in objects)
        requests = [entry for entry in objects if entry["message"] == "request"]
        assert any(entry.get("request_id") == "trace-json-1" and entry.get("status") == "202"
                   and entry.get("path") == f"/api/v1/app/{app['id']}/msg" for entry in requests)
        assert any(entry.get("request_id") == generated for entry in requests)
        attempts = [entry for entry in objects if entry["message"] == "delivery attempt"]
        assert any(entry.get("msg_id") == message and entry.get("endpoint_id") == endpoint["id"]
                   and entry.get("app_id") == app["id"] and entry.get("attempt_id", "").startswith("atmpt_")
                   for entry in attempts), attempts
        text = open(herald.log_path).read()
        assert token not in text and secret not in text
