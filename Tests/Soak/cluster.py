"""The processes under test: Herald instances (restarted like systemd would after any exit) and their database, kept on
a small filesystem of its own so that it can be filled."""

import asyncio
import contextlib
import glob
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PGBIN = (sorted(glob.glob("/usr/lib/postgresql/*/bin")) or [""])[-1]


def as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.getuid() == 0 else command


TABLE_SIZES = """SELECT coalesce(p.relname, c.relname), sum(pg_total_relation_size(c.oid)) FROM pg_class c
    LEFT JOIN pg_inherits i ON i.inhrelid = c.oid LEFT JOIN pg_class p ON p.oid = i.inhparent
    WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace GROUP BY 1"""


def table_sizes(url: str) -> dict:
    """Megabytes per table (partitions counted with their parent, indexes and TOAST included)."""
    result = subprocess.run(["psql", "-X", "-qtA", "-F", "\t", url + "?connect_timeout=2", "-c", TABLE_SIZES],
                            capture_output=True, text=True, timeout=20)
    sizes = {}
    for line in result.stdout.splitlines() if result.returncode == 0 else []:
        name, _, size = line.partition("\t")
        if size.isdigit():
            sizes[name] = round(int(size) / 1_048_576, 1)
    return sizes


def database_size(url: str) -> int:
    """The database's size in bytes, or -1 when it does not answer."""
    result = subprocess.run(["psql", "-X", "-qtA", url + "?connect_timeout=2", "-c",
                             "SELECT pg_database_size(current_database())"], capture_output=True, text=True, timeout=10)
    return int(result.stdout.strip()) if result.returncode == 0 and result.stdout.strip().isdigit() else -1


def sqlite_pages(path: str) -> dict:
    """An SQLite file's live and free pages in MB: the file never shrinks, so its size is a high-water mark; the live
    pages say what it holds now."""
    try:
        # sqlite3's own context manager ends a transaction, not the connection: closed on every path here.
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)) as connection:
            size = connection.execute("PRAGMA page_size").fetchone()[0]
            pages = connection.execute("PRAGMA page_count").fetchone()[0]
            free = connection.execute("PRAGMA freelist_count").fetchone()[0]
    except sqlite3.Error:
        return {}
    return {"live pages": round((pages - free) * size / 1_048_576, 1), "free pages": round(free * size / 1_048_576, 1)}


class Volume:
    """A tmpfs of `megabytes` at `path` when this process may mount one (root), else a plain directory; `fill` takes
    its free space away and `release` gives it back."""

    def __init__(self, path: str, megabytes: int):
        self.path = path
        os.makedirs(path, exist_ok=True)
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "soak", path], capture_output=True)
        self.mounted = result.returncode == 0
        self.why_not = "" if self.mounted else result.stderr.decode().strip() or "mount failed"
        self.ballast = os.path.join(path, "ballast")

    def free_bytes(self) -> int:
        stat = os.statvfs(self.path)
        return stat.f_bavail * stat.f_frsize

    def fill(self, leave_bytes: int = 0) -> int:
        """Takes all free space but `leave_bytes`; returns how much it took."""
        size = max(self.free_bytes() - leave_bytes, 0)
        with open(self.ballast, "wb") as handle:
            try:
                os.posix_fallocate(handle.fileno(), 0, size)
            except OSError:
                pass
        return size

    def release(self):
        try:
            os.remove(self.ballast)
        except FileNotFoundError:
            pass

    def used_bytes(self, *, excluding_ballast: bool = True) -> int:
        total = 0
        for folder, _, files in os.walk(self.path):
            for name in files:
                full = os.path.join(folder, name)
                if excluding_ballast and full == self.ballast:
                    continue
                try:
                    total += os.lstat(full).st_blocks * 512
                except FileNotFoundError:
                    pass
        return total

    def close(self):
        if self.mounted:
            subprocess.run(["umount", "-l", self.path], capture_output=True)


