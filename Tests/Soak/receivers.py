"""Webhook receivers on loopback whose behaviour the fault scheduler changes while they run.

Each endpoint has its own receiver (its own port), so one can go away (connection refused) while the others answer.
Every request is logged with what the receiver did about it; a delivery counts only when a 2xx was written in full.
"""

import asyncio
import json
import random
import socket
import struct
import time

import standardwebhooks

# What a receiver does with a request. `drip-ok` answers 200 slowly but within Herald's timeout; `drip-slow` too slowly.
MODES = ("ok", "error", "gone410", "throttle", "timeout", "reset", "drip-ok", "drip-slow")


class Receiver:
    def __init__(self, key: str, app_id: str, secret: str, log: list, request_timeout: float):
        self.key = key
        self.app_id = app_id
        self.webhook = standardwebhooks.Webhook(secret)
        self.log = log
        self.request_timeout = request_timeout
        self.mode = "ok"
        self.error_rate = 0.0
        self.server = None
        self.port = None
        self.connections = set()
        self.random = random.Random(key)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/{self.key}"

    async def start(self):
        self.server = await asyncio.start_server(self.serve, "127.0.0.1", self.port or 0, reuse_address=True)
        self.port = self.server.sockets[0].getsockname()[1]

    async def go_away(self):
        """Closes the listening socket and every open connection: senders see connection refused."""
        if self.server:
            self.server.close()
            for writer in list(self.connections):
                writer.transport.abort()
            self.server = None

    async def come_back(self):
        if self.server is None:
            await self.start()

    @property
    def away(self) -> bool:
        return self.server is None

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.connections.add(writer)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    return
                headers = {}
                for line in head.decode("latin-1").split("\r\n")[1:]:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                if not await self.answer(headers, body, writer):
                    return
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            return
        finally:
            self.connections.discard(writer)
            writer.close()

    async def answer(self, headers: dict, body: bytes, writer: asyncio.StreamWriter) -> bool:
        """Answers one request as the current mode says; returns whether the connection may be reused."""
        entry = {"endpoint": self.key, "at": time.time(), "msg": headers.get("webhook-id"), "mode": self.mode}
        self.log.append(entry)
        entry.update(self.inspect(headers, body))
        mode = self.mode
        if mode == "ok" and self.error_rate and self.random.random() < self.error_rate:
            mode = "error"
        entry["mode"] = mode
        if mode == "timeout":
            await asyncio.sleep(self.request_timeout + 2)
            return False
        if mode == "reset":
            sock = writer.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            return False
        status, extra, drip = {
            "ok": (204, {}, 0),
            "error": (self.random.choice((500, 503)), {}, 0),
            "gone410": (410, {}, 0),
            "throttle": (429, {"retry-after": str(self.random.randint(1, 3))}, 0),
            "drip-ok": (200, {}, self.request_timeout / 4),
            "drip-slow": (200, {}, self.request_timeout * 2),
        }[mode]
        entry["status"] = status
        text = b"received" if drip else b""
        head = f"HTTP/1.1 {status} X\r\ncontent-length: {len(text)}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in extra.items())
        writer.write((head + "\r\n").encode())
        try:
            await writer.drain()
            entry["answered"] = time.time()
            # The answer is given once its status line is out: a receiver that said 200 has taken the webhook, even
            # if the sender stops reading the rest (a slow body outlasting its timeout).
            entry["complete"] = 200 <= status < 300
            if drip:
                for byte in text:
                    await writer.drain()
                    await asyncio.sleep(drip / len(text))
                    writer.write(bytes([byte]))
            await writer.drain()
        except ConnectionError:
            return False
        return True

    def inspect(self, headers: dict, body: bytes) -> dict:
        """What the checker needs from a request: whose message it is, and whether it was signed for this endpoint."""
        found = {}
        try:
            self.webhook.verify(body, headers)
            found["signed"] = True
        except Exception:
            found["signed"] = False
        try:
            payload = json.loads(body)
            found["seq"] = payload.get("soak")
            found["app"] = payload.get("app")
        except (ValueError, AttributeError):
            found["seq"] = None
        return found
