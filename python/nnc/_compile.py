"""Runs nnc: a .nn file to a shared library and its signature file, kept in
a cache directory keyed by everything that changes the result."""
import hashlib
import os
import shutil
import subprocess
import tempfile

from ._errors import CompileError, Error

# Bumped when what the package asks nnc for changes, so that old cache
# entries are not reused.
_CACHE_FORMAT = 1


def find_nnc(explicit=None):
    """The nnc binary: `explicit`, else $NNC, else the one this package was
    built or installed with (_paths.py), else nnc on $PATH."""
    if explicit:
        return explicit
    if os.environ.get("NNC"):
        return os.environ["NNC"]
    try:
        from . import _paths
        here = os.path.dirname(os.path.abspath(__file__))
        candidate = os.path.normpath(os.path.join(here, _paths.NNC_RELATIVE))
        if os.path.exists(candidate):
            return candidate
    except ImportError:  # the source tree: no _paths.py
        pass
    found = shutil.which("nnc")
    if found:
        return found
    raise Error("cannot find the nnc compiler: set $NNC to its path, or "
                "pass nnc=... to nnc.load")


def cache_root(explicit=None):
    """$NNC_CACHE_DIR, else $XDG_CACHE_HOME/nnc, else ~/.cache/nnc."""
    if explicit:
        return explicit
    if os.environ.get("NNC_CACHE_DIR"):
        return os.environ["NNC_CACHE_DIR"]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(
        os.path.expanduser("~"), ".cache")
    return os.path.join(base, "nnc")


def option_flags(options):
    """nnc's command-line flags for the keyword options of nnc.load:
    opt_level=3 is -O3, a True flag is --flag, False or None leaves it out,
    anything else is --flag=value (underscores become dashes)."""
    flags = []
    for key in sorted(options):
        value = options[key]
        if key in ("opt_level", "O"):
            if value not in (0, 1, 2, 3):
                raise Error("opt_level must be 0, 1, 2 or 3, not %r" % (value,))
            flags.append("-O%d" % value)
            continue
        if key in ("target", "o", "header", "signature", "emit", "shared"):
            raise Error("nnc.load chooses --%s itself; it cannot be an "
                        "option" % key)
        name = "--" + key.replace("_", "-")
        if value is True:
            flags.append(name)
        elif value is False or value is None:
            continue
        else:
            flags.append("%s=%s" % (name, value))
    return flags


def _key(source, name, flags, nnc):
    h = hashlib.sha256()
    try:
        st = os.stat(nnc)
    except OSError as e:
        raise Error("cannot run nnc (%s): %s" % (nnc, e.strerror)) from None
    for part in (str(_CACHE_FORMAT), name, os.path.realpath(nnc),
                 str(st.st_size), str(st.st_mtime_ns), "\0".join(flags)):
        h.update(part.encode() + b"\0")
    h.update(source)
    return h.hexdigest()[:24]


def compile_module(source, name, path, flags, nnc, cache_dir):
    """Compiles `source` (bytes of the file `name`, read from `path` when
    it is a file) unless the cache has it; returns (library, signature)."""
    cache_dir = os.path.abspath(cache_dir)
    if os.sep in nnc:
        nnc = os.path.abspath(nnc)
    stem = os.path.splitext(os.path.basename(name))[0] or "module"
    stem = "".join(c if c.isalnum() or c == "_" else "_" for c in stem)
    entry = os.path.join(cache_dir, "%s-%s" % (stem, _key(source, name, flags,
                                                           nnc)))
    lib = os.path.join(entry, "lib%s.so" % stem)
    sig = os.path.join(entry, "%s.json" % stem)
    if os.path.exists(lib) and os.path.exists(sig):
        return lib, sig
    os.makedirs(cache_dir, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".build-", dir=cache_dir)
    try:
        cwd = None
        if path is None:
            # Run where the file is, so diagnostics name it as given.
            path, cwd = os.path.basename(name), tmp
            with open(os.path.join(tmp, path), "wb") as f:
                f.write(source)
        cmd = [nnc, path, "-shared", "-o", os.path.join(tmp, os.path.basename(lib)),
               "--signature", os.path.join(tmp, os.path.basename(sig))] + flags
        try:
            run = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        except OSError as e:
            raise Error("cannot run nnc (%s): %s" % (nnc, e)) from None
        if run.returncode != 0:
            raise CompileError("nnc could not compile %s" % name,
                               run.stderr)
        try:
            os.rename(tmp, entry)      # atomic: another process may race us
        except OSError:
            if not (os.path.exists(lib) and os.path.exists(sig)):
                # An entry that lost a file: replace it.
                shutil.rmtree(entry, ignore_errors=True)
                os.rename(tmp, entry)
    finally:
        if os.path.exists(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
    return lib, sig
