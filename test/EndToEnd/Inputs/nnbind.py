"""Binds the tensor functions of a shared library nnc built, from the header
nnc generated for it, so tests call them with NumPy arrays.

    mod = Module("libm.so", "m.h")
    status, (dx, dW) = mod.dl2(x, W)           # dx, dW: NumPy arrays
    status, (value,) = mod.l2(x, W, shapes=[()])

Inputs are passed in the order of the source: a NumPy array for each tensor
(its axes become the `name_dK` sizes; `dims=` overrides them to test the
dimension checks), a Python number for a scalar, and for an instance's
`const net_params_t *params` a flat float64 array of the struct's doubles
(the `flat()` of a `Struct`). Outputs are allocated here: a gradient `dNAME`
gets the shape of input NAME, `value` is a scalar, a `*_params_t` or
`*_grads_t` struct is a flat array of its elements; any other output
(`out0`, ...) needs its shape in `shapes=`, in order, `()` for a scalar.
The call returns the status and the outputs. `workspace=` passes a buffer
(default None: the function allocates its own).

Only what the tests need: element types double, float, int32_t, int64_t;
structs whose fields all have one element type.
"""
import ctypes
import re

import numpy as np

DTYPES = {"double": np.float64, "float": np.float32, "int32_t": np.int32,
          "int64_t": np.int64}
CTYPES = {"double": ctypes.c_double, "float": ctypes.c_float,
          "int32_t": ctypes.c_int32, "int64_t": ctypes.c_int64}


class Struct:
    """A parameter struct: its fields, in order, with their shapes."""

    def __init__(self, name, fields):
        self.name = name
        self.fields = fields              # [(field, ctype, shape)]
        self.dtype = DTYPES[fields[0][1]]
        assert all(DTYPES[t] == self.dtype for _, t, _ in fields)
        self.size = sum(int(np.prod(s)) for _, _, s in fields)

    def unflatten(self, flat):
        """The fields of a flat array, as a dict of reshaped views."""
        out, at = {}, 0
        for name, _, shape in self.fields:
            n = int(np.prod(shape))
            out[name] = flat[at:at + n].reshape(shape)
            at += n
        return out

    def flat(self, fields):
        return np.concatenate([np.asarray(fields[n], self.dtype).ravel()
                               for n, _, _ in self.fields])


def parse_header(path):
    text = open(path).read()
    structs = {}
    for m in re.finditer(r"typedef struct (\w+) \{\n(.*?)\} \1;", text, re.S):
        if m.group(1) == "nnc_param_info":
            continue
        fields = []
        for line in m.group(2).strip().splitlines():
            f = re.match(r"\s*(\w+) (\w+)(?:\[(.*)\])?;", line)
            shape = tuple(int(d) for d in f.group(3).split(" * ")) if f.group(3) else ()
            fields.append((f.group(2), f.group(1), shape))
        structs[m.group(1)] = Struct(m.group(1), fields)
    funcs = {}
    for m in re.finditer(r"^int32_t (\w+)\((.*)\);$", text, re.M):
        params = []
        for p in m.group(2).split(", "):
            p = p.strip()
            const = p.startswith("const ")
            ty, name = p[len("const "):].rsplit(" ", 1) if const else p.rsplit(" ", 1)
            ptr = name.startswith("*")
            params.append((ty, name.lstrip("*"), ptr, const))
        funcs[m.group(1)] = params
    return structs, funcs


class Function:
    def __init__(self, lib, name, params, structs):
        self.name = name
        self.structs = structs
        assert params[-1][:2] == ("void", "workspace"), name
        # Group each tensor pointer with the int64 sizes that follow it.
        self.inputs, self.outputs = [], []
        argtypes = []
        i = 0
        while i < len(params) - 1:
            ty, pname, ptr, const = params[i]
            i += 1
            if ptr and ty in structs:
                (self.inputs if const else self.outputs).append(("struct", ty, pname, 0))
            elif ptr and const:
                rank = 0
                while (i + rank < len(params) - 1
                       and params[i + rank][1] == "%s_d%d" % (pname, rank)):
                    rank += 1
                self.inputs.append(("tensor", ty, pname, rank))
                argtypes += [ctypes.c_int64] * rank
                i += rank
            elif ptr:
                self.outputs.append(("tensor", ty, pname, 0))
            else:
                self.inputs.append(("scalar", ty, pname, 0))
        self.fn = getattr(lib, name)
        self.fn.restype = ctypes.c_int32
        self.fn.argtypes = None           # pointers as c_void_p, sizes as c_int64

    def __call__(self, *args, shapes=(), dims=None, workspace=None):
        if len(args) != len(self.inputs):
            raise TypeError("%s takes %d inputs" % (self.name, len(self.inputs)))
        shapes = list(shapes)
        cargs, keep, by_name = [], [], {}
        for (kind, ty, pname, rank), a in zip(self.inputs, args):
            if kind == "scalar":
                cargs.append(CTYPES[ty](a))
                by_name[pname] = ()
                continue
            dtype = self.structs[ty].dtype if kind == "struct" else DTYPES[ty]
            arr = np.ascontiguousarray(a, dtype=dtype)
            keep.append(arr)
            by_name[pname] = arr.shape
            cargs.append(ctypes.c_void_p(arr.ctypes.data))
            if kind == "tensor":
                sizes = (dims or {}).get(pname, arr.shape)
                assert len(sizes) == rank, (self.name, pname, sizes, rank)
                cargs += [ctypes.c_int64(d) for d in sizes]
        outs = []
        for kind, ty, pname, _ in self.outputs:
            if kind == "struct":
                out = np.full(self.structs[ty].size, np.nan, self.structs[ty].dtype)
            else:
                if pname.startswith("d") and pname[1:] in by_name:
                    shape = by_name[pname[1:]]
                elif pname == "value":
                    shape = ()
                else:
                    shape = shapes.pop(0)
                out = np.full(shape, np.nan if ty in ("double", "float") else -7,
                              DTYPES[ty])
            outs.append(out)
            cargs.append(ctypes.c_void_p(out.ctypes.data))
        cargs.append(None if workspace is None
                     else ctypes.c_void_p(workspace.ctypes.data))
        status = self.fn(*cargs)
        return status, [o[()] if o.ndim == 0 else o for o in outs]


class Module:
    def __init__(self, lib_path, header):
        self.lib = ctypes.CDLL(lib_path)
        self.structs, funcs = parse_header(header)
        for name, params in funcs.items():
            setattr(self, name, Function(self.lib, name, params, self.structs))
        # int64_t f_workspace_size(int64_t dim, ...);
        for m in re.finditer(r"^int64_t (\w+_workspace_size)\(", open(header).read(), re.M):
            fn = getattr(self.lib, m.group(1))
            fn.restype = ctypes.c_int64
            setattr(self, m.group(1),
                    lambda *d, fn=fn: fn(*[ctypes.c_int64(x) for x in d]))
