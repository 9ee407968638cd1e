#!/usr/bin/python3
"""What the measurement protocol achieved in a collection (docs/profiling.md, "Measurement").

Usage: tools/protocol_summary.py FILE... [--ratios ISOLATED.csv IN_NETWORK.csv]
(dataset CSVs from profile layers / --layer-rows, nets JSONs from profile nets), Debian's
/usr/bin/python3, standard library only.

Per file: rows (or networks), per-trial spread (median and 90th percentile of runtime_spread_pct),
trials redone (preempted or otherwise disturbed, taken again), and the reference layers recorded
with the rows (median, and the range as a share of the median: how much the machine's state
moved over the run). For nets files also T_total / sum of T_n per network. --ratios: per kind,
isolated / in-network runtime over the configurations both files measured (the same `config`
text: the same layer at the same batch), the issue's "isolated layers are not the layers of a
network" measure. Values that a file
does not have (an older file without the protocol columns) are reported as missing.
"""
import csv
import json
import statistics
import sys


def number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def quantile(values, q):
    values = sorted(values)
    if not values:
        return None
    return values[min(len(values) - 1, int(q * len(values)))]


def fmt(value, unit=""):
    return "missing" if value is None else f"{value:.4g}{unit}"


def spread_line(spreads):
    return (f"spread median {fmt(quantile(spreads, 0.5), '%')}, "
            f"p90 {fmt(quantile(spreads, 0.9), '%')}, max {fmt(max(spreads, default=None), '%')}")


def reference_line(name, values):
    values = [v for v in values if v is not None]
    if not values:
        return f"{name} reference: missing"
    median = statistics.median(values)
    moved = 100.0 * (max(values) - min(values)) / median
    return (f"{name} reference: median {median:.4g} ms, min {min(values):.4g}, "
            f"max {max(values):.4g} (range {moved:.3g}% of the median, {len(values)} values)")


def summarize_dataset(path):
    with open(path, newline="") as f:
        rows = [r for r in csv.DictReader(f) if r.get("status") == "ok"]
    print(f"{path}: {len(rows)} ok rows")
    by_placement = {}
    for r in rows:
        by_placement.setdefault(r.get("placement") or "isolated (no column)", []).append(r)
    for placement, group in sorted(by_placement.items()):
        spreads = [v for v in (number(r["runtime_spread_pct"]) for r in group) if v is not None]
        print(f"  {placement}: {len(group)} rows; {spread_line(spreads)}")
        if placement == "in-network":
            # A trial times every layer of the network at once: the count is the network's (one
            # reference measurement per network and batch tells them apart).
            per_network = {(r["source_network"], r["reference_ms"]): int(number(r["trials_redone"]) or 0)
                           for r in group}
            print(f"    trials redone: {sum(per_network.values())} over {len(per_network)} "
                  f"network and batch pairs (max {max(per_network.values(), default=0)})")
        else:
            redone = [int(number(r.get("trials_redone")) or 0) for r in group]
            trials = sum(int(number(r.get("trials")) or 0) for r in group)
            print(f"    trials redone: {sum(redone)} besides {trials} kept trials "
                  f"({sum(1 for x in redone if x)} rows had any; max {max(redone, default=0)})")
        print("    " + reference_line("conv", [number(r.get("reference_ms")) for r in group]))
        print("    " + reference_line("memory", [number(r.get("reference_mem_ms")) for r in group]))
        kinds = {}
        for r in group:
            kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
        print("    kinds: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    schedules = {r.get("scheduling", "") for r in rows}
    print("  scheduling: " + "; ".join(sorted(s or "missing" for s in schedules)))


def summarize_nets(path):
    with open(path) as f:
        doc = json.load(f)
    networks = [n for n in doc["networks"] if n.get("status") == "ok"]
    print(f"{path}: {len(networks)} networks, scheduling "
          f"{doc.get('settings', {}).get('scheduling') or 'missing'}")
    spreads = [n["runtime_spread_pct"] for n in networks if n.get("runtime_spread_pct") is not None]
    layer_spreads = [l["runtime_spread_pct"] for n in networks for l in n["layers"]
                     if l.get("runtime_spread_pct") is not None]
    print(f"  end to end: {spread_line(spreads)}")
    print(f"  layers in place: {spread_line(layer_spreads)}")
    print(f"  trials redone: {sum(n.get('trials_redone', 0) for n in networks)}")
    print("  " + reference_line("conv", [n.get("reference_ms") for n in networks]))
    print("  " + reference_line("memory", [n.get("reference_mem_ms") for n in networks]))
    ratios = []
    for n in networks:
        total = n.get("runtime_ms")
        layers = [l["runtime_ms"] for l in n["layers"] if l.get("runtime_ms") is not None]
        if total and layers:
            ratio = total / sum(layers)
            ratios.append(ratio)
            print(f"    {n['network']} batch {n['batch']}: T_total {total:.4g} ms, "
                  f"sum of T_n {sum(layers):.4g} ms, ratio {ratio:.3f}")
    if ratios:
        worst = max(ratios, key=lambda r: abs(r - 1))
        within = sum(1 for r in ratios if abs(r - 1) <= 0.05)
        print(f"  T_total / sum of T_n: {min(ratios):.3f} .. {max(ratios):.3f} "
              f"(worst {worst:.3f}; {within} of {len(ratios)} within 5%)")


def ok_rows(path):
    with open(path, newline="") as f:
        return [r for r in csv.DictReader(f) if r.get("status") == "ok" and number(r["runtime_ms"])]


def summarize_ratios(isolated_path, in_network_path):
    isolated = {r["config"]: number(r["runtime_ms"]) for r in ok_rows(isolated_path)
                if (r.get("placement") or "isolated") == "isolated"}
    by_kind = {}
    for r in ok_rows(in_network_path):
        if r.get("placement") == "in-network" and r["config"] in isolated:
            by_kind.setdefault(r["kind"], []).append(isolated[r["config"]] / number(r["runtime_ms"]))
    print(f"isolated ({isolated_path}) / in-network ({in_network_path}), same configurations:")
    if not by_kind:
        print("  no configuration measured in both")
    for kind, ratios in sorted(by_kind.items()):
        print(f"  {kind}: median {statistics.median(ratios):.3g} over {len(ratios)} layers "
              f"(min {min(ratios):.3g}, max {max(ratios):.3g})")


def main(args):
    paths, ratios = list(args), None
    if "--ratios" in paths:
        at = paths.index("--ratios")
        ratios = paths[at + 1:at + 3]
        del paths[at:at + 3]
        if len(ratios) != 2:
            print("--ratios takes ISOLATED.csv IN_NETWORK.csv", file=sys.stderr)
            return 2
    if not paths and not ratios:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    for path in paths:
        try:
            (summarize_nets if path.endswith(".json") else summarize_dataset)(path)
        except (OSError, ValueError, KeyError) as e:
            print(f"error: {path}: {e}", file=sys.stderr)
            return 1
    if ratios:
        try:
            summarize_ratios(*ratios)
        except (OSError, ValueError, KeyError) as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
