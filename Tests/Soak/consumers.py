"""Readers that hold on through every fault: a polling consumer per application (iterator kept on the client), a portal
token's live stream per application and an operator's per organisation, and the operator who re-enables endpoints."""

import asyncio
import json
import time

import httpx


class Rotation:
    """Instances tried in turn: whoever is up answers."""

    def __init__(self, instances):
        self.instances = instances
        self.index = 0

    def next(self):
        self.index += 1
        return self.instances[self.index % len(self.instances)]


class PollingConsumer:
    def __init__(self, app, instances):
        self.app = app
        self.rotation = Rotation(instances)
        self.seen = []  # (msg id, soak seq, payload app, read at)
        self.errors = 0
        self.caught_up_at = 0.0

    async def run(self, client: httpx.AsyncClient, stopping: asyncio.Event):
        iterator = None
        while not stopping.is_set():
            instance = self.rotation.next()
            query = {"limit": "100", "wait": "2"}
            if iterator:
                query["iterator"] = iterator
            try:
                response = await client.get(f"{instance.url}/api/v1/app/{self.app.id}/poller/{self.app.poller_id}",
                                            params=query, headers={"authorization": f"Bearer {self.app.token}"},
                                            timeout=10)
                response.raise_for_status()
                page = response.json()
            except (httpx.HTTPError, ValueError):
                self.errors += 1
                await asyncio.sleep(0.3)
                continue
            now = time.time()
            for item in page["data"]:
                payload = item.get("payload") or {}
                self.seen.append((item["id"], payload.get("soak"), payload.get("app"), now))
            iterator = page["iterator"]
            self.caught_up_at = now if page.get("done") else 0.0


class LiveStream:
    """`GET /api/v1/live` held open with a token; every event naming an application must name one the token may see."""

    def __init__(self, name: str, token: str, allowed_apps: set, instances):
        self.name = name
        self.token = token
        self.allowed = allowed_apps
        self.rotation = Rotation(instances)
        self.events = {}
        self.foreign = []
        self.connects = 0

    async def run(self, client: httpx.AsyncClient, stopping: asyncio.Event):
        last_id = None
        while not stopping.is_set():
            instance = self.rotation.next()
            headers = {"authorization": f"Bearer {self.token}", "accept": "text/event-stream"}
            if last_id:
                headers["last-event-id"] = last_id
            try:
                async with client.stream("GET", f"{instance.url}/api/v1/live", headers=headers,
                                         timeout=httpx.Timeout(10, read=30)) as response:
                    if response.status_code != 200:
                        await asyncio.sleep(1)
                        continue
                    self.connects += 1
                    event, data = "message", []
                    async for line in response.aiter_lines():
                        if stopping.is_set():
                            return
                        if line.startswith("id:"):
                            last_id = line[3:].strip()
                        elif line.startswith("event:"):
                            event = line[6:].strip()
                        elif line.startswith("data:"):
                            data.append(line[5:].strip())
                        elif line == "":
                            if data:
                                self.record(event, "\n".join(data))
                            event, data = "message", []
            except (httpx.HTTPError, ConnectionError):
                pass
            await asyncio.sleep(0.5)

    def record(self, event: str, data: str):
        self.events[event] = self.events.get(event, 0) + 1
        try:
            body = json.loads(data)
        except ValueError:
            return
        items = body if isinstance(body, list) else [body]
        for item in items:
            app = item.get("appId") if isinstance(item, dict) else None
            if app is not None and app not in self.allowed:
                self.foreign.append((event, app))


class Operator:
    """Re-enables endpoints that a 410 disabled, then recovers what failed meanwhile, as a person on call would."""

    def __init__(self, tenants, instances):
        self.tenants = tenants
        self.rotation = Rotation(instances)
        self.enabled_again = []  # (endpoint key, re-enabled at, PATCH sent at)

    async def run(self, client: httpx.AsyncClient, stopping: asyncio.Event, every: float = 10):
        while not stopping.is_set():
            try:
                await asyncio.wait_for(stopping.wait(), timeout=every)
                return
            except asyncio.TimeoutError:
                pass
            await self.sweep(client)

    async def sweep(self, client: httpx.AsyncClient):
        for endpoint in self.tenants.endpoints:
            if endpoint.role != "flapper":
                continue
            instance = self.rotation.next()
            base = f"{instance.url}/api/v1/app/{endpoint.app.id}/endpoint/{endpoint.id}"
            auth = {"authorization": f"Bearer {endpoint.app.token}"}
            try:
                response = await client.get(base, headers=auth, timeout=10)
                if response.status_code != 200 or not response.json().get("disabled"):
                    continue
                since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 600))
                sent = time.time()
                patched = await client.patch(base, headers=auth, json={"disabled": False}, timeout=10)
                if patched.status_code == 200:
                    self.enabled_again.append((endpoint.key, time.time(), sent))
                    await client.post(f"{base}/recover", headers=auth, json={"since": since}, timeout=10)
            except (httpx.HTTPError, ValueError):
                continue
