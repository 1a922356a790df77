"""Writes a copy of a safetensors file with one thing changed, to show the
checkers catch it.

Usage: tamper_safetensors.py IN OUT MODE
  value  fc1.W[1][2] becomes 8.0 instead of 7.0
  nan    fc1.W[0][0] becomes NaN
  shape  fc1.W's shape [2, 3] becomes [3, 2] (same byte count)
"""
import json
import struct
import sys

import numpy as np

src, dst, mode = sys.argv[1:]
raw = bytearray(open(src, "rb").read())
(n,) = struct.unpack("<Q", raw[:8])
header = json.loads(raw[8:8 + n])
begin, end = header["fc1.W"]["data_offsets"]
w = np.frombuffer(bytes(raw[8 + n + begin:8 + n + end]), dtype="<f4").copy()
if mode == "value":
    w[5] = 8.0
elif mode == "nan":
    w[0] = np.nan
elif mode == "shape":
    header["fc1.W"]["shape"] = [3, 2]
    text = json.dumps(header, separators=(",", ":"))
    text += " " * (n - len(text))  # same length: the offsets stay valid
    assert len(text) == n
    raw[8:8 + n] = text.encode()
else:
    sys.exit("unknown mode " + mode)
raw[8 + n + begin:8 + n + end] = w.tobytes()
open(dst, "wb").write(bytes(raw))
