"""The independent checker: what every accepted message became, judged from the receivers' logs, the pollers' reads,
the live streams and the public API only — never Herald's database."""

import asyncio
import time
from collections import defaultdict

from faults import DISRUPTIVE

import httpx

# Destination states as the Svix API reports them (`GET …/msg/{id}/endpoint`).
SUCCESS, PENDING, FAIL, SENDING = 0, 1, 2, 3


class Checker:
    def __init__(self, tenants, load, receiver_log: list, operator, instances, retention_seconds: float | None):
        self.tenants = tenants
        self.load = load
        self.receiver_log = receiver_log
        self.operator = operator
        self.instances = instances
        self.retention_seconds = retention_seconds
        self.resolved = {}  # (seq, endpoint key) -> how it ended
        self.answered = set()  # (seq, endpoint key) answered 2xx, from entries old enough to be final
        self.completes = defaultdict(int)  # (seq, endpoint key) -> 2xx answers, from entries old enough to be final
        self.herald_saw_failure = {}  # repeated (seq, endpoint key) -> whether Herald logged a failed attempt for it
        self.repeat_attempts = {}  # repeated (seq, endpoint key) -> Herald's attempts for it (status, code, time)
        self.final_up_to = 0
        self.violations = defaultdict(list)

    def refresh(self):
        """Reads the receivers' log as far as it is final: an entry is, 30 s after its request arrived (the longest a
        receiver holds one), so each entry is read once and only the last 30 s again (`was_answered`)."""
        log, now = self.receiver_log, time.time()
        while self.final_up_to < len(log) and log[self.final_up_to]["at"] <= now - 30:
            entry = log[self.final_up_to]
            self.final_up_to += 1
            if entry.get("complete") and entry.get("seq") is not None:
                self.answered.add((entry["seq"], entry["endpoint"]))
                self.completes[(entry["seq"], entry["endpoint"])] += 1

    def was_answered(self, key: tuple) -> bool:
        """Whether the receiver answered (seq, endpoint key) with a 2xx."""
        if key in self.answered:
            return True
        return any(entry.get("complete") and (entry.get("seq"), entry["endpoint"]) == key
                   for entry in self.receiver_log[self.final_up_to:])

    def disabled_spans(self, end: float) -> dict:
        """Per endpoint, the spans in which a 410 had (or may have) disabled it: from the answer to the operator's
        re-enabling (with a second's slack either side for the commit and the fan-out that raced it). A re-enabling
        sent less than 2 s after the 410 does not end its span: Herald may record that 410 — and disable the endpoint
        again — after the re-enabling committed (the second hour of 2026-12-02 counted 25 messages as lost that way:
        a 410 answered 0.04 s before the re-enabling returned), so the next one does."""
        enabled = defaultdict(list)
        for key, at, sent in self.operator.enabled_again:
            enabled[key].append((at, sent))
        spans = defaultdict(list)
        for entry in self.receiver_log:
            if entry.get("status") == 410:
                later = [at for at, sent in enabled[entry["endpoint"]] if sent >= entry["at"] + 2]
                spans[entry["endpoint"]].append((entry["at"] - 1, (min(later) if later else end) + 1))
        return spans

    async def audit(self, client: httpx.AsyncClient, final: bool, end: float, before: float = float("inf")) -> int:
        """Resolves every (accepted message sent before `before`, matching endpoint) not yet resolved; returns how many
        remain open."""
        self.refresh()
        spans = self.disabled_spans(end)
        open_pairs = 0
        for sent in self.load.sent:
            if sent.outcome != "accepted" or sent.first_sent > before:
                continue
            pending = [e for e in sent.app.endpoints if e.matches(sent) and (sent.seq, e.key) not in self.resolved]
            if not pending:
                continue
            undelivered = []
            for endpoint in pending:
                if self.was_answered((sent.seq, endpoint.key)):
                    self.resolved[(sent.seq, endpoint.key)] = "delivered"
                else:
                    undelivered.append(endpoint)
            if not undelivered:
                continue
            destinations = await self.destinations(client, sent)
            if destinations == "deleted":
                # Retention deleted it (it had ended: retention keeps messages with deliveries still waiting)
                # before an audit saw how; counted, not judged.
                for endpoint in undelivered:
                    self.resolved[(sent.seq, endpoint.key)] = "ended, then deleted by retention before judged"
                continue
            if destinations is None:
                open_pairs += len(undelivered)
                continue
            for endpoint in undelivered:
                state = destinations.get(endpoint.id)
                key = (sent.seq, endpoint.key)
                disabled = any(start <= sent.answered_at <= stop for start, stop in spans[endpoint.key])
                if state is None:
                    if disabled:
                        self.resolved[key] = "skipped: endpoint disabled"
                    elif final:
                        self.violations["lost"].append(f"msg {sent.msg_id} (seq {sent.seq}) has no delivery to "
                                                       f"{endpoint.key}")
                    else:
                        open_pairs += 1
                elif state == FAIL:
                    attempts = await self.attempts(client, sent, endpoint)
                    if attempts is None:
                        open_pairs += 1
                    elif attempts or disabled:
                        self.resolved[key] = "failed, attempts logged" if attempts else "failed: endpoint disabled"
                    else:
                        self.violations["failed without an attempt"].append(
                            f"msg {sent.msg_id} (seq {sent.seq}) failed for {endpoint.key} with no attempt logged")
                        self.resolved[key] = "failed without an attempt"
                elif state == SUCCESS:
                    # Delivered while this audit ran, most likely: the receiver's log says.
                    if self.was_answered(key):
                        self.resolved[key] = "delivered"
                    elif final:
                        self.violations["success without receipt"].append(
                            f"msg {sent.msg_id} (seq {sent.seq}) reported delivered to {endpoint.key}; its receiver "
                            "never answered it with a 2xx")
                    else:
                        open_pairs += 1
                elif final:
                    self.violations["undelivered at the end"].append(
                        f"msg {sent.msg_id} (seq {sent.seq}) still {state} for {endpoint.key}")
                else:
                    open_pairs += 1
        return open_pairs

    async def destinations(self, client: httpx.AsyncClient, sent) -> dict | str | None:
        found = await self.get(client, sent, f"/msg/{sent.msg_id}/endpoint", {"limit": "250"})
        return found if found is None or found == "deleted" else {item["id"]: item["status"] for item in found}

    async def attempts(self, client: httpx.AsyncClient, sent, endpoint) -> int | None:
        found = await self.get(client, sent, f"/attempt/msg/{sent.msg_id}", {"endpoint_id": endpoint.id, "limit": "50"})
        return None if found is None or found == "deleted" else len(found)

    async def get(self, client: httpx.AsyncClient, sent, path: str, params: dict) -> list | None:
        """A list route of the message's application, from whichever instance answers; None if none did."""
        for attempt in range(len(self.instances) * 2):
            instance = self.instances[attempt % len(self.instances)]
            try:
                response = await client.get(f"{instance.url}/api/v1/app/{sent.app.id}{path}", params=params,
                                            headers={"authorization": f"Bearer {sent.app.token}"}, timeout=10)
            except httpx.HTTPError:
                await asyncio.sleep(0.2)
                continue
            if response.status_code == 200:
                return response.json()["data"]
            if response.status_code == 404 and self.retention_seconds is not None \
                    and time.time() - sent.answered_at > self.retention_seconds:
                return "deleted"
            if response.status_code == 404:
                self.violations["accepted message missing"].append(f"msg {sent.msg_id} (seq {sent.seq}): 404 on {path}")
                return []
            await asyncio.sleep(0.2)
        return None

    def check_receivers(self):
        """Signatures, tenants, messages never accepted or stored twice, filters."""
        by_seq = {sent.seq: sent for sent in self.load.sent}
        endpoints = {endpoint.key: endpoint for endpoint in self.tenants.endpoints}
        for entry in self.receiver_log:
            endpoint = endpoints[entry["endpoint"]]
            if not entry.get("signed"):
                self.violations["bad signature"].append(f"{entry['endpoint']} got {entry.get('msg')} unsigned")
            sent = by_seq.get(entry.get("seq"))
            if sent is None:
                self.violations["never sent"].append(f"{entry['endpoint']} got seq {entry.get('seq')}")
                continue
            if entry.get("app") != endpoint.app.id or sent.app is not endpoint.app:
                self.violations["cross-tenant"].append(f"{entry['endpoint']} got seq {sent.seq} of {entry.get('app')}")
            if sent.outcome == "refused":
                self.violations["delivered but refused"].append(f"seq {sent.seq} ({sent.statuses}) reached "
                                                                f"{entry['endpoint']}")
            if sent.msg_id and entry.get("msg") and entry["msg"] != sent.msg_id:
                self.violations["stored twice"].append(f"{entry['endpoint']} got seq {sent.seq} as {entry['msg']}, "
                                                       f"answered as {sent.msg_id}")
            if not endpoint.matches(sent):
                self.violations["delivered against the filters"].append(f"seq {sent.seq} reached {entry['endpoint']}")

    async def read_repeats(self, client: httpx.AsyncClient):
        """For each pair the receiver answered 2xx more than once, reads Herald's attempt log (before retention deletes
        it): an attempt logged as failed without a response for a request the receiver answered means Herald did not
        get that answer in time (a timeout, a connection that broke) — at-least-once working as promised, not a
        duplicate Herald chose."""
        self.refresh()
        by_seq = {sent.seq: sent for sent in self.load.sent}
        endpoints = {endpoint.key: endpoint for endpoint in self.tenants.endpoints}
        for key, count in list(self.completes.items()):
            if count < 2 or key in self.herald_saw_failure or key[0] not in by_seq:
                continue
            sent, endpoint = by_seq[key[0]], endpoints[key[1]]
            found = await self.get(client, sent, f"/attempt/msg/{sent.msg_id}", {"endpoint_id": endpoint.id, "limit": "50"})
            if isinstance(found, list):
                self.repeat_attempts[key] = [(a["status"], a["responseStatusCode"], a.get("timestamp")) for a in found]
                # Explained only if every 2xx the receiver gave is an attempt Herald logged — once as the success, the
                # others as failures without a response — and Herald never recorded the pair delivered twice.
                successes = sum(1 for attempt in found if attempt["status"] == SUCCESS)
                unanswered = sum(1 for attempt in found if attempt["status"] == FAIL and attempt["responseStatusCode"] == 0)
                self.herald_saw_failure[key] = successes <= 1 and successes + unanswered >= count

    def duplicates(self, faults: list, request_timeout: float) -> dict:
        """Pairs answered 2xx more than once, by what explains the repeat: a fault just after the first answer (the
        result Herald had not yet recorded), or a first answer that came too late — its status line out only when
        Herald's request timeout was (nearly) over, as a slow body or a receiver short of CPU gives — so that Herald
        counted a timeout and retried, or one for which Herald's attempt log shows a failure (`read_repeats`: the
        answer did not reach it in time, e.g. a receiver short of CPU read the request late). Anything else is
        unexplained."""
        windows = [(event["start"], event.get("end", event["start"]) + 2) for event in faults
                   if event["kind"] in DISRUPTIVE and "skipped" not in event]
        answers = defaultdict(list)
        for entry in self.receiver_log:
            if entry.get("complete") and entry.get("seq") is not None:
                answers[(entry["seq"], entry["endpoint"])].append(entry)
        at_fault, late, late_by_log, unexplained = 0, 0, 0, []
        for (seq, key), entries in answers.items():
            if len(entries) < 2:
                continue
            first = min(entries, key=lambda entry: entry["at"])
            if any(start - 30 <= first["at"] <= stop for start, stop in windows):
                at_fault += len(entries) - 1
            elif first["mode"] == "drip-slow" or first.get("answered", first["at"]) - first["at"] >= request_timeout - 0.5:
                late += len(entries) - 1
            elif self.herald_saw_failure.get((seq, key)):
                late_by_log += len(entries) - 1
            else:
                unexplained.append(f"seq {seq} to {key} {len(entries)} times (first answer: {first['mode']}; Herald's "
                                   f"attempts (status, code, time): {self.repeat_attempts.get((seq, key), 'not read')})")
        return {"at a fault": at_fault, "after a late answer": late, "after a failure Herald logged": late_by_log,
                "unexplained": unexplained}

    def check_pollers(self, pollers) -> dict:
        summary = {}
        for poller in pollers:
            app = poller.app
            sent_here = {sent.seq: sent for sent in self.load.sent if sent.app is app}
            seen_ids, order, stored_as = set(), [], {}
            for msg_id, seq, payload_app, _ in poller.seen:
                if stored_as.setdefault(seq, msg_id) != msg_id:
                    self.violations["stored twice"].append(f"seq {seq} of {app.id} read as {stored_as[seq]} and "
                                                           f"{msg_id} (one idempotency key)")
                if payload_app != app.id or seq not in sent_here:
                    self.violations["cross-tenant"].append(f"poller of {app.id} read seq {seq} of {payload_app}")
                    continue
                if msg_id in seen_ids:
                    self.violations["poller duplicate"].append(f"{app.id} read {msg_id} twice")
                    continue
                seen_ids.add(msg_id)
                order.append(sent_here[seq])
                if sent_here[seq].outcome == "refused":
                    self.violations["delivered but refused"].append(f"poller of {app.id} read seq {seq}")
            read = {sent.seq for sent in order}
            for sent in sent_here.values():
                if sent.outcome == "accepted" and sent.seq not in read:
                    self.violations["poller missed"].append(f"{app.id} never read {sent.msg_id} (seq {sent.seq})")
            self.check_order(order, f"poller of {app.id}")
            summary[app.id] = len(order)
        return summary

    def check_order(self, order: list, where: str):
        """No message may come after one that was sent only once it had been accepted."""
        earliest_later_accept = float("inf")
        for sent in reversed(order):
            if earliest_later_accept < sent.first_sent:
                self.violations["order"].append(f"{where}: seq {sent.seq} came before a message accepted before it "
                                                "was sent")
            if sent.outcome == "accepted":
                earliest_later_accept = min(earliest_later_accept, sent.answered_at)

    def check_fifo(self):
        by_seq = {sent.seq: sent for sent in self.load.sent}
        for endpoint in self.tenants.endpoints:
            if not endpoint.fifo:
                continue
            first = {}
            for entry in self.receiver_log:
                if entry["endpoint"] == endpoint.key and entry.get("seq") in by_seq and entry["seq"] not in first:
                    first[entry["seq"]] = entry["at"]
            order = [by_seq[seq] for seq, _ in sorted(first.items(), key=lambda item: item[1])]
            self.check_order(order, f"ordered endpoint {endpoint.key}")

    def check_live(self, streams):
        for stream in streams:
            for event, app in stream.foreign:
                self.violations["cross-tenant"].append(f"live stream {stream.name} saw {event} of {app}")
