"""The NumPy and PyTorch peers of bench/run, as one long-lived process.

bench/run starts this once (with /usr/bin/python3, one thread, and
OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE removed from its environment) and sends
it one command per line, so the seconds of `import torch` are paid once and
not in every round. Each command prints RESULT lines in the format of the
peers' harness (../shared/peers/py/harness.py), then a line "END".

  info                               INFO lines: versions, and the kernel of
                                     each OpenBLAS loaded (NumPy's, PyTorch's)
  W2 numpy|torch BLIST SAMPLES MIN_S the MLP train step of the peers' modules
                                     (bench_numpy.MLP, bench_torch.MLP with
                                     loss_eager): fwd, fwdbwd and step per B
  W3 numpy KIND:MxKxN,... SAMPLES MIN_S  np.matmul into a preallocated output,
                                     KIND nn (A @ B) or tn (X.T @ D)
  quit

usage: py_peers.py PEERS_DIR   (the folder holding py/harness.py)
"""
import os
import sys

PEERS = sys.argv[1]
sys.path.insert(0, os.path.join(PEERS, "py"))
# bench_torch reads its thread count from argv[1] when it is imported.
sys.argv = [sys.argv[0], "1"]

import numpy as np  # noqa: E402
import bench_numpy as bn  # noqa: E402
from harness import bench, report  # noqa: E402

_torch = None


def torch_peer():
    """bench_torch, imported on first use (it takes seconds)."""
    global _torch
    if _torch is None:
        import bench_torch
        bench_torch.torch.set_num_threads(
            int(os.environ.get("NNC_BENCH_THREADS", "1")))
        _torch = bench_torch
    return _torch


def openblas_cores():
    """The kernel of every OpenBLAS this process has loaded (NumPy's, and
    PyTorch's once imported), asked through ctypes: "path:corename"."""
    import ctypes
    paths = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            if "openblas" in os.path.basename(path) and ".so" in path:
                paths.add(path)
    cores = []
    for path in sorted(paths):
        try:
            get = ctypes.CDLL(path).openblas_get_corename
        except (OSError, AttributeError):
            continue
        get.restype = ctypes.c_char_p
        cores.append(f"{os.path.basename(path)}:{get().decode()}")
    return ",".join(cores) or "none"


def info():
    print(f"INFO numpy={np.__version__} openblas_cores={openblas_cores()}")
    if _torch is not None:
        t = _torch.torch
        print(f"INFO torch={t.__version__} torch_threads={t.get_num_threads()}")


def w2(peer, blist, samples, min_s):
    for B in blist:
        if peer == "numpy":
            m = bn.MLP(B)
            cases = (("fwd", m.forward), ("fwdbwd", m.forward_backward),
                     ("step", m.step))
            name = "numpy"
        else:
            bt = torch_peer()
            m = bt.MLP(B)
            for _ in range(5):  # warm-up, as the peers' own harness does
                m.step(bt.loss_eager)
            cases = (("fwd", lambda: m.fwd(bt.loss_eager)),
                     ("fwdbwd", lambda: m.fwdbwd(bt.loss_eager)),
                     ("step", lambda: m.step(bt.loss_eager)))
            name = "torch1t-eager"
        for variant, fn in cases:
            st = bench(fn, samples=samples, min_sample_s=min_s, setup=m.reset)
            report(name, "W2", variant, B, "us/step", 1e6, st, samples)
        loss = m.forward()[0] if peer == "numpy" else m.fwd(bt.loss_eager).item()
        if not np.isfinite(loss):
            raise SystemExit(f"{peer}: non-finite loss at B={B}")


def w3(shapes, samples, min_s):
    for shape in shapes:
        kind, dims = shape.split(":")
        M, K, N = (int(v) for v in dims.split("x"))
        rng = np.random.default_rng(1)
        A = rng.standard_normal((K, M) if kind == "tn" else (M, K), dtype=np.float32)
        Bm = rng.standard_normal((K, N), dtype=np.float32)
        Cm = np.empty((M, N), np.float32)
        lhs = A.T if kind == "tn" else A
        np.matmul(lhs, Bm, out=Cm)
        ref = lhs.astype(np.float64) @ Bm.astype(np.float64)
        if not np.allclose(Cm, ref, rtol=1e-3, atol=1e-3 * np.sqrt(K)):
            raise SystemExit(f"numpy: W3 check failed for {shape}")
        st = bench(lambda: np.matmul(lhs, Bm, out=Cm), samples=samples,
                   min_sample_s=min_s)
        med, mn, mx, k = st
        print(f"RESULT peer=numpy workload=W3 variant={kind} B={dims} "
              f"metric=ms/call med={med * 1e3:.5f} min={mn * 1e3:.5f} "
              f"max={mx * 1e3:.5f} gflops={2.0 * M * K * N / med * 1e-9:.2f} "
              f"n={samples} iters_per_sample={k}")


def main():
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "quit":
            break
        if words[0] == "info":
            info()
        elif words[0] == "W2":
            w2(words[1], [int(b) for b in words[2].split(",")], int(words[3]),
               float(words[4]))
        elif words[0] == "W3":
            w3(words[2].split(","), int(words[3]), float(words[4]))
        else:
            raise SystemExit(f"unknown command: {line.strip()}")
        print("END", flush=True)


if __name__ == "__main__":
    main()
