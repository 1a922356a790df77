"""Prints tensors of a safetensors checkpoint as nnc-repl prints a
parameter (np.array2string(a, separator=', '), 75 columns), read with
nothing but struct, json and numpy, so a test can compare the REPL's
parameters with what a `--save` wrote, character for character.

  print_checkpoint.py FILE NAME...
"""
import json
import struct
import sys

import numpy as np

raw = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8:8 + n])
dtypes = {"F32": "<f4", "F64": "<f8", "I32": "<i4", "I64": "<i8"}
for name in sys.argv[2:]:
    t = header[name]
    b, e = t["data_offsets"]
    a = np.frombuffer(raw[8 + n + b:8 + n + e],
                      dtypes[t["dtype"]]).reshape(t["shape"])
    print(np.array2string(a, separator=", "))
