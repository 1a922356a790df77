"""The results of bench/run: entries from the rounds' figures, the checks a
results file must pass, and the Markdown table.

A results file is {"meta": {...}, "results": [entry, ...]}. An entry compares
nnc with one peer on one (workload, variant, size):

  workload    "W1", "W2", "W3-static" or "W3-dynamic" (nnc's sizes known at
              compile time or only at run time)
  variant     "call" (W1); "fwd", "fwdbwd" or "step" (W2); "sgemm" (W3)
  size        "value+grad" (W1), the batch size B (W2), "MxKxN" (W3, with
              "-tn" when the left operand is read transposed)
  threads     threads of nnc and of every peer (bench/run --threads N)
  unit        "ns/call", "us/step" or "ms/call": of nnc and peer_value
  nnc         nnc's time, the median over rounds of each round's median
  peer        the peer's name, or "best" for the fastest peer (best_peer)
  peer_value  the peer's time, likewise
  ratio       nnc / peer_value: below 1, nnc is faster
  ratio_rounds, ratio_rounds_median  the ratio within each round, and their
              median (robust to the machine's clock drifting between rounds)
  flop, nnc_gflops, peer_gflops  (W3) from the median times
"""
import json
import math
import statistics

REQUIRED = ("workload", "variant", "size", "threads", "unit", "nnc", "peer",
            "peer_value", "ratio")
META_REQUIRED = ("date", "cpu", "commit", "openblas_kernel", "mode", "rounds")
MAIN_VARIANT = {"W1": "call", "W2": "step", "W3": "sgemm"}


def _nnc_workload(wl, who):
    """The entry's workload for a side named `who` of bench/run's workload
    `wl`, or None when `who` is a peer."""
    if who == "nnc":
        return wl
    if who.startswith("nnc-"):
        return f"{wl}-{who[4:]}"
    return None


def _flop(size):
    m, k, n = (int(v) for v in str(size).split("-")[0].split("x"))
    return 2.0 * m * k * n


def make_entries(data, threads=1):
    """data: {(workload, variant, size, who): {round: (median, metric)}};
    every side ran on \p threads threads."""
    groups = {}
    for (wl, variant, size, who), rounds in data.items():
        groups.setdefault((wl, variant, size), {})[who] = rounds
    entries = []
    for (wl, variant, size), sides in groups.items():
        peers = {w: r for w, r in sides.items() if _nnc_workload(wl, w) is None}
        for who, nrounds in sides.items():
            workload = _nnc_workload(wl, who)
            if workload is None or not peers:
                continue
            unit = next(iter(nrounds.values()))[1]
            nmed = statistics.median(v for v, _ in nrounds.values())
            base = {"workload": workload, "variant": variant, "size": size,
                    "threads": threads, "unit": unit, "nnc": nmed}
            medians = {p: statistics.median(v for v, _ in r.values())
                       for p, r in peers.items()}
            for peer, prounds in peers.items():
                per = [nrounds[r][0] / prounds[r][0] for r in sorted(nrounds)
                       if r in prounds]
                entries.append(_entry(base, peer, medians[peer], per, wl))
            best = min(medians, key=medians.get)
            per = [nrounds[r][0] / min(p[r][0] for p in peers.values() if r in p)
                   for r in sorted(nrounds) if any(r in p for p in peers.values())]
            e = _entry(base, "best", medians[best], per, wl)
            e["best_peer"] = best
            entries.append(e)
    # W3-static's entries before W3-dynamic's, each in the order of the sizes
    rank = {}
    for e in entries:
        rank.setdefault(e["workload"], len(rank))
    return sorted(entries, key=lambda e: rank[e["workload"]])


def _entry(base, peer, value, per_round, wl):
    e = dict(base, peer=peer, peer_value=value, ratio=base["nnc"] / value,
             ratio_rounds=per_round,
             ratio_rounds_median=statistics.median(per_round) if per_round else None)
    if wl == "W3":  # times in ms
        flop = _flop(base["size"])
        e.update(flop=flop, nnc_gflops=flop / (base["nnc"] * 1e-3) * 1e-9,
                 peer_gflops=flop / (value * 1e-3) * 1e-9)
    return e


def _positive(x):
    return (isinstance(x, (int, float)) and not isinstance(x, bool)
            and math.isfinite(x) and x > 0)


