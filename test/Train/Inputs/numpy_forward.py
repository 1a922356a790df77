"""Recomputes an MLP's forward pass in NumPy from a safetensors checkpoint
that nnc train saved, and compares it with nnc's predictions and test loss.

The checkpoint is read with nothing but struct, json and numpy (the 8-byte
little-endian header length, the JSON header, the raw little-endian data),
so the test shows the file is what the format says, not what nnc reads back.

  numpy_forward.py CKPT PREDICTIONS.npy X.npy Y.npy LOSS [--corrupt]

X and Y are the test set (flattened features in [0, 1], labels). LOSS is
the test loss nnc printed. The layers are fc1..fcK (x @ W + b, ReLU between
them). Exits 1, saying what differs, when a prediction differs or the mean
cross-entropy is off by more than 1e-4 relative, or anything is NaN/inf.
--corrupt adds 0.05 to fc1.W first, to show the check fails on wrong
weights.
"""
import json
import struct
import sys

import numpy as np


def read_safetensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    header.pop("__metadata__", None)
    dtypes = {"F32": "<f4", "F64": "<f8", "I32": "<i4", "I64": "<i8"}
    out = {}
    for name, t in header.items():
        b, e = t["data_offsets"]
        out[name] = np.frombuffer(raw[8 + n + b:8 + n + e],
                                  dtypes[t["dtype"]]).reshape(t["shape"])
    return out


def main():
    ckpt, pred_path, x_path, y_path, loss = sys.argv[1:6]
    corrupt = "--corrupt" in sys.argv[6:]
    p = read_safetensors(ckpt)
    if corrupt:
        p["fc1.W"] = p["fc1.W"] + np.float32(0.05)
    layers = sorted({k.split(".")[0] for k in p}, key=lambda s: int(s[2:]))
    x = np.load(x_path).reshape(-1, p["fc1.W"].shape[0]).astype(np.float64)
    y = np.load(y_path).astype(np.int64)
    for i, name in enumerate(layers):
        x = x @ p[name + ".W"].astype(np.float64) + p[name + ".b"]
        if i + 1 < len(layers):
            x = np.maximum(x, 0)
    m = x.max(axis=1, keepdims=True)
    logp = x - m - np.log(np.exp(x - m).sum(axis=1, keepdims=True))
    ref_loss = -logp[np.arange(len(y)), y].mean()
    ref_pred = x.argmax(axis=1)
    pred = np.load(pred_path)
    ok = True
    if not np.isfinite(x).all() or not np.isfinite(ref_loss):
        print("FAIL: the NumPy forward pass is not finite")
        ok = False
    if pred.shape != ref_pred.shape:
        print("FAIL: %s predictions, NumPy has %s" % (pred.shape, ref_pred.shape))
        sys.exit(1)
    differ = int((pred != ref_pred).sum())
    rel = abs(float(loss) - ref_loss) / abs(ref_loss)
    print("layers %s, %d samples, %d predictions differ, loss %.6f vs %.6f "
          "(relative %.2e)" % (",".join(layers), len(y), differ, float(loss),
                               ref_loss, rel))
    if differ:
        ok = False
    if not rel <= 1e-4:
        ok = False
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


main()
