"""Reads a safetensors file with json + numpy.frombuffer alone and checks
it holds exactly the checkpoint `nnc-data-tool write-demo` writes.

Usage: check_safetensors.py FILE [c]
With `c`, the file is the one test/Data/c-safetensors.c writes with the C
header: the F32 and F64 tensors only, and no metadata.
Exits 0 and prints `ok: N tensors` when every tensor has the expected
dtype, shape and bit-exact values, the header follows the format (length
a multiple of 8, space padding, offsets tiling the data, each tensor
aligned to its element size) and every float is finite; otherwise prints
what is wrong and exits 1.
"""
import json
import struct
import sys

import numpy as np

EXPECTED = {
    "fc1.W": np.array([[0.5, -1.25, 3.0], [1e-7, -0.0, 7.0]], dtype="<f4"),
    "fc1.b": np.array([1.0 / 3.0, -2.5e300, 0.1], dtype="<f8"),
    "step": np.array(-7, dtype="<i4"),
    "idx": np.array([[1 << 40], [-1], [0]], dtype="<i8"),
    "a.odd": np.array([1.5, 2.5, 3.5], dtype="<f4"),
}
METADATA = {"format": "pt", "producer": "nnc"}
DTYPES = {"F32": "<f4", "F64": "<f8", "I32": "<i4", "I64": "<i8"}

if sys.argv[2:] == ["c"]:
    EXPECTED = {k: v for k, v in EXPECTED.items() if v.dtype.kind == "f"}
    METADATA = None

errors = []
with open(sys.argv[1], "rb") as f:
    raw = f.read()
(n,) = struct.unpack("<Q", raw[:8])
if n % 8:
    errors.append("header length %d is not a multiple of 8" % n)
text = raw[8:8 + n].decode("utf-8")
if text.rstrip(" ") != text.rstrip() or not text.startswith("{"):
    errors.append("header is not a JSON object padded with spaces")
header = json.loads(text)
data = raw[8 + n:]
if header.pop("__metadata__", None) != METADATA:
    errors.append("metadata differs")
if set(header) != set(EXPECTED):
    errors.append("tensors %s, expected %s" % (sorted(header), sorted(EXPECTED)))
covered = 0
for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"]):
    begin, end = info["data_offsets"]
    if begin != covered:
        errors.append("%s: starts at %d, not %d" % (name, begin, covered))
    covered = end
    dtype = np.dtype(DTYPES[info["dtype"]])
    if (8 + n + begin) % dtype.itemsize:
        errors.append("%s: not aligned to %d bytes" % (name, dtype.itemsize))
    got = np.frombuffer(data[begin:end], dtype=dtype).reshape(info["shape"])
    want = EXPECTED.get(name)
    if want is None:
        continue
    if got.dtype != want.dtype or got.shape != want.shape:
        errors.append("%s: %s%s, expected %s%s"
                      % (name, got.dtype, got.shape, want.dtype, want.shape))
    elif got.tobytes() != want.tobytes():
        errors.append("%s: values %s, expected %s" % (name, got.ravel().tolist(),
                                                      want.ravel().tolist()))
    if got.dtype.kind == "f" and not np.all(np.isfinite(got)):
        errors.append("%s: non-finite values" % name)
if covered != len(data):
    errors.append("tensors cover %d of %d data bytes" % (covered, len(data)))
for e in errors:
    print("error: " + e)
if errors:
    sys.exit(1)
print("ok: %d tensors" % len(header))
