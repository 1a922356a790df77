"""nnc.load compiles once per source, options and compiler, into the cache
directory, and reuses the library after that."""
import os
import shutil
import sys

import nnc

tmp = sys.argv[1]
cache = os.path.join(tmp, "cache")
src = os.path.join(tmp, "m.nn")
open(src, "w").write("fn f(x) = 2 * x;\n")


def entries():
    return sorted(e for e in os.listdir(cache) if not e.startswith("."))


a = nnc.load(src, cache_dir=cache)
b = nnc.load(src, cache_dir=cache)
print("f(3) = %g; reused: %s; entries: %d" % (a.f(3), a.library == b.library,
                                             len(entries())))
c = nnc.load(src, cache_dir=cache, opt_level=0, fp_model="strict")
print("other options, other entry: %s; entries: %d"
      % (c.library != a.library, len(entries())))
open(src, "w").write("fn f(x) = 3 * x;\n")
d = nnc.load(src, cache_dir=cache)
print("edited: f(3) = %g; entries: %d" % (d.f(3), len(entries())))
print("names: %s" % ", ".join(e.split("-")[0] for e in entries()))

# A library whose cache entry lost a file is compiled again.
os.remove(d.signature_path)
e = nnc.load(src, cache_dir=cache)
print("rebuilt: f(3) = %g" % e.f(3))

# Options nnc does not know are its error; the ones load chooses are
# refused.
for opts in ({"no_such_flag": 1}, {"target": "aarch64-linux-gnu"}):
    try:
        nnc.load(src, cache_dir=cache, **opts)
    except nnc.Error as err:
        print("%s: %s" % (type(err).__name__, str(err).splitlines()[-1]))

# The compiler: $NNC when set.
os.environ["NNC"] = os.path.join(tmp, "no-nnc")
try:
    nnc.load(src, cache_dir=os.path.join(tmp, "cache2"))
except nnc.Error as err:
    print("Error: %s" % str(err).replace(tmp + "/", ""))
