"""The soak's report: one JSON object (kept beside the run) and the Markdown that docs/soak.md quotes."""

import statistics
from collections import Counter

from faults import DISRUPTIVE, expected_kinds


def summary(*, args, command, started, load_end, drained, instances, postgres, volume, load, checker, duplicates,
            poller_reads, pollers, streams, faults, sampler, retention, operator) -> dict:
    outcomes = Counter(sent.outcome for sent in load.sent)
    resolved = Counter(checker.resolved.values())
    injected = Counter(event["kind"] for event in faults if "skipped" not in event)
    skipped = [f"{event['kind']}: {event['skipped']}" for event in faults if "skipped" in event]
    failover = getattr(postgres, "failover", False)
    missing_kinds = [kind for kind in expected_kinds(postgres is not None, failover) if not injected[kind]]
    modes = Counter(event["mode"] for event in faults if event["kind"] == "receiver-mode")
    accepted_times = sorted(sent.answered_at for sent in load.sent if sent.outcome == "accepted")
    recoveries = {}
    for event in faults:
        if event["kind"] in DISRUPTIVE and "skipped" not in event:
            after = next((at for at in accepted_times if at >= event["end"]), None)
            entry = {"fault_seconds": round(event["end"] - event["start"], 2),
                     "first_202_after_end": None if after is None else round(after - event["end"], 2)}
            if "healthy_after_restart" in event and event["healthy_after_restart"] is not None:
                entry["healthy_after_restart"] = round(event["healthy_after_restart"], 2)
            if "primary_again_seconds" in event:
                entry["primary_again"] = round(event["primary_again_seconds"], 2)
            recoveries.setdefault(event["kind"], []).append(entry)
    violations = {kind: {"count": len(items), "examples": items[:10]} for kind, items in checker.violations.items()
                  if items}
    failed = bool(violations) or bool(missing_kinds) or bool(duplicates["unexplained"])
    return {
        "command": command, "backend": args.backend, "seed": args.seed, "minutes": args.minutes,
        "rate": args.rate, "instances": len(instances), "retention": retention,
        "load_seconds": round(load_end - started, 1), "drain_seconds": round(drained - load_end, 1),
        "volume": ("a Patroni cluster (3 nodes, synchronous replication) behind HAProxy" if failover
                   else "tmpfs" if volume.mounted else f"plain directory ({volume.why_not})"),
        "messages": {"sent": len(load.sent), **outcomes},
        "deliveries": {"receiver requests": len(checker.receiver_log), **resolved},
        "duplicates": {"at a fault": duplicates["at a fault"], "after a late answer": duplicates["after a late answer"],
                       "after a failure Herald logged": duplicates["after a failure Herald logged"],
                       "unexplained": len(duplicates["unexplained"]),
                       "unexplained examples": duplicates["unexplained"][:10]},
        "pollers": {"messages read": sum(poller_reads.values()), "read errors retried": sum(p.errors for p in pollers)},
        "live streams": {s.name: {"connects": s.connects, **s.events} for s in streams},
        "faults": dict(injected), "faults skipped": skipped, "kinds not exercised": missing_kinds,
        "receiver modes": dict(modes), "endpoints re-enabled by the operator": len(operator.enabled_again),
        "recoveries": {kind: describe(entries) for kind, entries in recoveries.items()},
        "instance starts": {i.name: len(i.starts) for i in instances},
        "starts refused, database unreachable": sum(len(i.refused_starts) for i in instances),
        "unplanned exits": {i.name: i.unplanned_exits for i in instances if i.unplanned_exits},
        "postgres unplanned exits": postgres.unplanned_exits if postgres else None,
        "resources": sampler.trend(started, warm_up=min(300, (load_end - started) / 4)),
        "tables (MB)": table_trend(sampler.tables, started, load_end),
        "violations": violations, "failed": failed,
    }


def table_trend(tables: list[dict], started: float, load_end: float) -> dict:
    """Each table's size a third and two thirds into the load and at its end (the largest first)."""
    points = {}
    for label, at in (("at 1/3", started + (load_end - started) / 3), ("at 2/3", started + 2 * (load_end - started) / 3),
                      ("at the end", load_end)):
        before = [sample for sample in tables if sample["at"] <= at]
        if before:
            points[label] = before[-1]["sizes"]
    if not points:
        return {}
    last = list(points.values())[-1]
    return {name: {label: sizes.get(name) for label, sizes in points.items()}
            for name in sorted(last, key=lambda name: -last[name])}


