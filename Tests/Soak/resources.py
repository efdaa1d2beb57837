"""Resident memory, open files and threads of every Herald instance, and the database's size, sampled through the run;
plotted when matplotlib is there."""

import asyncio
import os
import time


def process_figures(pid: int) -> dict | None:
    try:
        with open(f"/proc/{pid}/status") as status:
            fields = dict(line.split(":", 1) for line in status if ":" in line)
        return {
            "rss_mb": int(fields["VmRSS"].split()[0]) / 1024,
            "threads": int(fields["Threads"].strip()),
            "fds": len(os.listdir(f"/proc/{pid}/fd")),
        }
    except (FileNotFoundError, ProcessLookupError, KeyError, ValueError):
        return None


class Sampler:
    def __init__(self, instances, database_size, every: float = 5, table_sizes=None):
        self.instances = instances
        self.database_size = database_size
        self.table_sizes = table_sizes
        self.every = every
        self.samples = []  # {"at", "instance", "rss_mb", "threads", "fds"} and {"at", "db_mb"}
        self.tables = []  # {"at", "sizes": {table: MB}}, once a minute: where the database's size goes

    async def run(self, stopping: asyncio.Event):
        last_tables = 0.0
        while not stopping.is_set():
            now = time.time()
            if self.table_sizes and now - last_tables >= 60:
                last_tables = now
                sizes = await asyncio.to_thread(self.table_sizes)
                if sizes:
                    self.tables.append({"at": now, "sizes": sizes})
            for instance in self.instances:
                figures = process_figures(instance.pid) if instance.pid else None
                if figures:
                    self.samples.append({"at": now, "instance": instance.name, **figures})
            size = await asyncio.to_thread(self.database_size)
            if size >= 0:
                self.samples.append({"at": now, "db_mb": size / 1_048_576})
            try:
                await asyncio.wait_for(stopping.wait(), timeout=self.every)
            except asyncio.TimeoutError:
                pass

    def trend(self, started: float, warm_up: float) -> dict:
        """Per figure, the median of the second quarter after warm-up against the median of the last quarter."""
        found = {}
        for figure in ("rss_mb", "fds", "threads", "db_mb"):
            points = [(s["at"], s[figure]) for s in self.samples if figure in s and s["at"] >= started + warm_up]
            if len(points) < 8:
                continue
            values = [value for _, value in points]
            quarter = len(values) // 4
            early = sorted(values[quarter:2 * quarter])[quarter // 2]
            late = sorted(values[-quarter:])[quarter // 2]
            found[figure] = {"after_warm_up": round(early, 1), "last_quarter": round(late, 1),
                             "max": round(max(values), 1)}
        return found

    def plot(self, path: str, started: float, faults: list) -> bool:
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            return False
        figures = [("rss_mb", "resident memory (MB)"), ("fds", "open files"), ("threads", "threads"),
                   ("db_mb", "database (MB)")]
        fig, axes = plt.subplots(len(figures), 1, figsize=(10, 9), sharex=True)
        for axis, (figure, label) in zip(axes, figures):
            names = sorted({s.get("instance", "database") for s in self.samples if figure in s})
            for name in names:
                points = [((s["at"] - started) / 60, s[figure]) for s in self.samples
                          if figure in s and s.get("instance", "database") == name]
                axis.plot([p[0] for p in points], [p[1] for p in points], label=name, linewidth=1)
            for event in faults:
                if event["kind"] in ("sigkill", "sigterm", "db-crash", "disk-full") and "skipped" not in event:
                    axis.axvline((event["start"] - started) / 60, color="grey", alpha=0.25, linewidth=0.8)
            axis.set_ylabel(label)
            axis.set_ylim(bottom=0)
            if len(names) > 1:
                axis.legend(loc="upper left", fontsize=8)
        axes[-1].set_xlabel("minutes (grey: kills, database crashes, disk full)")
        fig.tight_layout()
        fig.savefig(path, dpi=90)
        plt.close(fig)
        return True
