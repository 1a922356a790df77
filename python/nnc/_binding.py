"""Binds a shared library nnc compiled, from its signature file
(docs/abi.md, "The signature file"): every exported function, and every
instance with its parameters, methods and train steps."""
import ctypes
import json
import operator
import threading

import numpy as np

from ._errors import (DTypeError, ShapeError, SignatureError, UsageError,
                      raise_for_status)
from ._tensors import DTYPES, Layout, Tensors
from . import _safetensors

CTYPES = {"f32": ctypes.c_float, "f64": ctypes.c_double,
          "i32": ctypes.c_int32, "i64": ctypes.c_int64, "bool": ctypes.c_bool}
SUPPORTED_ABI = 1

# torch.optim's defaults for the hyper-parameters after lr, which has none.
HYPER_DEFAULTS = {
    "sgd": {"weight_decay": 0.0},
    "momentum": {"momentum": 0.9, "weight_decay": 0.0},
    "adam": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0},
    "adamw": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8,
              "weight_decay": 0.01},
}


def parse_dim(d):
    """A dimension of the signature file as (factor, [variables])."""
    if isinstance(d, int):
        return d, []
    factor, names = 1, []
    for part in d.split("*"):
        part = part.strip()
        if part.isdigit():
            factor *= int(part)
        else:
            names.append(part)
    return factor, names


def dim_text(shape):
    return "(" + ", ".join(str(d) for d in shape) + ")"


def evaluate(d, dims):
    factor, names = parse_dim(d)
    for n in names:
        factor *= dims[n]
    return factor


def _scalar(fn, a, value):
    """A Python value for a scalar argument, checked against its dtype."""
    dtype = a["dtype"]
    try:
        if dtype in ("f32", "f64"):
            if isinstance(value, (bool, np.bool_)) or not isinstance(
                    value, (int, float, np.integer, np.floating)):
                raise TypeError
            return CTYPES[dtype](float(value))
        if dtype == "bool":
            if not isinstance(value, (bool, np.bool_)):
                raise TypeError
            return ctypes.c_bool(bool(value))
        v = operator.index(value)
    except TypeError:
        raise DTypeError("%s: %s is %s; %r was given"
                         % (fn, a["name"], dtype, value)) from None
    info = np.iinfo(DTYPES[dtype])
    if not info.min <= v <= info.max:
        raise DTypeError("%s: %s is %s; %d does not fit"
                         % (fn, a["name"], dtype, v))
    return CTYPES[dtype](v)


def _array(fn, a, value):
    """A contiguous array of the argument's dtype and rank."""
    want = DTYPES[a["dtype"]]
    arr = np.asarray(value)
    if arr.dtype == object or not np.can_cast(arr.dtype, want, "same_kind"):
        raise DTypeError("%s: %s is %s[%s]; an array of %s was given"
                         % (fn, a["name"], a["dtype"],
                            ", ".join(map(str, a["shape"])), arr.dtype))
    if (want.kind in "iu" and arr.dtype.kind in "iu" and arr.size
            and arr.dtype.itemsize > want.itemsize):
        info = np.iinfo(want)
        if arr.min() < info.min or arr.max() > info.max:
            raise DTypeError("%s: %s is %s; its values do not fit"
                             % (fn, a["name"], a["dtype"]))
    if arr.ndim != len(a["shape"]):
        raise ShapeError(fn, "%s must have %d axes %s; one of shape %s was "
                         "given" % (a["name"], len(a["shape"]),
                                    dim_text(a["shape"]), arr.shape))
    return np.ascontiguousarray(arr, dtype=want)


def bind_dims(fn, tensors):
    """The dimension variables from the arrays given, as the entry point
    binds them (docs/abi.md): each from its first axis that is just the
    variable, else by division; then every axis is checked."""
    dims = {}
    for a, arr in tensors:
        for d, size in zip(a["shape"], arr.shape):
            factor, names = parse_dim(d)
            if factor == 1 and len(names) == 1:
                dims.setdefault(names[0], size)
    for a, arr in tensors:
        for d, size in zip(a["shape"], arr.shape):
            factor, names = parse_dim(d)
            if len(names) == 1 and names[0] not in dims and factor:
                dims[names[0]] = size // factor
    for a, arr in tensors:
        for axis, (d, size) in enumerate(zip(a["shape"], arr.shape)):
            if evaluate(d, dims) != size:
                bound = ", ".join("%s = %d" % kv for kv in dims.items())
                raise ShapeError(fn, "%s has shape %s, but the function takes "
                                 "%s: axis %d must be %s%s, not %d"
                                 % (a["name"], arr.shape, dim_text(a["shape"]),
                                    axis, d, " (%s)" % bound if bound else "",
                                    size))
    return dims


