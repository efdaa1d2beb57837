"""The fault schedule, drawn from the seed before the run starts (so a seed names the same faults at the same moments),
and the executor that injects them."""

import asyncio
import random
import signal
import time

from receivers import MODES

# Every kind the soak injects; a run of any length schedules each at least once: database crashes on a single
# PostgreSQL server, primary kills on a Patroni cluster (`--failover`, which has no disk of its own to fill).
KINDS = ("sigkill", "sigterm", "receiver-mode", "receiver-away", "disk-full", "db-crash", "primary-kill")
# Longest a graceful stop may take (Herald's own requests time out within seconds); then it is killed, and the checker
# reports the stop as hung.
STOP_TIMEOUT = 30
# Faults after which a repeated delivery is expected (what was in flight may be sent again).
DISRUPTIVE = ("sigkill", "sigterm", "db-crash", "primary-kill", "disk-full")


def expected_kinds(postgres: bool, failover: bool) -> list[str]:
    left_out = {"primary-kill"} if not failover else {"db-crash", "disk-full"}
    if not postgres:
        left_out.add("db-crash")
    return [kind for kind in KINDS if kind not in left_out]


def schedule(seed: int, seconds: float, instances: int, flappers: list, wanderers: list, ordered: list,
             postgres: bool, spare_first: bool = False, failover: bool = False) -> list[dict]:
    """With `spare_first` (and several instances), instance 0 is never stopped: one process lives the whole run, so
    its memory curve can show a slow leak that restarts would hide."""
    rng = random.Random(seed)
    first_target = 1 if spare_first and instances > 1 else 0
    long_run = seconds >= 1200
    events = []

    def every(kind: str, mean_gap: float, make):
        t = rng.uniform(0.1, 0.3) * min(mean_gap, seconds)
        while t < seconds * 0.9:
            events.append({"at": t, "kind": kind, **make()})
            t += rng.uniform(0.6, 1.4) * mean_gap

    every("sigkill", 180 if long_run else seconds / 3,
          lambda: {"instance": rng.randrange(first_target, instances), "pause": rng.uniform(0.5, 5)})
    every("sigterm", 300 if long_run else seconds / 2,
          lambda: {"instance": rng.randrange(first_target, instances), "pause": rng.uniform(0.5, 5)})
    if failover:
        # Down long enough for Patroni to promote a standby (its leader key lives 10 s) before the node comes back.
        every("primary-kill", 240 if long_run else seconds / 3, lambda: {"pause": rng.uniform(15, 40)})
    else:
        every("disk-full", 900 if long_run else seconds,
              lambda: {"duration": rng.uniform(10, 30)})
    if postgres and not failover:
        every("db-crash", 480 if long_run else seconds / 1.5, lambda: {"pause": rng.uniform(1, 6)})
    away = (60, 240) if long_run else (15, 30)
    for key in wanderers:
        every("receiver-away", 900 if long_run else seconds, lambda: {"endpoint": key, "duration": rng.uniform(*away)})
    # Flappers change behaviour every few seconds; between them every mode comes up early in the run.
    for index, key in enumerate(flappers):
        t = rng.uniform(1, 5)
        first = list(MODES[index % len(MODES):] + MODES[:index % len(MODES)])
        while t < seconds:
            mode = first.pop(0) if first else rng.choices(MODES, weights=(6, 2, 0.3, 1, 1, 1, 1, 1))[0]
            events.append({"at": t, "kind": "receiver-mode", "endpoint": key, "mode": mode})
            t += rng.uniform(4, 15)
    for key in ordered:
        t = rng.uniform(5, 20)
        while t < seconds:
            mode = rng.choices(("ok", "error", "reset", "timeout"), weights=(8, 1, 1, 1))[0]
            events.append({"at": t, "kind": "receiver-mode", "endpoint": key, "mode": mode})
            t += rng.uniform(5, 20)
    return sorted(events, key=lambda event: event["at"])


class Injector:
    def __init__(self, instances, receivers: dict, volume, postgres, request_timeout: float):
        self.instances = instances
        self.receivers = receivers
        self.volume = volume
        self.postgres = postgres
        self.request_timeout = request_timeout
        self.done = []  # what was injected: the event, when it started and ended, and what it measured
        self.tasks = set()

    async def run(self, events: list[dict], started: float, stopping: asyncio.Event):
        for event in events:
            delay = started + event["at"] - time.time()
            if delay > 0:
                try:
                    await asyncio.wait_for(stopping.wait(), timeout=delay)
                    break
                except asyncio.TimeoutError:
                    pass
            # Faults overlap (a receiver away while an instance restarts), so each runs on its own; the set keeps
            # them referenced until they end, and `settle` waits for them.
            task = asyncio.create_task(self.inject(dict(event)))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def settle(self):
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)

    async def inject(self, event: dict):
        event["start"] = time.time()
        kind = event["kind"]
        if kind in ("sigkill", "sigterm"):
            instance = self.instances[event["instance"]]
            if instance.pid is None:
                event["skipped"] = "instance already down"
            else:
                # This process, not `instance.process`: the supervisor may have started the next one (the pause can
                # be over before the exit is seen here), and that one is not the one stopping. Watching it instead
                # once made a 3-second stop look like a hang of 50 s, ended by the next `kill -9`.
                process = instance.process
                instance.signal(signal.SIGKILL if kind == "sigkill" else signal.SIGTERM, event["pause"])
                exit_started = time.time()
                while process.poll() is None:
                    if time.time() - exit_started > STOP_TIMEOUT and not event.get("killed_after_stop_timeout"):
                        # What a service manager does with a stop that hangs (systemd's TimeoutStopSec).
                        event["killed_after_stop_timeout"] = True
                        process.send_signal(signal.SIGKILL)
                    await asyncio.sleep(0.05)
                event["exit_seconds"] = time.time() - exit_started
                await asyncio.sleep(event["pause"] + 0.3)
                event["healthy_after_restart"] = await instance.wait_healthy()
        elif kind == "receiver-mode":
            self.receivers[event["endpoint"]].mode = event["mode"]
        elif kind == "receiver-away":
            receiver = self.receivers[event["endpoint"]]
            await receiver.go_away()
            await asyncio.sleep(event["duration"])
            await receiver.come_back()
        elif kind == "disk-full":
            if not self.volume.mounted:
                event["skipped"] = f"no volume of its own: {self.volume.why_not}"
            else:
                event["filled_bytes"] = await asyncio.to_thread(self.volume.fill)
                await asyncio.sleep(event["duration"])
                self.volume.release()
        elif kind == "primary-kill":
            event["node"] = await asyncio.to_thread(self.postgres.crash, event["pause"])
            if event["node"] is None:
                event["skipped"] = "no primary at that moment, or a node still down"
            else:
                killed = time.time()
                while not await asyncio.to_thread(self.postgres.running):
                    await asyncio.sleep(0.2)
                event["primary_again_seconds"] = time.time() - killed
                while time.time() < self.postgres.down_until:
                    await asyncio.sleep(0.2)
        elif kind == "db-crash":
            await asyncio.to_thread(self.postgres.crash, event["pause"])
            while time.time() < self.postgres.down_until or not await asyncio.to_thread(self.postgres.running):
                await asyncio.sleep(0.2)
        event["end"] = time.time()
        self.done.append(event)
