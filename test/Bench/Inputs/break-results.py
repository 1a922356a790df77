"""Writes a broken copy of a valid results file of bench/run, for the
validator to reject: break-results.py GOOD OUT HOW."""
import json
import sys

good, out, how = sys.argv[1:4]
with open(good) as f:
    doc = json.load(f)
e = doc["results"][0]
if how == "nan-time":
    e["nnc"] = float("nan")
elif how == "inf-peer":
    doc["results"][1]["peer_value"] = float("inf")
elif how == "zero-time":
    e["peer_value"] = 0.0
elif how == "negative-gflops":
    doc["results"][3]["nnc_gflops"] = -1.0
elif how == "string-time":
    e["nnc"] = "80.0"
elif how == "nan-round":
    e["ratio_rounds"][1] = float("nan")
elif how == "missing-key":
    del e["ratio"]
elif how == "wrong-ratio":
    e["ratio"] = 0.25
elif how == "wrong-best":
    doc["results"][2]["best_peer"] = "C naive"
elif how == "no-best":
    del doc["results"][4]
elif how == "duplicate":
    doc["results"].append(dict(e))
elif how == "no-meta":
    del doc["meta"]["openblas_kernel"]
elif how == "empty":
    doc["results"] = []
else:
    raise SystemExit(f"unknown breakage {how}")
with open(out, "w") as f:
    json.dump(doc, f)  # writes NaN and Infinity as the bare words