class Function:
    """One exported function. Called on its own for a free function, or
    through its instance (`m.net.forward(x)`), which supplies the structs."""

    def __init__(self, module, desc):
        self.module = module
        self.desc = desc
        self.name = desc["name"]
        self.args = desc["args"]
        self.instance = desc.get("instance")
        self.method = desc.get("method")
        # What messages call it: `net.forward` for a method.
        self.label = ("%s.%s" % (self.instance, self.method) if self.instance
                      else self.name)
        self.train_step = desc.get("train_step")
        self.status_abi = desc["abi"] == "status"
        self.inputs = [a for a in self.args if a["kind"] in ("scalar",
                                                             "tensor")]
        self.hyper = set(self.train_step["hyper_parameters"]
                         if self.train_step else ())
        self.defaults = {}
        if self.train_step:
            self.defaults = dict(HYPER_DEFAULTS.get(
                self.train_step["optimizer"], {}))
        lib = module._lib
        try:
            self._fn = getattr(lib, desc["symbol"])
        except AttributeError:
            raise SignatureError("%s: the library has no symbol %s"
                                 % (module.path, desc["symbol"])) from None
        argtypes = []
        for a in self.args:
            if a["kind"] == "scalar":
                argtypes.append(CTYPES[a["dtype"]])
            elif a["kind"] in ("size", "workspace_size"):
                argtypes.append(ctypes.c_int64)
            elif a["kind"] == "result" and not self.status_abi:
                argtypes.append(ctypes.POINTER(CTYPES[a["dtype"]]))
            else:
                argtypes.append(ctypes.c_void_p)
        self._fn.argtypes = argtypes
        if self.status_abi:
            self._fn.restype = ctypes.c_int32
            self._ws = getattr(lib, desc["workspace_size"])
            self._ws.argtypes = [ctypes.c_int64] * len(desc["dim_vars"])
            self._ws.restype = ctypes.c_int64
        else:
            self._fn.restype = (CTYPES[desc["returns"]] if "returns" in desc
                                else None)
        self.__doc__ = self.signature()

    def signature(self):
        """`forward(x: f32[B, 2]) -> f32[B, 3]`, as Python calls it."""
        def ty(a):
            shape = a.get("shape", [])
            return a["dtype"] + ("[%s]" % ", ".join(map(str, shape))
                                 if shape else "")
        ins = ", ".join("%s: %s" % (a["name"], ty(a)) for a in self.inputs)
        outs = []
        for a in self.args:
            if a["kind"] == "result":
                outs.append(ty(a))
            elif a["kind"] == "grads":
                outs.append("grads of " + a["instance"])
        if "returns" in self.desc:
            outs.append(self.desc["returns"])
        name = self.method if self.instance else self.name
        if not outs:
            return "%s(%s)" % (name, ins)
        res = outs[0] if len(outs) == 1 else "(%s)" % ", ".join(outs)
        return "%s(%s) -> %s" % (name, ins, res)

    def __repr__(self):
        return "<nnc function %s>" % self.signature()

    def _bind_args(self, args, kwargs):
        names = [a["name"] for a in self.inputs]
        values = dict(zip(names, args))
        if len(args) > len(names):
            raise UsageError("%s takes %d arguments (%s); %d were given"
                             % (self.label, len(names), ", ".join(names),
                                len(args)))
        for k, v in kwargs.items():
            if k not in names:
                raise UsageError("%s has no argument %r; it takes %s"
                                 % (self.label, k, ", ".join(names)))
            if k in values:
                raise UsageError("%s: %s given twice" % (self.label, k))
            values[k] = v
        for n in names:
            if n not in values and n in self.defaults:
                values[n] = self.defaults[n]
        missing = [n for n in names if n not in values]
        if missing:
            raise UsageError("%s: missing %s" % (self.label, ", ".join(missing)))
        return values

    def _mode_defaults(self, inst, args, kwargs):
        """The mode of a method of a layer that reads `training` (issue 12):
        its `training` argument defaults to False (evaluation), and its
        `seed`, in training mode (a train step's too), to the instance's
        `seed`, which then advances."""
        names = [a["name"] for a in self.inputs]
        given = set(names[:len(args)]) | set(kwargs)
        kwargs = dict(kwargs)
        mode = {a["name"]: a["dtype"] for a in self.inputs
                if (a["name"], a["dtype"]) in (("training", "bool"),
                                               ("seed", "i64"))}
        if "training" in mode and "training" not in given:
            kwargs["training"] = False
        if "seed" in mode and "seed" not in given:
            training = (kwargs["training"] if "training" in kwargs
                        else args[names.index("training")]
                        if "training" in mode and
                        names.index("training") < len(args) else
                        "training" not in mode)
            kwargs["seed"] = inst.seed
            if training:
                inst.seed += 1
        return kwargs

    def __call__(self, *args, **kwargs):
        inst = self.module.instances.get(self.instance) if self.instance else None
        return self.call(inst, args, kwargs)

    def call(self, inst, args, kwargs):
        if inst is not None and self.instance:
            kwargs = self._mode_defaults(inst, args, kwargs)
        values = self._bind_args(args, kwargs)
        if not self.status_abi:
            return self._call_scalar(values)
        tensors, arrays = [], {}
        for i, a in enumerate(self.args):
            if a["kind"] == "tensor":
                arr = _array(self.label, a, values[a["name"]])
                arrays[i] = arr
                tensors.append((a, arr))
        dims = bind_dims(self.label, tensors)
        cargs, outs = [], []
        ws_size = self._ws(*[dims[v] for v in self.desc["dim_vars"]])
        if ws_size < 0:
            raise ShapeError(self.label, "the sizes overflow int64 (%s)"
                             % ", ".join("%s = %d" % kv for kv in dims.items()))
        workspace = self.module._workspace(ws_size)
        for i, a in enumerate(self.args):
            k = a["kind"]
            if k == "scalar":
                cargs.append(_scalar(self.label, a, values[a["name"]]))
            elif k == "tensor":
                cargs.append(arrays[i].ctypes.data)
            elif k == "size":
                cargs.append(arrays[a["tensor_arg"]].shape[a["axis"]])
            elif k == "params":
                cargs.append(inst.params.address)
            elif k == "state":
                cargs.append(inst.state(a["state"]).address)
            elif k == "result":
                out = np.empty([evaluate(d, dims) for d in a["shape"]],
                               DTYPES[a["dtype"]])
                outs.append(out)
                cargs.append(out.ctypes.data)
            elif k == "grads":
                g = inst.grads_layout.new("grads of " + inst.name)
                outs.append(g)
                cargs.append(g.address)
            elif k == "params_out":
                cargs.append(inst.params.address)   # init: the instance's own
            elif k == "workspace":
                cargs.append(workspace.ctypes.data if workspace is not None
                             else None)
            elif k == "workspace_size":
                cargs.append(0 if workspace is None else workspace.size)
            else:
                raise SignatureError("%s: unknown argument kind %r"
                                     % (self.label, k))
        raise_for_status(self.label, self._fn(*cargs))
        outs = [o[()] if isinstance(o, np.ndarray) and o.ndim == 0 else o
                for o in outs]
        if not outs:
            return None
        return outs[0] if len(outs) == 1 else tuple(outs)

    def _call_scalar(self, values):
        cargs, outs = [], []
        for a in self.args:
            if a["kind"] == "scalar":
                cargs.append(_scalar(self.label, a, values[a["name"]]))
            else:
                out = CTYPES[a["dtype"]]()
                outs.append((a, out))
                cargs.append(ctypes.byref(out))
        ret = self._fn(*cargs)
        if "returns" in self.desc:
            return DTYPES[self.desc["returns"]].type(ret)
        res = tuple(DTYPES[a["dtype"]].type(o.value) for a, o in outs)
        return res[0] if len(res) == 1 else res


