"""Trust on the backend under test: a logged-out token stays out in every spelling, and an open stream closes."""

import threading
import time
import uuid

import httpx

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def respellings(token: str) -> list[str]:
    """Spellings that verify alike: the signature's last character's unused bits flipped, and padding."""
    last = ALPHABET.index(token[-1])
    return [token[:-1] + ALPHABET[last ^ 1], token + "=", token + "=="]


def test_logout_ends_every_spelling_and_the_open_stream(herald):
    org = httpx.Client(base_url=herald.url + "/api/v1", headers={"authorization": f"Bearer {herald.token()}"}, timeout=30)
    uid = "trust-" + uuid.uuid4().hex[:6]
    org.post("/app", json={"name": "Trust", "uid": uid}).raise_for_status()
    token = org.post(f"/auth/app-portal-access/{uid}", json={}).json()["token"]

    def status(spelling: str) -> int:
        return httpx.get(f"{herald.url}/api/v1/app/{uid}", headers={"authorization": f"Bearer {spelling}"}).status_code

    accepted = [spelling for spelling in [token] + respellings(token) if status(spelling) == 200]
    assert len(accepted) >= 3  # the attack: several spellings of one token

    ended = threading.Event()

    def watch():
        with httpx.stream("GET", f"{herald.url}/api/v1/live", headers={"authorization": f"Bearer {token}"}, timeout=60) as stream:
            for _ in stream.iter_bytes():
                pass
        ended.set()

    threading.Thread(target=watch, daemon=True).start()
    time.sleep(1)
    logout = httpx.post(f"{herald.url}/api/v1/auth/logout", headers={"authorization": f"Bearer {respellings(token)[0]}"})
    assert logout.status_code == 204
    assert all(status(spelling) == 401 for spelling in [token] + respellings(token))
    # Open streams look at their token again every 15 s.
    assert ended.wait(timeout=40)
