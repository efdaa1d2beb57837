"""The tenants and what they do: organisations, applications and their endpoints; a fixed-rate message load with
bursts; polling consumers; portal tokens holding live streams; and an operator who re-enables what a 410 disabled."""

import asyncio
import base64
import json
import os
import random
import time
from dataclasses import dataclass, field

import httpx

from receivers import Receiver

EVENT_TYPES = ("order.created", "order.paid", "invoice.sent")
AMOUNT_FILTER = {"amount": {"$gte": 50}}


@dataclass
class Endpoint:
    key: str
    app: "App"
    role: str
    id: str = ""
    receiver: Receiver | None = None
    types: tuple | None = None
    channels: tuple | None = None
    filtered: bool = False
    fifo: bool = False
    # [start, end] spans in which the endpoint was (or may have been) disabled: messages accepted then may skip it.
    disabled_spans: list = field(default_factory=list)

    def matches(self, message: "Sent") -> bool:
        if self.types is not None and message.event_type not in self.types:
            return False
        if self.channels is not None and not (set(message.channels or ()) & set(self.channels)):
            return False
        return not (self.filtered and message.amount < 50)


@dataclass
class App:
    org: str
    id: str
    token: str
    endpoints: list = field(default_factory=list)
    poller_id: str = ""
    portal_token: str = ""


@dataclass
class Sent:
    seq: int
    app: App
    event_type: str
    channels: list | None
    amount: int
    first_sent: float
    answered_at: float = 0.0
    outcome: str = "pending"  # accepted, refused, unknown
    msg_id: str | None = None
    statuses: list = field(default_factory=list)


def secret() -> str:
    return "whsec_" + base64.b64encode(os.urandom(24)).decode()


class Tenants:
    """Creates the world through the public API of the first instance."""

    def __init__(self, instances, receiver_log: list, request_timeout: float, seed: int):
        self.instances = instances
        self.receiver_log = receiver_log
        self.request_timeout = request_timeout
        self.random = random.Random(seed)
        self.apps: list[App] = []

    async def create(self, client: httpx.AsyncClient, orgs: int, apps_per_org: int):
        base = self.instances[0].url
        for org_index in range(orgs):
            org = f"org_soak{org_index}"
            token = await asyncio.to_thread(self.instances[0].run, "token", "create", "--org", org)
            auth = {"authorization": f"Bearer {token}"}
            for name in EVENT_TYPES:
                await post(client, f"{base}/api/v1/event-type", auth, {"name": name, "description": name})
            for app_index in range(apps_per_org):
                created = await post(client, f"{base}/api/v1/app", auth,
                                     {"name": f"soak {org_index}.{app_index}", "uid": f"soak-{org_index}-{app_index}"})
                app = App(org=org, id=created["id"], token=token)
                await self.add_endpoints(client, base, auth, app, fifo=app_index == 0)
                poller = await post(client, f"{base}/api/v1/app/{app.id}/endpoint", auth,
                                    {"url": "poller://", "uid": "inbox"})
                app.poller_id = poller["id"]
                portal = await post(client, f"{base}/api/v1/auth/app-portal-access/{app.id}", auth, {})
                app.portal_token = portal["token"]
                self.apps.append(app)

    async def add_endpoints(self, client, base, auth, app: App, fifo: bool):
        roles = [
            ("steady", {}, {}),
            ("flapper", {}, {"circuitBreaker": {"failureThreshold": 5, "cooldownSeconds": 3}}),
            ("filtered", {"filterTypes": ["order.created", "order.paid"]}, {"filter": AMOUNT_FILTER}),
            ("eu", {"channels": ["eu"], "throttleRate": 20}, {}),
            ("wanderer", {}, {"circuitBreaker": {"failureThreshold": 5, "cooldownSeconds": 5}}),
        ]
        if fifo:
            roles.append(("ordered", {}, {"ordering": "fifo", "retrySchedule": [1, 1, 2]}))
        for role, extra, policy in roles:
            key = f"{app.id}-{role}"
            endpoint = Endpoint(key=key, app=app, role=role, types=tuple(extra["filterTypes"]) if "filterTypes" in extra
                                else None, channels=tuple(extra["channels"]) if "channels" in extra else None,
                                filtered="filter" in policy, fifo=policy.get("ordering") == "fifo")
            endpoint_secret = secret()
            endpoint.receiver = Receiver(key, app.id, endpoint_secret, self.receiver_log, self.request_timeout)
            if role == "steady":
                endpoint.receiver.error_rate = 0.02
            await endpoint.receiver.start()
            created = await post(client, f"{base}/api/v1/app/{app.id}/endpoint", auth,
                                 {"url": endpoint.receiver.url, "uid": role, "secret": endpoint_secret, **extra})
            endpoint.id = created["id"]
            if policy:
                response = await client.put(f"{base}/api/v1/app/{app.id}/endpoint/{endpoint.id}/policy", headers=auth,
                                            json=policy)
                response.raise_for_status()
            app.endpoints.append(endpoint)

    @property
    def endpoints(self) -> list[Endpoint]:
        return [endpoint for app in self.apps for endpoint in app.endpoints]


