#!/usr/bin/env python3
"""Turns the per-run lines of bench/load/run.sh (runs.tsv) into its one markdown table.

Usage: report.py RUNS_TSV --clk-tck 100 [--title TEXT] [--note TEXT ...]
Prints the table; exit status 0 when every request succeeded and every measurement is there, 1 when any request
failed (any wrk error: connect/read/write/timeout/status >= 400), 2 when a measurement is missing.

Per mode x connections: medians over the rounds of requests/s and p50/p99 latency (direct, yarp and portal), of the
CPU per request of the gateway and of the YARP baseline, their ratio (the medians' quotient, and the median over rounds
of the quotient within each round, whose gateway and YARP runs are seconds apart and so share the machine's state),
and of upstream calls per client request through the gateway; the maximum over the rounds of the peak RSS (VmHWM,
reset before each run) of both.
From the gateway's /metrics, when it answers: medians of its allocation per request and of its GC collections per
second and mean GC pause.

With runs of a second gateway (configuration portal-b, run.sh --compare), a second table compares it with the first:
their CPU per request, the median over rounds of portal-b's CPU per request divided by portal's in the same round, and
in how many rounds portal-b was the cheaper.
"""
import argparse
import csv
import statistics
import sys

MODE_NAMES = {"json": "non-stream", "sse": "stream"}


def fnum(value, digits):
    return f"{value:,.{digits}f}"


def conns_name(conns):
    """"1p" (one paced connection) reads "1 paced"."""
    return f"{conns[:-1]} paced" if conns.endswith("p") else conns