def describe(entries: list[dict]) -> dict:
    found = {"count": len(entries)}
    for figure in ("fault_seconds", "healthy_after_restart", "primary_again", "first_202_after_end"):
        values = [entry[figure] for entry in entries if entry.get(figure) is not None]
        if values:
            found[figure] = {"median": round(statistics.median(values), 2), "max": round(max(values), 2)}
    return found


def markdown(report: dict) -> str:
    lines = [
        f"### {report['backend']}, {report['minutes']:g} min, seed {report['seed']}: "
        f"{'FAILED' if report['failed'] else 'every invariant held'}",
        "",
        f"`{report['command']}` — {report['instances']} instance(s), {report['rate']:g} msg/s plus bursts, "
        f"retention {report['retention'] or 'off'}, database on {report['volume']}; load {report['load_seconds']} s, "
        f"drain {report['drain_seconds']} s.",
        "",
        "| | |",
        "|---|---|",
    ]
    rows = [
        ("messages", report["messages"]), ("deliveries (matching pairs)", report["deliveries"]),
        ("duplicates", {k: v for k, v in report["duplicates"].items() if k != "unexplained examples"}),
        ("pollers", report["pollers"]), ("faults injected", report["faults"]),
        ("receiver modes", report["receiver modes"]),
        ("endpoints re-enabled after a 410", report["endpoints re-enabled by the operator"]),
        ("instance starts", report["instance starts"]),
        ("starts refused while the database was unreachable", report["starts refused, database unreachable"]),
        ("unplanned exits", report["unplanned exits"] or "none"),
    ]
    if report["postgres unplanned exits"] is not None and "Patroni" not in report["volume"]:
        rows.append(("PostgreSQL exits not injected, and failed starts", report["postgres unplanned exits"]))
    for name, value in rows:
        lines.append(f"| {name} | {flat(value)} |")
    lines += ["", "| recovery | count | fault lasted (median / max s) | instance healthy after restart | a primary "
              "again after the kill | first 202 after the fault ended |", "|---|---|---|---|---|---|"]
    for kind, entry in report["recoveries"].items():
        cells = [pair(entry.get(figure)) for figure in ("fault_seconds", "healthy_after_restart", "primary_again",
                                                        "first_202_after_end")]
        lines.append(f"| {kind} | {entry['count']} | " + " | ".join(cells) + " |")
    lines += ["", "| resource | after warm-up (median) | last quarter (median) | max |", "|---|---|---|---|"]
    for figure, entry in report["resources"].items():
        lines.append(f"| {figure} | {entry['after_warm_up']} | {entry['last_quarter']} | {entry['max']} |")
    if report["tables (MB)"]:
        labels = list(next(iter(report["tables (MB)"].values())))
        lines += ["", "| table or pages (MB, indexes included) | " + " | ".join(labels) + " |",
                  "|---" * (len(labels) + 1) + "|"]
        for name, sizes in report["tables (MB)"].items():
            lines.append(f"| {name} | " + " | ".join(str(sizes[label]) for label in labels) + " |")
    lines.append("")
    lines.append("Live streams: " + "; ".join(f"{name} {flat(value)}" for name, value in report["live streams"].items()))
    if report["violations"] or report["kinds not exercised"] or report["duplicates"]["unexplained"]:
        lines += ["", "**Failed:**", ""]
        for kind, entry in report["violations"].items():
            lines.append(f"- {kind}: {entry['count']} — " + "; ".join(entry["examples"][:3]))
        if report["kinds not exercised"]:
            lines.append(f"- fault kinds not exercised: {', '.join(report['kinds not exercised'])} "
                         f"({'; '.join(report['faults skipped'])})")
        if report["duplicates"]["unexplained"]:
            lines.append(f"- duplicates no fault explains: {report['duplicates']['unexplained']} — "
                         + "; ".join(report["duplicates"]["unexplained examples"][:3]))
    return "\n".join(lines) + "\n"


def flat(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {flat(v)}" for k, v in value.items())
    return str(value)


def pair(entry) -> str:
    return f"{entry['median']} / {entry['max']}" if entry else "—"
