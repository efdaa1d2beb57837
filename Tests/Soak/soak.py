"""Issue #20's chaos soak: a mixed load against Herald while a seeded fault scheduler kills instances, crashes the
database, fills its disk and makes receivers misbehave; then an independent checker accounts for every message.

    python3 Tests/Soak/soak.py --minutes 60 --backend sqlite --seed 1 --report docs/soak/sqlite-60.json

Exit status 0 when every invariant held, 1 when one did not (the report lists which), 2 on a broken set-up.
"""

import argparse
import asyncio
import base64
import json
import os
import shlex
import shutil
import socket
import sys
import tempfile
import time

import httpx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from checker import Checker  # noqa: E402
from cluster import ROOT, Instance, PatroniCluster, Postgres, Volume, sqlite_pages  # noqa: E402
from consumers import LiveStream, Operator, PollingConsumer  # noqa: E402
from faults import Injector, schedule  # noqa: E402
from report import markdown, summary  # noqa: E402
from resources import Sampler  # noqa: E402
from traffic import Load, Tenants  # noqa: E402

REQUEST_TIMEOUT = 2
# Compressed so that a run reaches the end of schedules: four retries within seconds (at least 60 s after a timeout
# or a 429, which Herald keeps whatever the schedule).
RETRY_SCHEDULE = "1,2,4,8"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def arguments():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=3)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rate", type=float, default=30, help="messages per second, bursts aside")
    parser.add_argument("--instances", type=int, help="Herald instances (default 1 on SQLite, 2 on PostgreSQL)")
    parser.add_argument("--spare-first", action="store_true",
                        help="never stop instance 0 (with --instances 2 or more): its memory shows a whole run")
    parser.add_argument("--failover", action="store_true",
                        help="on PostgreSQL: a Patroni cluster behind HAProxy, whose primary is killed (instead of "
                             "restarts of one server and its full disk); needs Debian's patroni, etcd-server, haproxy")
    parser.add_argument("--orgs", type=int, default=3)
    parser.add_argument("--apps-per-org", type=int, default=2)
    parser.add_argument("--retention", help="HERALD_RETENTION (default 20m for runs of 30 minutes or more)")
    parser.add_argument("--drain-minutes", type=float, default=8, help="longest wait for deliveries after the load")
    parser.add_argument("--herald", default=os.environ.get("HERALD_BIN", os.path.join(ROOT, ".build/debug/herald")))
    parser.add_argument("--report", help="write the report as JSON here (and Markdown beside it, .md)")
    parser.add_argument("--plot", help="write the resource curves as PNG here (needs matplotlib)")
    return parser.parse_args()


async def main() -> int:
    args = arguments()
    instances_wanted = args.instances or (2 if args.backend == "postgres" else 1)
    retention = args.retention or ("20m" if args.minutes >= 30 else None)
    command = "scripts/soak " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    workdir = tempfile.mkdtemp(prefix="herald-soak.")
    os.chmod(workdir, 0o755)  # PostgreSQL runs as `postgres` and must reach its data below
    # Room for an hour at the default rate with 20 minutes' retention, PostgreSQL's WAL included (the first 60-minute
    # run on PostgreSQL had 850 MB after 24 minutes); filled to the last byte by the disk-full faults all the same.
    volume = Volume(os.path.join(workdir, "db"), 4096)
    postgres = None
    try:
        if args.failover:
            missing = [tool for tool in ("patroni", "etcd", "haproxy") if shutil.which(tool) is None]
            if args.backend != "postgres" or missing:
                print(f"--failover needs --backend postgres and {', '.join(missing) or 'nothing else'}", file=sys.stderr)
                return 2
            postgres = await asyncio.to_thread(PatroniCluster, workdir)
            database = postgres.url
            database_size = postgres.size_bytes
        elif args.backend == "postgres":
            postgres = await asyncio.to_thread(Postgres, volume, free_port())
            database = postgres.url
            database_size = postgres.size_bytes
        else:
            database = f"sqlite:{volume.path}/herald.db"
            database_size = lambda: volume.used_bytes()  # noqa: E731
        env = {
            **os.environ,
            "HERALD_JWT_SECRET": base64.b64encode(os.urandom(32)).decode(),
            "HERALD_MAIN_KEY": base64.b64encode(os.urandom(32)).decode(),
            "HERALD_ALLOWED_SUBNETS": "127.0.0.0/8",
            "HERALD_RETRY_SCHEDULE": RETRY_SCHEDULE,
            "HERALD_REQUEST_TIMEOUT": str(REQUEST_TIMEOUT),
            "HERALD_LOG_LEVEL": "warning",
        }
        if retention:
            env["HERALD_RETENTION"] = retention
        instances = [Instance(f"herald-{i}", args.herald, database, free_port(), env, workdir)
                     for i in range(instances_wanted)]
        for instance in instances:
            instance.start()
            if await instance.wait_healthy() is None:
                print(f"{instance.name} did not start; its log: {instance.log_path}", file=sys.stderr)
                return 2
        return await soak(args, command, workdir, volume, postgres, instances, database_size, retention)
    finally:
        for instance in locals().get("instances", []):
            instance.stop()
        if postgres:
            postgres.stop()
        volume.close()