def validate(doc):
    """Every way `doc` is not a results file; [] when it is one."""
    if not isinstance(doc, dict):
        return ["the top level is not an object"]
    errors = []
    meta = doc.get("meta")
    if not isinstance(meta, dict):
        errors.append("no 'meta' object")
    else:
        for k in META_REQUIRED:
            if meta.get(k) in (None, ""):
                errors.append(f"meta: no '{k}'")
    entries = doc.get("results")
    if not isinstance(entries, list) or not entries:
        return errors + ["no 'results' list, or an empty one"]
    seen, groups = set(), {}
    for i, e in enumerate(entries):
        where = f"results[{i}]"
        if not isinstance(e, dict):
            errors.append(f"{where}: not an object")
            continue
        missing = [k for k in REQUIRED if k not in e]
        if missing:
            errors.append(f"{where}: no {', '.join(missing)}")
            continue
        where += f" ({e['workload']} {e['variant']} {e['size']} vs {e['peer']})"
        for k in ("workload", "variant", "unit", "peer"):
            if not isinstance(e[k], str) or not e[k]:
                errors.append(f"{where}: '{k}' is not a non-empty string")
        size = e["size"]
        if not (isinstance(size, str) and size) and not (
                isinstance(size, int) and not isinstance(size, bool) and size > 0):
            errors.append(f"{where}: 'size' is {size!r}")
        if not (isinstance(e["threads"], int) and not isinstance(e["threads"], bool)
                and e["threads"] >= 1):
            errors.append(f"{where}: 'threads' is {e['threads']!r}")
        numbers = [k for k in e if k in ("nnc", "peer_value", "ratio", "flop",
                                         "ratio_rounds_median")
                   or k.endswith("_gflops")]
        bad = [k for k in numbers if not _positive(e[k])]
        for k in bad:
            errors.append(f"{where}: '{k}' is {e[k]!r}, not a finite positive number")
        rr = e.get("ratio_rounds", [])
        if not isinstance(rr, list) or not all(_positive(x) for x in rr):
            errors.append(f"{where}: 'ratio_rounds' is not a list of finite positive numbers")
        if not bad and abs(e["ratio"] - e["nnc"] / e["peer_value"]) > 1e-9 * e["ratio"]:
            errors.append(f"{where}: 'ratio' {e['ratio']} is not nnc / peer_value "
                          f"= {e['nnc'] / e['peer_value']}")
        key = (e["workload"], e["variant"], str(size), e["peer"])
        if key in seen:
            errors.append(f"{where}: a second entry for it")
        seen.add(key)
        groups.setdefault(key[:3], []).append(e)
    for (wl, variant, size), es in groups.items():
        best = [e for e in es if e["peer"] == "best"]
        others = [e for e in es if e["peer"] != "best"]
        if len(best) != 1 or not others:
            errors.append(f"{wl} {variant} {size}: {len(best)} 'best' entries "
                          f"and {len(others)} peers (want 1 and at least 1)")
            continue
        if not all(_positive(e["peer_value"]) for e in es):
            continue
        fastest = min(others, key=lambda e: e["peer_value"])
        if (best[0].get("best_peer") != fastest["peer"]
                or best[0]["peer_value"] != fastest["peer_value"]):
            errors.append(f"{wl} {variant} {size}: 'best' is {best[0].get('best_peer')} "
                          f"at {best[0]['peer_value']}, but the fastest peer is "
                          f"{fastest['peer']} at {fastest['peer_value']}")
    return errors


def validate_file(path):
    try:
        with open(path) as f:
            doc = json.load(f)  # accepts NaN and Infinity, which validate rejects
    except (OSError, ValueError) as e:
        return [f"cannot read it as JSON: {e}"]
    return validate(doc)


# Kernels OpenBLAS 0.3.21 picks on CPUs it knows with these instructions.
_AVX512_CORES = {"SkylakeX", "Cooperlake", "SapphireRapids"}
_AVX2_CORES = _AVX512_CORES | {"Haswell", "Zen"}


def openblas_detected_core(env):
    """The kernel OpenBLAS picks by itself in \p env, or "not installed"."""
    code = ("import ctypes, ctypes.util\n"
            "lib = ctypes.CDLL(ctypes.util.find_library('openblas') or 'libopenblas.so.0')\n"
            "lib.openblas_get_corename.restype = ctypes.c_char_p\n"
            "print(lib.openblas_get_corename().decode())\n")
    import subprocess
    import sys
    p = subprocess.run([sys.executable, "-c", code], env=env,
                       capture_output=True, text=True)
    return p.stdout.strip() if p.returncode == 0 else "not installed"


def better_openblas_core(core, simd):
    """The kernel to name when OpenBLAS's own pick \p core is older than a
    CPU with the vector extensions \p simd, else None."""
    for cores, flag, name in ((_AVX512_CORES, "avx512f", "SkylakeX"),
                              (_AVX2_CORES, "avx2", "Haswell")):
        if flag in simd:
            return name if core not in cores and core != "not installed" else None
    return None


def openblas_warnings(meta):
    """A warning when OpenBLAS ran a kernel older than the CPU (it does not
    recognize a CPU newer than itself and falls back to SSE3's Prescott)."""
    simd = meta.get("cpu_simd", [])
    cores = [meta.get("openblas_kernel", "not run")]
    for part in meta.get("python_openblas_cores", "").split(","):
        if ":" in part:
            cores.append(part.split(":")[1])
    out = []
    for core in dict.fromkeys(c for c in cores if c and c != "not run"):
        want = (_AVX512_CORES, "AVX-512", "SkylakeX") if "avx512f" in simd else \
               (_AVX2_CORES, "AVX2", "Haswell") if "avx2" in simd else (None,) * 3
        if want[0] and core not in want[0]:
            out.append(f"OpenBLAS ran its {core} kernel on a CPU with {want[1]} "
                       f"(it does not recognize this CPU): its figures, and "
                       f"NumPy's and PyTorch's, are below what this CPU allows; "
                       f"`--openblas-coretype {want[2]}` picks the {want[1]} kernel")
    return out