class Method:
    """A function bound to its instance: `m.net.forward`."""

    def __init__(self, fn, inst):
        self.function, self.instance = fn, inst
        self.__doc__ = fn.__doc__

    def __call__(self, *args, **kwargs):
        return self.function.call(self.instance, args, kwargs)

    def __repr__(self):
        return "<nnc method %s.%s>" % (self.instance.name,
                                       self.function.signature())


class Instance:
    """A layer instance (`let net = ...`): its parameters as NumPy views
    (`params`), its methods, its train steps with their optimizer state."""

    def __init__(self, module, desc):
        self.module = module
        self.name = desc["name"]
        self.desc = desc
        self.layout = Layout(desc)
        self.grads_layout = Layout(desc, grads=True)
        self.params = self.layout.new("params of " + self.name)
        # The dropout seed of the next call in training mode that is given
        # none (issue 12): each such call takes it and advances it.
        self.seed = 0
        self._states = {}
        self.methods = {}

    def _add(self, fn):
        self.methods[fn.method] = Method(fn, self)

    def state(self, name):
        """The optimizer state `name` (`net.adam`), zeroed at first use."""
        if name not in self._states:
            desc = self.module._state_descs[name]
            self._states[name] = Layout(desc).new("state " + name)
        return self._states[name]

    @property
    def train_steps(self):
        return {m: f for m, f in self.methods.items()
                if f.function.train_step}

    def train_step(self, *args, optimizer=None, **kwargs):
        """One step of the instance's train step (of `optimizer` when the
        module declares several): updates `params` and the optimizer's
        state in place and returns the loss before the update."""
        steps = self.train_steps
        if optimizer is not None:
            steps = {m: f for m, f in steps.items()
                     if f.function.train_step["optimizer"] == optimizer}
        if len(steps) != 1:
            raise UsageError(
                "%s has %s train step%s%s; name one: %s" % (
                    self.name, len(steps) or "no", "" if len(steps) == 1
                    else "s", " for %s" % optimizer if optimizer else "",
                    ", ".join("%s.%s" % (self.name, m)
                              for m in self.train_steps) or "(none)"))
        return next(iter(steps.values()))(*args, **kwargs)

    def reset_state(self):
        """Zeroes every optimizer state (t = 0, as a new optimizer)."""
        for s in self._states.values():
            s.zero()

    def save(self, path):
        """Writes the parameters to a safetensors file, named by layer path."""
        _safetensors.save(path, self.params)

    def load(self, path, strict=True):
        """Reads the parameters from a safetensors file: each must be there
        with its dtype and shape; with strict, no other tensor may be."""
        _safetensors.load_into(path, self.params, strict)

    def __getattr__(self, name):
        methods = self.__dict__.get("methods", {})
        if name in methods:
            return methods[name]
        raise AttributeError("instance %s has no method %r; it has %s"
                             % (self.__dict__.get("name"), name,
                                ", ".join(methods) or "none"))

    def __dir__(self):
        return list(super().__dir__()) + list(self.methods)

    def __repr__(self):
        return "<nnc instance %s: %s>" % (self.name, ", ".join(self.methods))