def fopt(values, digits):
    """The median of optional measurements, or "-" when there are none."""
    return fnum(statistics.median(values), digits) if values else "-"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("runs")
    parser.add_argument("--clk-tck", type=int, required=True)
    parser.add_argument("--title", default="")
    parser.add_argument("--note", action="append", default=[])
    parser.add_argument("--probe", help="probe.tsv of the 1-connection latency probe (latency_client.py)")
    args = parser.parse_args()

    with open(args.runs, newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))

    problems = []
    errors = []
    groups = {}  # (mode, conns) -> {"direct": [...], "yarp": [...], "portal": [...]}
    order = []
    for row in rows:
        errs = int(row["errors"] or 0)
        if errs:
            errors.append(f"{row['mode']} c={row['conns']} {row['config']} {row['phase']}: {row['error_detail']}")
        if row["phase"] != "measure":
            continue
        key = (row["mode"], row["conns"])
        if key not in groups:
            groups[key] = {"direct": [], "yarp": [], "portal": [], "portal-b": []}
            order.append(key)
        groups[key][row["config"]].append(row)

    def med(values, what, key):
        values = [v for v in values if v is not None]
        if not values:
            problems.append(f"{key[0]} c={key[1]}: no {what}")
            return None
        return statistics.median(values)

    def num(row, name, convert=float):
        value = row.get(name, "")
        if value in ("", None, "NA"):
            return None
        try:
            return convert(value)
        except ValueError:
            return None

    lines = []
    if args.title:
        lines += [args.title, ""]
    lines += [
        "| mode | conns | direct rps | yarp rps | portal rps | portal/direct | direct p50 / p99 ms | yarp p50 / p99 ms "
        "| portal p50 / p99 ms | added p50 / p99 ms | yarp CPU ms/req | gateway CPU ms/req | portal ÷ yarp CPU (medians / paired rounds) "
        "| yarp / gateway peak RSS MB | upstream calls/req | gateway alloc KB/req | GCs/s, mean pause ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def cpu_per_request(runs):
        values = []
        for r in runs:
            req = num(r, "requests", int)
            ticks = num(r, "cpu_ticks", int)
            if req and ticks is not None:
                values.append(ticks / args.clk_tck * 1000.0 / req)
        return values

    for key in order:
        d, y, p = groups[key]["direct"], groups[key]["yarp"], groups[key]["portal"]
        if not d or not y or not p:
            missing = ", ".join(name for name, runs in (("direct", d), ("yarp", y), ("portal", p)) if not runs)
            problems.append(f"{key[0]} c={key[1]}: no {missing} runs")
            continue
        d_rps = med([num(r, "rps") for r in d], "direct rps", key)
        y_rps = med([num(r, "rps") for r in y], "yarp rps", key)
        p_rps = med([num(r, "rps") for r in p], "portal rps", key)
        d50 = med([num(r, "p50_us") for r in d], "direct p50", key)
        d99 = med([num(r, "p99_us") for r in d], "direct p99", key)
        y50 = med([num(r, "p50_us") for r in y], "yarp p50", key)
        y99 = med([num(r, "p99_us") for r in y], "yarp p99", key)
        p50 = med([num(r, "p50_us") for r in p], "portal p50", key)
        p99 = med([num(r, "p99_us") for r in p], "portal p99", key)
        cpu = cpu_per_request(p)
        y_cpu = med(cpu_per_request(y), "yarp CPU", key)
        y_hwm = [h for h in (num(r, "hwm_kb", int) for r in y) if h]
        ups = []
        hwm = []
        alloc = []
        gcs = []
        pauses = []
        for r in p:
            req = num(r, "requests", int)
            up = num(r, "upstream", int)
            if req and up is not None:
                ups.append(up / req)
            hwm.append(num(r, "hwm_kb", int))
            # GC counters come from the gateway's /metrics; a run without them leaves the columns empty, not failed.
            n_gc, pause_us, alloc_b, dur = (num(r, c, float) for c in ("gc_collections", "gc_pause_us", "alloc_bytes", "duration_us"))
            if req and alloc_b is not None:
                alloc.append(alloc_b / 1024 / req)
            if n_gc is not None and pause_us is not None and dur:
                gcs.append(n_gc / (dur / 1e6))
                pauses.append(pause_us / 1000 / n_gc if n_gc else 0.0)
        cpu_ms = med(cpu, "gateway CPU", key)
        paired = ratios(paired_cpu(y, p, cpu_per_request))
        up_per = med(ups, "upstream count", key)
        hwm = [h for h in hwm if h]
        if not hwm or not y_hwm:
            problems.append(f"{key[0]} c={key[1]}: no peak RSS")
        if None in (d_rps, y_rps, p_rps, d50, d99, y50, y99, p50, p99, cpu_ms, y_cpu, up_per) or not hwm or not y_hwm or not d_rps or not y_cpu:
            lines.append(f"| {MODE_NAMES.get(key[0], key[0])} | {conns_name(key[1])} | missing measurements |||||||||||||||")
            continue
        lines.append(
            f"| {MODE_NAMES.get(key[0], key[0])} | {conns_name(key[1])} | {fnum(d_rps, 0)} | {fnum(y_rps, 0)} | {fnum(p_rps, 0)} "
            f"| {p_rps / d_rps:.3f} | {d50 / 1000:.3f} / {d99 / 1000:.3f} | {y50 / 1000:.3f} / {y99 / 1000:.3f} "
            f"| {p50 / 1000:.3f} / {p99 / 1000:.3f} | {(p50 - d50) / 1000:.3f} / {(p99 - d99) / 1000:.3f} "
            f"| {y_cpu:.3f} | {cpu_ms:.3f} | {cpu_ms / y_cpu:.2f}× / {fopt(paired, 2) + '×' if paired else '-'} | {max(y_hwm) / 1024:.1f} / {max(hwm) / 1024:.1f} | {up_per:.3f} "
            f"| {fopt(alloc, 1)} | {fopt(gcs, 1)}, {fopt(pauses, 2)} |")
    if not order:
        problems.append("no measured runs at all")
    if any(groups[key]["portal-b"] for key in order):
        lines += compare_table(order, groups, cpu_per_request, problems)
    if args.probe:
        lines += probe_table(args.probe, problems, errors)

    lines.append("")
    lines += args.note
    if errors:
        lines += ["", f"FAILED REQUESTS in {len(errors)} run(s):"] + [f"- {e}" for e in errors]
    if problems:
        lines += ["", "MISSING MEASUREMENTS:"] + [f"- {m}" for m in problems]
    print("\n".join(lines))
    if problems:
        return 2
    if errors:
        return 1
    return 0


def paired_cpu(first, second, cpu_per_request):
    """(first's, second's) CPU per request of the runs of the same round, for the rounds both measured."""
    by_round = {}
    for r in first:
        cpu = cpu_per_request([r])
        if cpu:
            by_round[r["round"]] = cpu[0]
    pairs = []
    for r in second:
        cpu = cpu_per_request([r])
        if cpu and r["round"] in by_round:
            pairs.append((by_round[r["round"]], cpu[0]))
    return pairs


def ratios(pairs):
    """The second's CPU per request over the first's, pair by pair."""
    return [s / f for f, s in pairs if f]


def compare_table(order, groups, cpu_per_request, problems):
    """portal-b (run.sh --compare) against portal, round by round: the pairs share the machine's state of the moment."""
    lines = [
        "",
        "portal-b (the compared gateway) against portal, paired by round (each portal-b run follows the portal run of its round):",
        "",
        "| mode | conns | portal CPU ms/req | portal-b CPU ms/req | portal-b ÷ portal CPU (median of rounds) | rounds portal-b cheaper "
        "| portal ÷ yarp | portal-b ÷ yarp | portal rps | portal-b rps |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key in order:
        y, a, b = groups[key]["yarp"], groups[key]["portal"], groups[key]["portal-b"]
        pairs = paired_cpu(a, b, cpu_per_request)
        y_cpu, a_cpu, b_cpu = cpu_per_request(y), cpu_per_request(a), cpu_per_request(b)
        if not pairs or not y_cpu or not a_cpu or not b_cpu:
            problems.append(f"{key[0]} c={key[1]}: no paired portal / portal-b CPU measurements")
            lines.append(f"| {MODE_NAMES.get(key[0], key[0])} | {conns_name(key[1])} | missing measurements |||||||||")
            continue
        b_over_a = ratios(pairs)
        cheaper = sum(1 for ac, bc in pairs if bc < ac)
        y_med, a_med, b_med = (statistics.median(v) for v in (y_cpu, a_cpu, b_cpu))
        a_rps = statistics.median(float(r["rps"]) for r in a if r["rps"])
        b_rps = statistics.median(float(r["rps"]) for r in b if r["rps"])
        lines.append(
            f"| {MODE_NAMES.get(key[0], key[0])} | {conns_name(key[1])} | {a_med:.3f} | {b_med:.3f} | {statistics.median(b_over_a):.3f} "
            f"(rounds {min(b_over_a):.3f} to {max(b_over_a):.3f}) | {cheaper} of {len(pairs)} | {a_med / y_med:.2f}× | {b_med / y_med:.2f}× "
            f"| {fnum(a_rps, 0)} | {fnum(b_rps, 0)} |")
    return lines


def probe_table(path, problems, errors):
    """The latency probe's table: per mode, medians over rounds of direct, yarp and portal, and portal - direct."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    if not rows:
        return []
    groups = {}
    for row in rows:
        if row["errors"] not in ("", "0"):
            errors.append(f"latency probe {row['mode']} {row['config']} round {row['round']}: {row['errors']} error(s)")
        groups.setdefault(row["mode"], {"direct": [], "yarp": [], "portal": [], "portal-b": []})[row["config"]].append(row)

    def med(runs, column):
        values = [float(r[column]) for r in runs if r[column] not in ("", None)]
        return statistics.median(values) if values else None

    lines = [
        "",
        "1 connection, back to back, timed by latency_client.py (medians over rounds):",
        "",
        "| mode | direct rps | yarp rps | portal rps | direct p50 / p99 / p99.9 ms | yarp p50 / p99 / p99.9 ms "
        "| portal p50 / p99 / p99.9 ms | added p50 / p99 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def latencies(x):
        return f"{x['p50_us'] / 1000:.3f} / {x['p99_us'] / 1000:.3f} / {x['p999_us'] / 1000:.3f}"

    for mode, runs in groups.items():
        d, y, p = ({c: med(runs[config], c) for c in ("rps", "p50_us", "p99_us", "p999_us")} for config in ("direct", "yarp", "portal"))
        if None in d.values() or None in y.values() or None in p.values():
            problems.append(f"latency probe {mode}: missing measurements")
            lines.append(f"| {MODE_NAMES.get(mode, mode)} | missing measurements |||||||")
            continue
        lines.append(
            f"| {MODE_NAMES.get(mode, mode)} | {fnum(d['rps'], 0)} | {fnum(y['rps'], 0)} | {fnum(p['rps'], 0)} "
            f"| {latencies(d)} | {latencies(y)} | {latencies(p)} "
            f"| {(p['p50_us'] - d['p50_us']) / 1000:.3f} / {(p['p99_us'] - d['p99_us']) / 1000:.3f} |")
    compared = [(mode, runs["portal-b"]) for mode, runs in groups.items() if runs["portal-b"]]
    if compared:
        lines += ["", "| mode | portal-b rps | portal-b p50 / p99 / p99.9 ms |", "|---|---:|---:|"]
        for mode, runs in compared:
            b = {c: med(runs, c) for c in ("rps", "p50_us", "p99_us", "p999_us")}
            if None in b.values():
                problems.append(f"latency probe {mode} portal-b: missing measurements")
                continue
            lines.append(f"| {MODE_NAMES.get(mode, mode)} | {fnum(b['rps'], 0)} | {latencies(b)} |")
    return lines


if __name__ == "__main__":
    sys.exit(main())
