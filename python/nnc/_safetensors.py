"""safetensors files in NumPy alone (the format of docs/training.md): an
8-byte little-endian header length, a JSON header naming each tensor's
dtype, shape and byte range, then the raw little-endian data."""
import json
import os
import struct

import numpy as np

from ._errors import CheckpointError

_NAMES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8",
          "I32": "<i4", "I16": "<i2", "I8": "i1", "U8": "u1", "BOOL": "?"}
_BY_DTYPE = {np.dtype(v).newbyteorder("=").str: k for k, v in _NAMES.items()}


def _st_dtype(dtype):
    name = _BY_DTYPE.get(np.dtype(dtype).newbyteorder("=").str)
    if name is None:
        raise CheckpointError("cannot write %s in safetensors" % dtype)
    return name


def save(path, tensors):
    """Writes the mapping `tensors` (name -> array), 8-byte aligned tensors
    first, through a temporary file renamed into place."""
    items = sorted(tensors.items(),
                   key=lambda kv: -np.asarray(kv[1]).dtype.itemsize)
    header, blobs, at = {}, [], 0
    for name, arr in items:
        arr = np.asarray(arr)
        data = np.ascontiguousarray(arr, arr.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": _st_dtype(arr.dtype),
                        "shape": list(arr.shape),
                        "data_offsets": [at, at + len(data)]}
        blobs.append(data)
        at += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def read(path):
    """Every tensor of the file, as a dict name -> array; raises
    CheckpointError naming the file and the problem."""
    def fail(problem):
        raise CheckpointError("%s: %s" % (path, problem))
    try:
        with open(path, "rb") as f:
            blob = f.read()
    except OSError as e:
        raise CheckpointError("%s: %s" % (path, e.strerror)) from None
    if len(blob) < 8:
        fail("too short for a safetensors file (%d bytes)" % len(blob))
    (n,) = struct.unpack("<Q", blob[:8])
    if n > len(blob) - 8:
        fail("the header length %d runs past the end of the file (%d bytes)"
             % (n, len(blob)))
    try:
        header = json.loads(blob[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        fail("bad JSON header: %s" % e)
    if not isinstance(header, dict):
        fail("bad JSON header: not an object")
    data = memoryview(blob)[8 + n:]
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        try:
            dtype, shape, (begin, end) = t["dtype"], t["shape"], t["data_offsets"]
            shape = tuple(int(s) for s in shape)
        except (KeyError, TypeError, ValueError):
            fail("tensor %s: needs dtype, shape and data_offsets" % name)
        if dtype not in _NAMES:
            fail("tensor %s: unknown dtype %r" % (name, dtype))
        want = int(np.prod(shape, dtype=np.int64)) * np.dtype(_NAMES[dtype]).itemsize
        if any(s < 0 for s in shape) or end - begin != want or begin < 0:
            fail("tensor %s: offsets [%d, %d] do not hold %s%s"
                 % (name, begin, end, dtype, list(shape)))
        if end > len(data):
            fail("tensor %s: its data runs past the end of the file" % name)
        arr = np.frombuffer(data[begin:end], _NAMES[dtype]).reshape(shape)
        out[name] = arr.astype(arr.dtype.newbyteorder("="))
    return out


def load_into(path, params, strict=True):
    """Copies the file's tensors into `params` (a Tensors mapping): each
    parameter must be there, with its dtype and shape."""
    tensors = read(path)
    for name, view in params.items():
        if name not in tensors:
            raise CheckpointError("%s: no tensor %s" % (path, name))
        t = tensors[name]
        if t.dtype != view.dtype:
            raise CheckpointError("%s: tensor %s is %s; the parameter is %s"
                                  % (path, name, _st_dtype(t.dtype),
                                     _st_dtype(view.dtype)))
        if t.shape != view.shape:
            raise CheckpointError("%s: tensor %s has shape %s; the parameter "
                                  "has %s" % (path, name, list(t.shape),
                                              list(view.shape)))
    extra = sorted(set(tensors) - set(params))
    if strict and extra:
        raise CheckpointError("%s: tensors that are not parameters: %s"
                              % (path, ", ".join(extra)))
    for name, view in params.items():
        view[...] = tensors[name]
