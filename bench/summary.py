#!/usr/bin/env python3
"""bench/summary.py RESULTS: the table at the end of bench/run.sh, every
figure next to its baseline and their ratio, and the targets of
BENCHMARKS.md marked met / NOT met. RESULTS holds "key value" lines."""
import sys

r = {}
for line in open(sys.argv[1]):
    k, _, v = line.strip().partition(" ")
    r[k] = v


def num(k):
    try:
        return float(r[k])
    except (KeyError, ValueError):
        return None


rows = []


def row(what, fig, base, unit, target=None, higher_better=False):
    f, b = num(fig), num(base) if base else None
    if f is None:
        return
    ratio = f / b if b else None
    mark = ""
    if target is not None and ratio is not None:
        ok = ratio >= target if higher_better else ratio <= target
        mark = ("met" if ok else "NOT met") + " (target %s %g)" % (">=" if higher_better else "<=", target)
    rows.append((what, "%g %s" % (f, unit), "%g %s" % (b, unit) if b else "",
                 "%.2f" % ratio if ratio is not None else "", mark))


for c in ("1", "8", "32", "128"):
    row("create rate, %s clients (vs pgbench insert)" % c, "create_rate_" + c,
        "pgbench_tps_" + c, "/s", 0.5 if c in ("8", "32") else None, True)
for c in ("8", "32"):
    row("pgbench insert+NOTIFY in one tx, %s clients (vs pgbench insert)" % c,
        "pgbench_notify_tps_" + c, "pgbench_tps_" + c, "/s")
    row("create rate, %s clients (vs pgbench insert+NOTIFY)" % c, "create_rate_" + c,
        "pgbench_notify_tps_" + c, "/s")
for c in ("1", "8", "32"):
    row("pgbench full create (triggers), %s clients (vs pgbench insert)" % c,
        "pgbench_full_tps_" + c, "pgbench_tps_" + c, "/s")
    row("create rate, %s clients (vs pgbench full create)" % c, "create_rate_" + c,
        "pgbench_full_tps_" + c, "/s")
for c in ("8", "32"):
    row("5 ms flush: pgbench insert+NOTIFY, %s clients (vs insert)" % c,
        "slow_pgbench_notify_tps_" + c, "slow_pgbench_tps_" + c, "/s")
    row("5 ms flush: pgbench full create, %s clients (vs insert)" % c,
        "slow_pgbench_full_tps_" + c, "slow_pgbench_tps_" + c, "/s")
    row("5 ms flush: create rate, %s clients (vs pgbench insert)" % c,
        "slow_create_rate_" + c, "slow_pgbench_tps_" + c, "/s")
    row("5 ms flush: create rate, %s clients (vs pgbench insert+NOTIFY)" % c,
        "slow_create_rate_" + c, "slow_pgbench_notify_tps_" + c, "/s")
    row("5 ms flush: create rate, %s clients (vs pgbench full create)" % c,
        "slow_create_rate_" + c, "slow_pgbench_full_tps_" + c, "/s")
for c in ("1", "8", "32", "128"):
    row("create p99 latency, %s clients (vs pgbench avg)" % c, "create_%s_p99" % c,
        "pgbench_lat_" + c, "ms")
for q in ("p50", "p99", "max"):
    row("decision-to-wake %s (vs NOTIFY in a tx)" % q, "wake_" + q, "notify_tx_" + q, "ms",
        3 if q == "p99" else None)
for q in ("p50", "p99"):
    row("decision-to-wake %s (vs bare NOTIFY)" % q, "wake_" + q, "notify_raw_" + q, "ms")
for q in ("p50", "p99", "max"):
    row("approve call %s (vs NOTIFY in a tx)" % q, "approve_" + q, "notify_tx_" + q, "ms")
for q in ("p50", "p99"):
    row("A->B decision-to-wake %s (vs NOTIFY in a tx)" % q, "wakeAB_" + q, "notify_tx_" + q, "ms")
    row("A->B decision-to-wake %s (vs same instance)" % q, "wakeAB_" + q, "wake_" + q, "ms")
for t in ("unix", "loopback", "tls"):
    for q in ("p50", "p99"):
        row("PAM transaction %s %s (vs pam_permit)" % (t, q), "pam_%s_%s" % (t, q),
            "pam_permit_" + q, "ms")
        row("PAM transaction %s %s (vs one create call)" % (t, q), "pam_%s_%s" % (t, q),
            "create_1_" + q, "ms")
for k in sorted(r):
    if k.startswith("hold_") and k.endswith("_rss_kb") and "_after_" not in k:
        n = k.split("_")[1]
        v = num(k) / 1024
        rows.append(("RSS holding %s (instance %s)" % (n, k.split("_")[2]), "%.1f MB" % v, "", "",
                     ("met" if v < 64 else "NOT met") + " (target < 64 MB)" if n.startswith("10000x") else ""))
    if k.startswith("hold_") and k.endswith("_after_rss_kb"):
        held = num(k.replace("_after_", "_"))
        v = num(k) / 1024
        rows.append(("RSS after the release, %s (instance %s)" % (k.split("_")[1], k.split("_")[2]),
                     "%.1f MB" % v, "%.1f MB holding" % (held / 1024) if held else "",
                     "%.2f" % (num(k) / held) if held else "", ""))
    if k.startswith("hold_") and k.endswith("_released"):
        rows.append(("all released: %s" % k.split("_")[1], r[k], "", "", ""))
    if k.endswith("_after_fds") or k.endswith("_after_threads"):
        parts = k.split("_")
        what = "descriptors" if k.endswith("fds") else "threads"
        held = r.get(k.replace("_after_", "_"), "?")
        rows.append(("%s after the release, %s (instance %s)" % (what, parts[1], parts[2]),
                     r[k], "%s while holding" % held, "", ""))
if "storm_lost" in r:
    rows.append(("storm lost wake-ups", r["storm_lost"], "", "", "met" if r["storm_lost"] == "0" else "NOT met"))
    row("storm decisions/s (vs pgbench insert, 8 clients)", "storm_rate", "pgbench_tps_8", "/s")
    row("storm decision-to-wake p99 (vs NOTIFY in a tx)", "storm_p99", "notify_tx_p99", "ms")
if "stormAB_lost" in r:
    rows.append(("A->B storm lost wake-ups", r["stormAB_lost"], "", "", ""))

w = [max(len(x[i]) for x in rows + [("figure", "value", "baseline", "ratio", "target")]) for i in range(5)]
for x in [("figure", "value", "baseline", "ratio", "target")] + rows:
    print("  ".join(x[i].ljust(w[i]) for i in range(5)).rstrip())