async def soak(args, command, workdir, volume, postgres, instances, database_size, retention) -> int:
    receiver_log = []
    limits = httpx.Limits(max_connections=400, max_keepalive_connections=100)
    async with httpx.AsyncClient(limits=limits) as client:
        tenants = Tenants(instances, receiver_log, REQUEST_TIMEOUT, args.seed)
        await tenants.create(client, args.orgs, args.apps_per_org)
        receivers = {endpoint.key: endpoint.receiver for endpoint in tenants.endpoints}
        seconds = args.minutes * 60
        events = schedule(args.seed, seconds, len(instances),
                          [e.key for e in tenants.endpoints if e.role == "flapper"],
                          [e.key for e in tenants.endpoints if e.role == "wanderer"],
                          [e.key for e in tenants.endpoints if e.role == "ordered"], postgres is not None,
                          args.spare_first, args.failover)
        load = Load(tenants, instances, args.rate, args.seed)
        pollers = [PollingConsumer(app, instances) for app in tenants.apps]
        streams = [LiveStream(f"portal {app.id}", app.portal_token, {app.id}, instances) for app in tenants.apps]
        for org in sorted({app.org for app in tenants.apps}):
            apps = [app for app in tenants.apps if app.org == org]
            streams.append(LiveStream(f"dashboard {org}", apps[0].token, {app.id for app in apps}, instances))
        operator = Operator(tenants, instances)
        checker = Checker(tenants, load, receiver_log, operator, instances, duration_seconds(retention))
        injector = Injector(instances, receivers, volume, postgres, REQUEST_TIMEOUT)
        sqlite_file = os.path.join(volume.path, "herald.db")
        sampler = Sampler(instances, database_size,
                          table_sizes=postgres.table_sizes if postgres else lambda: sqlite_pages(sqlite_file))

        load_stop, everything_stop = asyncio.Event(), asyncio.Event()
        background = [asyncio.create_task(instance.supervise(everything_stop)) for instance in instances]
        if postgres:
            background.append(asyncio.create_task(postgres.supervise(everything_stop)))
        background += [asyncio.create_task(task) for task in (
            sampler.run(everything_stop), operator.run(client, everything_stop),
            *(poller.run(client, everything_stop) for poller in pollers),
            *(stream.run(client, everything_stop) for stream in streams))]
        started = time.time()
        print(f"soak: {len(events)} faults scheduled over {args.minutes:g} min, seed {args.seed}, work in {workdir}",
              flush=True)
        load_task = asyncio.create_task(load.run(client, load_stop))
        fault_task = asyncio.create_task(injector.run(events, started, load_stop))
        audit_task = asyncio.create_task(audit_while_running(checker, client, load_stop, retention is not None))
        await asyncio.sleep(seconds)
        load_stop.set()
        await asyncio.gather(load_task, fault_task, audit_task)
        load_end = time.time()

        # The world heals: receivers answer, the disk has room, every instance runs; what is still injected stops.
        for task in list(injector.tasks):
            task.cancel()
        await injector.settle()
        volume.release()
        for receiver in receivers.values():
            receiver.mode = "ok"
            await receiver.come_back()
        for instance in instances:
            await instance.wait_healthy(120)
        print(f"soak: load over after {load_end - started:.0f} s; {len(load.sent)} messages sent; draining", flush=True)

        drain_deadline = time.time() + args.drain_minutes * 60
        while True:
            await asyncio.sleep(10)
            open_pairs = await checker.audit(client, final=False, end=time.time())
            pollers_done = all(p.caught_up_at > load_end for p in pollers)
            print(f"soak: draining, {open_pairs} deliveries open, pollers caught up: {pollers_done}", flush=True)
            if (open_pairs == 0 and pollers_done) or time.time() > drain_deadline:
                break
        await checker.audit(client, final=True, end=time.time())
        await checker.read_repeats(client)
        drained = time.time()
        everything_stop.set()
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)

        checker.check_receivers()
        duplicates = checker.duplicates(injector.done, REQUEST_TIMEOUT)
        poller_reads = checker.check_pollers(pollers)
        checker.check_fifo()
        checker.check_live(streams)
        for event in injector.done:
            if event["kind"] == "sigterm" and event.get("killed_after_stop_timeout"):
                checker.violations["stop hung"].append(
                    f"herald-{event['instance']} still running {STOP_TIMEOUT} s after SIGTERM at "
                    f"{event['start'] - started:.0f} s (killed)")
        for instance in instances:
            for exit_ in instance.unplanned_exits:
                checker.violations["unplanned exit"].append(f"{instance.name} exited with {exit_['code']} at "
                                                            f"{exit_['at'] - started:.0f} s")
        report = summary(args=args, command=command, started=started, load_end=load_end, drained=drained,
                         instances=instances, postgres=postgres, volume=volume, load=load, checker=checker,
                         duplicates=duplicates, poller_reads=poller_reads, pollers=pollers, streams=streams, faults=injector.done,
                         sampler=sampler, retention=retention, operator=operator)
        # The raw material stays with the instances' logs, for whoever investigates a failure.
        with open(os.path.join(workdir, "receiver-log.jsonl"), "w") as handle:
            handle.writelines(json.dumps(entry) + "\n" for entry in receiver_log)
        with open(os.path.join(workdir, "faults.jsonl"), "w") as handle:
            handle.writelines(json.dumps(event) + "\n" for event in injector.done)
        with open(os.path.join(workdir, "sent.jsonl"), "w") as handle:
            handle.writelines(json.dumps({**vars(sent), "app": sent.app.id}) + "\n" for sent in load.sent)
        text = markdown(report)
        print(text)
        if args.report:
            with open(args.report, "w") as handle:
                json.dump(report, handle, indent=1, default=str)
            with open(os.path.splitext(args.report)[0] + ".md", "w") as handle:
                handle.write(text)
        if args.plot:
            sampler.plot(args.plot, started, injector.done)
        return 1 if report["failed"] else 0


def duration_seconds(text: str | None) -> float | None:
    """`20m`, `12h`, `30s`, `90d` (HERALD_RETENTION's form) in seconds."""
    if not text:
        return None
    return float(text[:-1]) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[text[-1]]


async def audit_while_running(checker, client, stopping: asyncio.Event, retention: bool):
    """With retention on, old messages are deleted during the run: each is judged well before that (a quarter of
    the retention, at most 5 minutes, after it was sent, and every minute after until it is settled), and so are
    repeated deliveries' attempt logs."""
    if not retention:
        return
    age = min(300, checker.retention_seconds / 4)
    while not stopping.is_set():
        try:
            await asyncio.wait_for(stopping.wait(), timeout=min(60, age))
        except asyncio.TimeoutError:
            await checker.audit(client, final=False, end=time.time(), before=time.time() - age)
            await checker.read_repeats(client)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