class Postgres:
    """A throwaway PostgreSQL server whose data lives on `volume`; `crash` stops it as a power cut would (immediate
    shutdown, crash recovery at the next start) and the supervisor starts it again after any exit but a planned one."""

    def __init__(self, volume: Volume, port: int):
        self.volume = volume
        self.port = port
        self.data = os.path.join(volume.path, "data")
        self.log = os.path.join(volume.path, "server.log")
        self.down_until = 0.0
        self.unplanned_exits = 0
        if os.getuid() == 0:
            shutil.chown(volume.path, "postgres", "postgres")
        subprocess.run(as_postgres([f"{PGBIN}/initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "-E", "UTF8",
                                    "--locale=C.UTF-8"]), check=True, capture_output=True)
        with open(os.path.join(self.data, "postgresql.auto.conf"), "a") as conf:
            conf.write(f"listen_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{volume.path}'\n"
                       "max_connections = 300\n")
        self.start()
        subprocess.run(["psql", "-X", "-q", self.admin_url, "-c", "CREATE DATABASE herald"], check=True)

    @property
    def admin_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/herald"

    def start(self) -> bool:
        result = subprocess.run(as_postgres([f"{PGBIN}/pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "30",
                                             "start"]), capture_output=True)
        return result.returncode == 0

    def running(self) -> bool:
        return subprocess.run(as_postgres([f"{PGBIN}/pg_ctl", "-D", self.data, "status"]),
                              capture_output=True).returncode == 0

    def crash(self, down_seconds: float):
        self.down_until = time.time() + down_seconds
        subprocess.run(as_postgres([f"{PGBIN}/pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop"]),
                       capture_output=True)

    async def supervise(self, stopping: asyncio.Event):
        while not stopping.is_set():
            await asyncio.sleep(1)
            if time.time() < self.down_until or await asyncio.to_thread(self.running):
                continue
            if self.down_until == 0:
                self.unplanned_exits += 1
            self.down_until = 0
            await asyncio.to_thread(self.start)

    def table_sizes(self) -> dict:
        return table_sizes(self.url)

    def size_bytes(self) -> int:
        return database_size(self.url)

    def stop(self):
        subprocess.run(as_postgres([f"{PGBIN}/pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop"]),
                       capture_output=True)


def free_port_run(count: int) -> int:
    """The first of `count` consecutive free ports on loopback."""
    while True:
        base = random.randrange(20000, 60000)
        sockets = []
        try:
            for offset in range(count):
                sockets.append(socket.create_server(("127.0.0.1", base + offset)))
            return base
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()


