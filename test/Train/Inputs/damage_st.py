"""Writes damaged copies of a safetensors checkpoint of tiny.nn for the
--load tests, with nothing but struct, json and numpy:

  damage_st.py GOOD OUT_DIR

  truncated.st  the good file cut 10 bytes short
  badjson.st    a header that is not JSON
  shape.st      fc1.W saved as [16, 4] instead of [4, 16]
  dtype.st      fc1.W saved as F64
  missing.st    without fc2.b
  extra.st      with one more tensor, fc3.W
"""
import json
import os
import struct
import sys

import numpy as np


def read(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    header.pop("__metadata__", None)
    dt = {"F32": "<f4", "F64": "<f8"}
    return {k: np.frombuffer(raw[8 + n + t["data_offsets"][0]:8 + n + t["data_offsets"][1]],
                             dt[t["dtype"]]).reshape(t["shape"])
            for k, t in header.items()}


def write(path, tensors):
    header, data = {}, b""
    for name, a in tensors.items():
        kind = {np.dtype("<f4"): "F32", np.dtype("<f8"): "F64"}[a.dtype]
        b = np.ascontiguousarray(a).tobytes()
        header[name] = {"dtype": kind, "shape": list(a.shape),
                        "data_offsets": [len(data), len(data) + len(b)]}
        data += b
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    open(path, "wb").write(struct.pack("<Q", len(text)) + text + data)


good, out = sys.argv[1], sys.argv[2]
raw = open(good, "rb").read()
open(os.path.join(out, "truncated.st"), "wb").write(raw[:-10])
n = struct.unpack("<Q", raw[:8])[0]
open(os.path.join(out, "badjson.st"), "wb").write(
    raw[:8] + b"{" + b"x" * (n - 1) + raw[8 + n:])
t = read(good)
write(os.path.join(out, "shape.st"), dict(t, **{"fc1.W": t["fc1.W"].reshape(16, 4)}))
write(os.path.join(out, "dtype.st"), dict(t, **{"fc1.W": t["fc1.W"].astype("<f8")}))
write(os.path.join(out, "missing.st"), {k: v for k, v in t.items() if k != "fc2.b"})
write(os.path.join(out, "extra.st"), dict(t, **{"fc3.W": t["fc2.W"]}))