async def post(client: httpx.AsyncClient, url: str, headers: dict, body: dict) -> dict:
    response = await client.post(url, headers=headers, json=body)
    response.raise_for_status()
    return response.json()


class Load:
    """Messages at a fixed rate, each application's in sequence (one after the other's answer), plus bursts sent all at
    once. A request without a definitive answer (connection refused or cut, 429, 503) is sent again with the same
    idempotency key, to any instance, for up to `give_up` seconds, as a careful client would."""

    def __init__(self, tenants: Tenants, instances, rate: float, seed: int, give_up: float = 90):
        self.tenants = tenants
        self.instances = instances
        self.rate = rate
        self.random = random.Random(seed)
        self.give_up = give_up
        self.sent: list[Sent] = []
        self.next_instance = 0

    def message(self, app: App) -> Sent:
        channel_roll = self.random.random()
        channels = ["eu"] if channel_roll < 0.3 else ["us"] if channel_roll < 0.4 else None
        sent = Sent(seq=len(self.sent), app=app, event_type=self.random.choice(EVENT_TYPES), channels=channels,
                    amount=self.random.randint(0, 99), first_sent=time.time())
        self.sent.append(sent)
        return sent

    def body(self, sent: Sent) -> bytes:
        # Sizes from a few hundred bytes to 64 KiB, most of them small.
        pad = "x" * (self.random.choice((0, 0, 0, 200, 2000)) if sent.seq % 97 else 65_000)
        payload = {"soak": sent.seq, "app": sent.app.id, "amount": sent.amount, "pad": pad}
        body = {"eventType": sent.event_type, "payload": payload}
        if sent.channels:
            body["channels"] = sent.channels
        return json.dumps(body).encode()

    async def send(self, client: httpx.AsyncClient, sent: Sent):
        body = self.body(sent)
        headers = {"authorization": f"Bearer {sent.app.token}", "content-type": "application/json",
                   "idempotency-key": f"soak-{sent.seq}"}
        uncertain = False
        while time.time() - sent.first_sent < self.give_up:
            instance = self.instances[self.next_instance % len(self.instances)]
            self.next_instance += 1
            try:
                response = await client.post(f"{instance.url}/api/v1/app/{sent.app.id}/msg", content=body,
                                             headers=headers, timeout=15)
            except httpx.HTTPError as error:
                # Refused before a byte was sent: nothing can have been stored; anything else may have been.
                uncertain = uncertain or not isinstance(error, httpx.ConnectError)
                sent.statuses.append(type(error).__name__)
                await asyncio.sleep(0.2 + self.random.random() * 0.5)
                continue
            sent.statuses.append(response.status_code)
            if response.status_code == 429 or response.status_code >= 500:
                # A 5xx does not promise that nothing was stored (a commit whose answer was lost); a 429 does.
                uncertain = uncertain or response.status_code >= 500
                await asyncio.sleep(0.2 + self.random.random() * 0.5)
                continue
            sent.answered_at = time.time()
            if 200 <= response.status_code < 300:
                sent.outcome = "accepted"
                sent.msg_id = response.json().get("id")
            else:
                sent.outcome = "refused"
            return
        sent.answered_at = time.time()
        sent.outcome = "unknown" if uncertain else "refused"

    async def run(self, client: httpx.AsyncClient, stopping: asyncio.Event):
        apps = self.tenants.apps
        per_app = self.rate / len(apps)
        senders = [asyncio.create_task(self.sequential(client, app, per_app, stopping)) for app in apps]
        senders.append(asyncio.create_task(self.bursts(client, stopping)))
        await asyncio.gather(*senders)

    async def sequential(self, client, app: App, rate: float, stopping: asyncio.Event):
        interval = 1 / rate
        next_at = time.time()
        while not stopping.is_set():
            await self.send(client, self.message(app))
            next_at = max(next_at + interval, time.time() - 1)
            await asyncio.sleep(max(next_at - time.time(), 0))

    async def bursts(self, client, stopping: asyncio.Event):
        while not stopping.is_set():
            try:
                await asyncio.wait_for(stopping.wait(), timeout=self.random.uniform(15, 45))
                return
            except asyncio.TimeoutError:
                pass
            app = self.random.choice(self.tenants.apps)
            await asyncio.gather(*(self.send(client, self.message(app)) for _ in range(40)))
