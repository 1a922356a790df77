"""Writes damaged safetensors files into OUTDIR, one per way a file can be
wrong (see safetensors-malformed.test).

Usage: make_bad_safetensors.py GOOD.safetensors OUTDIR
"""
import json
import struct
import sys

import numpy as np

good, out = sys.argv[1:]


def write(name, header, data):
    text = header if isinstance(header, str) else json.dumps(header)
    raw = text.encode()
    open("%s/%s.safetensors" % (out, name), "wb").write(
        struct.pack("<Q", len(raw)) + raw + data)


raw = open(good, "rb").read()
# Truncated: the last 32 bytes of the data are gone.
open(out + "/cut.safetensors", "wb").write(raw[:-32])
# A header length far past the end of a 20-byte file.
open(out + "/past.safetensors", "wb").write(
    struct.pack("<Q", 1000000) + b"{}" + b"\0" * 10)
four = np.arange(4, dtype="<f4").tobytes()
write("json", '{"x":{} "y":1}', b"")
write("dtype", {"x": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}},
      four[:4])
write("shape", {"x": {"dtype": "F32", "shape": [3], "data_offsets": [0, 16]}},
      four)
write("overlap", {"x": {"dtype": "F32", "shape": [3], "data_offsets": [0, 12]},
                  "y": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}},
      four)
write("huge", {"x": {"dtype": "U8", "shape": [2**31, 2**31],
                     "data_offsets": [0, 2**62]}}, four)