def _num(x):
    return f"{x:.0f}" if x >= 100 else f"{x:.1f}" if x >= 10 else \
        f"{x:.2f}" if x >= 1 else f"{x:.3g}"


def _value(e, key):
    unit = e["unit"].split("/")[0].replace("us", "µs")
    s = f"{_num(e[key])} {unit}"
    if "flop" in e:
        s += f" ({_num(e[key.replace('peer_value', 'peer') + '_gflops'])} GFLOP/s)"
    return s


def _size(e):
    if isinstance(e["size"], int):
        return f"B={e['size']}"
    return e["size"].replace("-tn", " (Aᵀ·B)").replace("x", "×")


def markdown(doc):
    meta, entries = doc["meta"], doc["results"]
    lines = [f"## nnc against its peers (`bench/run{' --' + meta['mode'] if meta['mode'] != 'full' else ''}`)",
             "",
             f"{meta['date']}, commit `{meta['commit']}`, {meta['cpu']} "
             f"({', '.join(meta.get('cpu_simd', [])) or 'no AVX'}), "
             f"{'one thread' if meta.get('threads', 1) == 1 else str(meta['threads']) + ' threads'}; "
             f"{meta['rounds']} rounds of {meta['samples']} samples, nnc and the "
             f"peers alternated; medians over rounds; ratio = nnc / peer "
             f"(below 1: nnc is faster). nnc `{meta.get('nnc_flags', '')}`.",
             "",
             f"OpenBLAS kernel: {meta['openblas_kernel']} ({meta.get('openblas_config', '')}); "
             f"NumPy's and PyTorch's OpenBLAS: {meta.get('python_openblas_cores', 'not run')}; "
             f"OPENBLAS_CORETYPE for the peers: {meta.get('openblas_coretype_peers', 'unset')}.",
             ""]
    for w in meta.get("warnings", []):
        lines += [f"**Warning:** {w}.", ""]
    for name, why in meta.get("skipped", {}).items():
        lines += [f"Skipped {name}: {why}", ""]
    lines += ["| workload | size | nnc | best peer | its time | nnc / best peer |",
              "| --- | --- | --- | --- | --- | --- |"]
    for e in entries:
        if e["variant"] in ("call", "step", "sgemm") and e["peer"] == "best":
            lines.append(f"| {e['workload']} | {_size(e)} | {_value(e, 'nnc')} | "
                         f"{e['best_peer']} | {_value(e, 'peer_value')} | {e['ratio']:.2f} |")
    lines += ["", "Every peer:", "",
              "| workload | size | nnc | peer | peer's time | nnc / peer | per round: median [min–max] |",
              "| --- | --- | --- | --- | --- | --- | --- |"]
    for e in entries:
        if e["variant"] not in ("call", "step", "sgemm"):
            continue
        size = _size(e)
        rr = e["ratio_rounds"]
        per = f"{e['ratio_rounds_median']:.2f} [{min(rr):.2f}–{max(rr):.2f}]" if rr else ""
        peer, ratio = e["peer"], f"{e['ratio']:.2f}"
        if peer == "best":
            peer, ratio = f"**best: {e['best_peer']}**", f"**{ratio}**"
        lines.append(f"| {e['workload']} | {size} | {_value(e, 'nnc')} | {peer} | "
                     f"{_value(e, 'peer_value')} | {ratio} | {per} |")
    over = _overheads(entries)
    if over:
        lines += ["", "W2 (fwd+bwd) / fwd, per B: " + "; ".join(
            f"{who} {'/'.join(f'{v:.2f}' for v in vs)}" for who, vs in over.items())]
    return "\n".join(lines) + "\n"


def _overheads(entries):
    """{side: [(fwd+bwd)/fwd for each B]} of W2, nnc first."""
    t = {}
    for e in entries:
        if e["workload"] == "W2" and e["variant"] in ("fwd", "fwdbwd") and e["peer"] != "best":
            t.setdefault(("nnc", e["size"]), {})[e["variant"]] = e["nnc"]
            t.setdefault((e["peer"], e["size"]), {})[e["variant"]] = e["peer_value"]
    out = {}
    for (who, _), v in t.items():
        if "fwd" in v and "fwdbwd" in v:
            out.setdefault(who, []).append(v["fwdbwd"] / v["fwd"])
    return out


def round_summary(data, wl, r):
    """One line of progress: each side's main figure in round r, per size."""
    parts = {}
    for (w, variant, size, who), rounds in data.items():
        if w == wl and variant == MAIN_VARIANT[wl] and r in rounds:
            parts.setdefault(who, []).append(_num(rounds[r][0]))
    unit = next((rs[r][1] for (w, v, _, _), rs in data.items()
                 if w == wl and v == MAIN_VARIANT[wl] and r in rs), "")
    return f"({unit}) " + "; ".join(f"{who} {'/'.join(v)}" for who, v in parts.items())
