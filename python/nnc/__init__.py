"""nnc from Python: compile a .nn model and call it with NumPy arrays.

    import nnc
    m = nnc.load("model.nn")             # compiled once, then cached
    m.net.params["fc1.W"]                # a NumPy view of the parameter
    scores = m.net.forward(x)
    loss = m.net.train_step(x, y, lr=1e-3)

docs/python.md is the guide. The package binds the library nnc builds
from the signature file nnc writes next to it (docs/abi.md), not from the
C header.
"""
import os

from ._binding import Function, Instance, Method, Module
from ._compile import cache_root, compile_module, find_nnc, option_flags
from ._errors import (ArgumentError, CheckpointError, CompileError,
                      DTypeError, Error, LabelError, OutOfMemoryError,
                      ShapeError, SignatureError, StatusError, UsageError)
from ._safetensors import read as read_safetensors
from ._safetensors import save as save_safetensors

__all__ = ["load", "loads", "Module", "Instance", "Function", "Method",
           "Error", "CompileError", "SignatureError", "DTypeError",
           "UsageError", "StatusError", "ShapeError", "LabelError",
           "OutOfMemoryError", "ArgumentError", "CheckpointError",
           "read_safetensors", "save_safetensors", "find_nnc"]


def load(path, nnc=None, cache_dir=None, **options):
    """Compiles the .nn file at `path` to a shared library (or reuses the
    cached one for the same source, options and compiler) and binds it.

    Keyword options become nnc's flags: opt_level=3 is -O3, prefix="m_"
    --prefix=m_, fp_model="strict", threads=2, abi_checks=True, ...
    `nnc` is the compiler (default: $NNC, the one installed with this
    package, or nnc on $PATH); `cache_dir` where libraries are kept
    (default: $NNC_CACHE_DIR, else ~/.cache/nnc).
    """
    try:
        with open(path, "rb") as f:
            source = f.read()
    except OSError as e:
        raise Error("cannot read %s: %s" % (path, e.strerror)) from None
    return _build(source, path, path, nnc, cache_dir, options)


def loads(source, name="module.nn", nnc=None, cache_dir=None, **options):
    """load() for source text: `name` is the file name diagnostics show."""
    if isinstance(source, str):
        source = source.encode()
    return _build(source, name, None, nnc, cache_dir, options)


def _build(source, name, path, nnc, cache_dir, options):
    compiler = find_nnc(nnc)
    flags = option_flags(options)
    lib, sig = compile_module(source, name, path, flags, compiler,
                              cache_root(cache_dir))
    return Module(lib, sig, os.path.abspath(path) if path else name)
