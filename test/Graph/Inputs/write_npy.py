"""Writes a .npy file (format version 1) without NumPy, for nnc graph's tests.

Usage: write_npy.py OUT.npy DTYPE SHAPE VALUES
  DTYPE  <f8, <f4 or <i4;  SHAPE  e.g. 4,2 (empty for a scalar);
  VALUES comma-separated, row-major.
"""
import struct
import sys

out, dtype, shape, values = sys.argv[1:5]
dims = tuple(int(d) for d in shape.split(",") if d)
fmt = {"<f8": "<d", "<f4": "<f", "<i4": "<i"}[dtype]
conv = int if dtype == "<i4" else float
data = [conv(v) for v in values.split(",") if v]
shape_text = "(%s)" % "".join("%d, " % d for d in dims)
if len(dims) > 1:
    shape_text = "(%s)" % ", ".join(str(d) for d in dims)
header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (
    dtype, shape_text)
# Magic (6) + version (2) + length (2) + header + newline: a multiple of 64.
pad = 64 - (10 + len(header) + 1) % 64
header = header + " " * pad + "\n"
with open(out, "wb") as f:
    f.write(b"\x93NUMPY\x01\x00")
    f.write(struct.pack("<H", len(header)))
    f.write(header.encode("latin1"))
    for v in data:
        f.write(struct.pack(fmt, v))
