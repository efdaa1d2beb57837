"""The SSRF guard on a real `herald serve`: loopback blocked by default, proxies in the environment ignored."""

import tempfile
import time

import httpx

from conftest import HeraldProcess
from receiver import Receiver


def wait_for_attempts(herald, headers, app, message_id, count=1):
    for _ in range(200):
        attempts = httpx.get(f"{herald.url}/api/v1/app/{app}/attempt/msg/{message_id}", headers=headers).json()["data"]
        if len(attempts) >= count:
            return attempts
        time.sleep(0.05)
    return []


def test_loopback_is_blocked_by_default():
    receiver = Receiver()
    with tempfile.TemporaryDirectory() as workdir:
        herald = HeraldProcess(workdir, {"HERALD_ALLOWED_SUBNETS": ""})
        herald.start()
        try:
            headers = {"authorization": f"Bearer {herald.token()}"}
            httpx.post(herald.url + "/api/v1/app", json={"name": "S", "uid": "s"}, headers=headers).raise_for_status()
            literal = httpx.post(herald.url + "/api/v1/app/s/endpoint", json={"url": receiver.url + "/hook"}, headers=headers)
            assert literal.status_code == 422
            port = receiver.url.rsplit(":", 1)[1]
            named = httpx.post(herald.url + "/api/v1/app/s/endpoint", json={"url": f"http://localhost:{port}/hook"}, headers=headers)
            assert named.status_code == 201
            message = httpx.post(herald.url + "/api/v1/app/s/msg", json={"eventType": "a", "payload": {}}, headers=headers).json()
            [attempt] = wait_for_attempts(herald, headers, "s", message["id"])
            assert attempt["responseStatusCode"] == 0
            assert attempt["response"].startswith("destination not allowed")
            assert receiver.requests == []
        finally:
            herald.stop()
            receiver.close()


def test_proxy_variables_do_not_route_around_the_guard():
    receiver = Receiver()
    canary = Receiver()
    proxy = canary.url
    with tempfile.TemporaryDirectory() as workdir:
        herald = HeraldProcess(
            workdir, {"HTTP_PROXY": proxy, "HTTPS_PROXY": proxy, "ALL_PROXY": proxy, "http_proxy": proxy, "NO_PROXY": "*"}
        )
        herald.start()
        try:
            headers = {"authorization": f"Bearer {herald.token()}"}
            httpx.post(herald.url + "/api/v1/app", json={"name": "P", "uid": "p"}, headers=headers).raise_for_status()
            httpx.post(herald.url + "/api/v1/app/p/endpoint", json={"url": receiver.url + "/direct"}, headers=headers).raise_for_status()
            httpx.post(herald.url + "/api/v1/app/p/msg", json={"eventType": "a", "payload": {}}, headers=headers).raise_for_status()
            assert len(receiver.wait_for("/direct", 1)) == 1
            assert canary.requests == []
        finally:
            herald.stop()
            receiver.close()
            canary.close()
