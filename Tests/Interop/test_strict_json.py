"""Herald keeps only strict JSON (RFC 8259 plus the choices documented in README: UTF-8 without BOM, paired
surrogates, no duplicate keys, nesting up to 256): a differential test against Python's `json` held to the same rules,
and a regression test that one bad body can no longer break the message list, the SDK or the portal."""

import json
import uuid

import httpx
from svix.api import MessageListOptions, Svix, SvixOptions

MAX_DEPTH = 256


def strict_python(body: bytes) -> bool:
    """Python's verdict: strict UTF-8, no NaN/Infinity, no duplicate keys, no lone surrogates, nesting ≤ 256."""
    try:
        text = body.decode("utf-8")  # strict: invalid UTF-8 (and encoded surrogates) raise

        def no_duplicates(pairs):
            keys = [key for key, _ in pairs]
            if len(keys) != len(set(keys)):
                raise ValueError("duplicate key")
            return dict(pairs)

        def no_constants(name):
            raise ValueError(name)

        value = json.loads(text, object_pairs_hook=no_duplicates, parse_constant=no_constants)
    except (ValueError, RecursionError, UnicodeDecodeError):
        return False

    def sound(item, depth):
        if isinstance(item, str):
            return not any(0xD800 <= ord(c) <= 0xDFFF for c in item)
        if isinstance(item, list):
            return depth < MAX_DEPTH and all(sound(x, depth + 1) for x in item)
        if isinstance(item, dict):
            return depth < MAX_DEPTH and all(sound(k, depth + 1) and sound(v, depth + 1) for k, v in item.items())
        return True

    return sound(value, 0)


# Payloads, each sent as the `payload` of a message body; then whole bodies with the problem outside the payload.
PAYLOADS = [
    b'{"a": 1}', b'{"a": 1,}', b'{"a": 01}', b'{"a": -01}', b'{"a": 0}', b'{"a": -0}', b'{"a": 0.5}', b'{"a": .5}',
    b'{"a": 5.}', b'{"a": 1e5}', b'{"a": 1E+5}', b'{"a": 1e}', b'{"a": +1}', b'{"a": NaN}', b'{"a": Infinity}',
    b'{"a": -Infinity}', b'{"a": [1, 2,]}', b'{"a": [,1]}', b'{"a": [1,,2]}', b'{"a": "\x01"}', b'{"a": "\x1f"}',
    b'{"a": "\x7f"}', b'{"a": "tab\tin"}', b'{"a": "\\t"}', b'{"a": "\\u0000"}', b'{"a": "\\ud800"}', b'{"a": "\\udc00"}',
    b'{"a": "\\ud83d\\ude00"}', b'{"a": "\\ud83d"}', b'{"a": "\\ud83dx"}', b'{"a": "\\x41"}', b'{"a": "\\u00e9"}',
    b'{"a": "\\u00G9"}', '{"a": "é"}'.encode(), b'{"a": "\xc3\x28"}', b'{"a": "\xed\xa0\x80"}', b'{"a": "\xc0\xaf"}',
    b'{"a": "\xf4\x90\x80\x80"}', b'{"a": "\xf0\x9f\x98\x80"}', b'{"a": 1, "a": 2}', b'{"a": 1, "\\u0061": 2}',
    b'{"a": {"b": 1, "b": 1}}', b'{"a": true}', b'{"a": True}', b'{"a": nul}', b'{"a": null}', b"{'a': 1}",
    b'{a: 1}', b'{"a" 1}', b'{"a": 1 "b": 2}', b'{"a": 1}}', b'{"a": [1]]}', b'{"a": "x" }', b'{ "a" : [ ] }',
    b'{"a": 123456789012345678901234567890}', b'{"a": 1e400}', b'{"a": -1e-400}', b'{"a": 0e0}', b'{"a": 1.0e-5}',
    b'{"a": ' + b"[" * 100 + b"]" * 100 + b"}", b'{"a": ' + b"[" * 300 + b"]" * 300 + b"}",
    b'{"a": ' + b'{"b":' * 200 + b"1" + b"}" * 200 + b"}", b'{"a": "/* no */"}', b'{"a": 1} // comment',
    b'{"a": "\\/"}', b'{"a": "\\"}', b'{"a": "\\\\"}', b'{"a":\n1\r\n}', b'{"a":\x0b1}', b'{"a":\xc2\xa01}',
]
BODIES = [
    b'{"eventType": "strict.test", "payload": {"a": 1},}', b'{"eventType": "strict.test", "payload": {"a": 1}} x',
    b'\xef\xbb\xbf{"eventType": "strict.test", "payload": {"a": 1}}', b'{"eventType": "strict.test", "payload": {"a": 1}}\n',
    b'{"eventType": "strict.test", "eventType": "strict.test", "payload": {}}', b'{"eventType": "strict.test", "payload": {}, "channels": ["a",]}',
]


def test_herald_and_python_give_the_same_verdict(herald):
    token = herald.token()
    app = "strict-" + uuid.uuid4().hex[:6]
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    disagreements = []
    with httpx.Client(base_url=herald.url + "/api/v1", headers=headers, timeout=10) as http:
        http.post("/app", json={"name": "Strict", "uid": app}).raise_for_status()
        bodies = [b'{"eventType": "strict.test", "payload": ' + payload + b"}" for payload in PAYLOADS] + BODIES
        for body in bodies:
            response = http.post(f"/app/{app}/msg", content=body)
            refused_as_json = response.status_code == 422 and response.json()["detail"][0]["type"] == "value_error.jsondecode"
            if response.status_code == 422 and refused_as_json:
                assert "line" in response.json()["detail"][0]["msg"]  # says where
            if refused_as_json == strict_python(body):
                disagreements.append((body[:80], response.status_code, response.text[:120]))
            assert response.status_code < 500
    assert disagreements == []


def test_a_rejected_body_leaves_every_reader_working(herald):
    token = herald.token()
    app = "readable-" + uuid.uuid4().hex[:6]
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    with httpx.Client(base_url=herald.url + "/api/v1", headers=headers, timeout=10) as http:
        http.post("/app", json={"name": "Readable", "uid": app}).raise_for_status()
        http.post(f"/app/{app}/msg", json={"eventType": "ok.event", "payload": {"n": 1}}).raise_for_status()
        for bad in (b'{"eventType":"x","payload":{"a": 1,}}', b'{"eventType":"x","payload":{"a":01}}', b'{"eventType":"x","payload":[1,2,]}'):
            response = http.post(f"/app/{app}/msg", content=bad)
            assert response.status_code == 422, bad
            assert "line 1, column" in response.json()["detail"][0]["msg"]
        listed = http.get(f"/app/{app}/msg", params={"with_content": "true"})
        listed.raise_for_status()
        json.loads(listed.content.decode("utf-8"))  # strict parse of the whole list
    svix = Svix(token, SvixOptions(server_url=herald.url))
    messages = svix.message.list(app, MessageListOptions(with_content=True))
    assert [m.payload for m in messages.data] == [{"n": 1}]