class PatroniCluster:
    """Three PostgreSQL nodes managed by Patroni (etcd, synchronous replication) behind HAProxy, from
    scripts/patroni-cluster. `crash` SIGKILLs the primary node as a machine dying would; Patroni promotes the
    synchronous standby, and the supervisor starts the dead node's Patroni again after the pause, so it rejoins as a
    replica. Not on the soak's small volume: a full disk under etcd would be a different fault (the single-server
    soak fills PostgreSQL's disk)."""

    failover = True

    def __init__(self, workdir: str):
        self.script = os.path.join(ROOT, "scripts", "patroni-cluster")
        self.dir = os.path.join(workdir, "patroni")
        result = subprocess.run([self.script, "start", self.dir, str(free_port_run(23))], capture_output=True,
                                text=True, timeout=300)
        if result.returncode != 0:
            raise RuntimeError(f"the Patroni cluster did not start: {result.stderr.strip()[-2000:]}")
        self.url = result.stdout.strip().splitlines()[-1]
        self.down_until = 0.0
        self.killed = None
        self.unplanned_exits = 0  # Patroni supervises its nodes; kept for the report's shape

    def primary(self) -> str | None:
        result = subprocess.run([self.script, "primary", self.dir], capture_output=True, text=True)
        return result.stdout.strip() or None

    def crash(self, down_seconds: float) -> str | None:
        """Kills the primary node; returns its name, or None when there is no primary or a node is still down."""
        node = self.primary()
        if node is None or self.killed is not None:
            return None
        self.killed = node
        self.down_until = time.time() + down_seconds
        subprocess.run([self.script, "kill", self.dir, node], capture_output=True)
        return node

    def running(self) -> bool:
        """A primary answers through HAProxy."""
        result = subprocess.run(["psql", "-X", "-qtA", self.url + "?connect_timeout=2", "-c",
                                 "SELECT NOT pg_is_in_recovery()"], capture_output=True, text=True, timeout=10)
        return result.returncode == 0 and result.stdout.strip() == "t"

    async def supervise(self, stopping: asyncio.Event):
        while not stopping.is_set():
            await asyncio.sleep(1)
            if self.killed is not None and time.time() >= self.down_until:
                node = self.killed
                await asyncio.to_thread(subprocess.run, [self.script, "restart", self.dir, node], capture_output=True)
                self.killed = None

    def table_sizes(self) -> dict:
        return table_sizes(self.url)

    def size_bytes(self) -> int:
        return database_size(self.url)

    def stop(self):
        subprocess.run([self.script, "stop", self.dir], capture_output=True)


class Instance:
    """One `herald serve`. The supervisor restarts it after an exit it did not plan (and counts those: a crash is a
    finding); planned stops (`signal`) come back after their pause."""

    def __init__(self, name: str, binary: str, database: str, port: int, env: dict, workdir: str):
        self.name = name
        self.binary = binary
        self.database = database
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.env = env
        self.log_path = os.path.join(workdir, f"{name}.log")
        self.process = None
        self.planned_until = None
        self.unplanned_exits = []
        # Herald on PostgreSQL refuses to start while the database is unreachable (by design: it fails fast and its
        # supervisor starts it again); such exits are counted apart, not as crashes.
        self.refused_starts = []
        self.starts = []
        self.log_offset = 0

    def start(self):
        log = open(self.log_path, "ab")
        self.log_offset = log.tell()
        self.process = subprocess.Popen(
            [self.binary, "serve", "--database", self.database, "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env, stdout=log, stderr=log)
        log.close()
        self.starts.append(time.time())

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/api/v1/health/ping", timeout=1):
                return True
        except OSError:
            return False

    async def wait_healthy(self, timeout: float = 60) -> float | None:
        """Seconds until the instance answers its ping, or None."""
        started = time.time()
        while time.time() - started < timeout:
            if await asyncio.to_thread(self.healthy):
                return time.time() - started
            await asyncio.sleep(0.1)
        return None

    def signal(self, signum: int, down_seconds: float):
        """Sends `signum` and keeps the instance down for `down_seconds` after it exits."""
        self.planned_until = time.time() + down_seconds
        if self.process and self.process.poll() is None:
            self.process.send_signal(signum)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process and self.process.poll() is None else None

    async def supervise(self, stopping: asyncio.Event):
        while not stopping.is_set():
            await asyncio.sleep(0.2)
            if self.process is None or self.process.poll() is None:
                continue
            if self.planned_until is None:
                exit_ = {"at": time.time(), "code": self.process.returncode}
                with open(self.log_path, "rb") as log:
                    log.seek(self.log_offset)
                    said = log.read().decode(errors="replace")
                started_at = self.starts[-1] if self.starts else 0
                refused = "Error: unavailable" in said and time.time() - started_at < 30
                (self.refused_starts if refused else self.unplanned_exits).append(exit_)
                self.planned_until = time.time() + 1
            if time.time() < self.planned_until:
                continue
            self.planned_until = None
            self.start()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def run(self, *command: str) -> str:
        return subprocess.check_output([self.binary, *command, "--database", self.database], env=self.env,
                                       text=True).strip()