class Module:
    """A compiled .nn module: `m.f(...)` for every exported function,
    `m.net` for every instance."""

    def __init__(self, library, signature, path=None):
        self.path = path or library
        self.library = library
        self.signature_path = signature
        with open(signature) as f:
            self.signature = json.load(f)
        sig = self.signature
        if sig.get("nnc_abi") != SUPPORTED_ABI:
            raise SignatureError("%s: signature format %r; this package "
                                 "binds %d" % (signature, sig.get("nnc_abi"),
                                               SUPPORTED_ABI))
        self._lib = ctypes.CDLL(library)
        self._local = threading.local()
        self._state_descs = {s["name"]: s for s in sig["optimizer_states"]}
        self.instances = {d["name"]: Instance(self, d)
                          for d in sig["instances"]}
        self.functions = {}
        for desc in sig["functions"]:
            fn = Function(self, desc)
            self.functions[fn.name] = fn
            if fn.instance in self.instances:
                self.instances[fn.instance]._add(fn)
        for inst in self.instances.values():
            if "init" in inst.methods:
                inst.methods["init"](0)

    def _workspace(self, size):
        """A workspace of at least `size` bytes, one per thread (a call's
        workspace may not serve a concurrent call)."""
        if size == 0:
            return None
        ws = getattr(self._local, "ws", None)
        if ws is None or ws.size < size:
            ws = self._local.ws = np.empty(max(size, 4096), np.uint8)
        return ws

    def __getattr__(self, name):
        d = self.__dict__
        if name in d.get("instances", {}):
            return d["instances"][name]
        if name in d.get("functions", {}):
            return d["functions"][name]
        raise AttributeError("module %s has no function or instance %r"
                             % (d.get("path"), name))

    def __dir__(self):
        return (list(super().__dir__()) + list(self.functions)
                + list(self.instances))

    def __repr__(self):
        return "<nnc module %s: %s>" % (self.path, ", ".join(
            list(self.instances) + list(self.functions)))
