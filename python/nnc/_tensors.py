"""Structs of the ABI seen from Python: an instance's parameters, their
gradients, an optimizer's state — one byte buffer laid out as C lays the
struct out, and a writable NumPy view per field, by layer path."""
import collections.abc

import numpy as np

from ._errors import DTypeError, ShapeError

DTYPES = {"f32": np.dtype(np.float32), "f64": np.dtype(np.float64),
          "i32": np.dtype(np.int32), "i64": np.dtype(np.int64),
          "bool": np.dtype(np.bool_)}


class Layout:
    """A struct of the signature file: its C name, size and fields."""

    def __init__(self, desc, grads=False):
        """With `grads`, an instance's gradient struct: its parameters'
        fields only, without its layer state (which comes last)."""
        self.struct = desc["grads_struct"] if grads else desc["struct"]
        self.size = desc.get("grads_size", desc["size"]) if grads else desc["size"]
        self.fields = []   # (name, dtype, shape, offset, bytes)
        self.state_names = [f["name"] for f in desc["fields"]
                            if f.get("state")]
        for f in desc["fields"]:
            if grads and f.get("state"):
                continue
            shape = tuple(f["shape"])
            dtype = DTYPES[f["dtype"]]
            if f["bytes"] != int(np.prod(shape, dtype=np.int64)) * dtype.itemsize:
                raise ValueError("field %s: %d bytes for shape %s"
                                 % (f["name"], f["bytes"], shape))
            self.fields.append((f["name"], dtype, shape, f["offset"],
                                f["bytes"]))

    def new(self, name=None):
        """A zeroed struct."""
        # 64-byte alignment: np.empty's is 16 at least, which the struct's
        # largest element (8 bytes) needs; over-allocate and slice for 64.
        raw = np.zeros(self.size + 64, np.uint8)
        start = (-raw.ctypes.data) % 64
        return Tensors(self, raw[start:start + self.size], name or self.struct)


class Tensors(collections.abc.Mapping):
    """The fields of one struct, by layer path (`"fc1.W"`): NumPy arrays
    that are views of the struct, so writing to them writes it.

    `t["fc1.W"] = a` copies `a` in (same shape; the dtype converted as the
    calls convert arguments); `t.buffer` is the struct's bytes;
    `t.copy()` a dict of copies; `t.update(other)` copies every field of a
    mapping in.
    """

    def __init__(self, layout, buffer, name):
        self.layout = layout
        self.buffer = buffer
        self.name = name
        self._views = {}
        for fname, dtype, shape, offset, nbytes in layout.fields:
            v = buffer[offset:offset + nbytes].view(dtype).reshape(shape)
            self._views[fname] = v

    @property
    def address(self):
        return self.buffer.ctypes.data

    def __getitem__(self, key):
        return self._views[key]

    def __iter__(self):
        return iter(self._views)

    def __len__(self):
        return len(self._views)

    def __setitem__(self, key, value):
        if key not in self._views:
            raise KeyError("%s has no field %r; it has %s"
                           % (self.name, key, ", ".join(self._views)))
        view = self._views[key]
        arr = np.asarray(value)
        if arr.shape != view.shape:
            raise ShapeError(self.name, "%s has shape %s; %s was given"
                             % (key, view.shape, arr.shape))
        if arr.dtype == object or not np.can_cast(arr.dtype, view.dtype,
                                                  "same_kind"):
            raise DTypeError("%s: %s is %s; %s was given"
                             % (self.name, key, view.dtype, arr.dtype))
        view[...] = arr

    def update(self, other):
        for key, value in other.items():
            self[key] = value

    def copy(self):
        return {k: v.copy() for k, v in self._views.items()}

    def zero(self):
        self.buffer[...] = 0

    @property
    def layer_state(self):
        """The fields that are layer `state` members (batch_norm's running
        statistics), a dict of the same views."""
        return {k: self._views[k] for k in self.layout.state_names
                if k in self._views}

    def __repr__(self):
        inner = ", ".join("%r: %s%s" % (k, v.dtype, list(v.shape))
                          for k, v in self._views.items())
        return "<%s {%s}>" % (self.name, inner)
