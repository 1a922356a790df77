"""dropout(x, p) through the ABI, for ../dropout-eval.test: evaluation is
the identity, bit for bit; a call in evaluation mode leaves the instance's
seed where it was, so a train step after it draws the masks it would have
drawn without it; training draws the mask of docs/abi.md's formula.
argv: the model, a scratch directory; "wrong" as argv[3] checks against a
wrong formula (p = 0.3) to show the checkers fail."""
import os
import sys

import numpy as np

import nnc

m = nnc.load(sys.argv[1], cache_dir=os.path.join(sys.argv[2], "cache"))
net = m.net
wrong = len(sys.argv) > 3
B, N = 64, 5
rng = np.random.default_rng(1)
X = rng.standard_normal((B, N)).astype(np.float32)
X[0, :3] = [np.nan, np.inf, -0.0]
y = np.arange(B) % N

M64 = (1 << 64) - 1
G = 0x9E3779B97F4A7C15


def mix(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def mask(seed, stream, n, p):
    """docs/abi.md, "Random numbers": rand's f32 element c of (seed,
    stream), kept when >= p and scaled by 1 / (1 - p)."""
    key = mix((seed + (stream + 1) * G) & M64)
    u = np.array([(mix((key + (c + 1) * G) & M64) >> 40) * 2.0**-24
                  for c in range(n)], dtype=np.float32)
    keep = u >= np.float32(p)
    return np.where(keep, np.float32(1 / (1 - p)), np.float32(0))


def same_bits(a, b):
    return a.tobytes() == b.tobytes()


# Evaluation: the input itself, NaN, inf and -0 included; no seed used.
np.seterr(invalid="ignore")
for _ in range(5):
    out = net.forward(X)
want = X * np.float32(1.001) if wrong else X
print("eval: bits equal the input:", same_bits(out, want), "| seed:", net.seed)
# Training: the mask of seed 0, stream 2^20 (the first dropout call).
t = net.forward(X, training=True)
p = 0.3 if wrong else 0.25
print("train: mask of the formula:",
      same_bits(t, X * mask(0, 1 << 20, B * N, p).reshape(B, N)),
      "| seed now:", net.seed)

# Five train steps, with and without evaluation calls between them: the
# same parameters, bit for bit.
init = net.params.copy()


def run(evals):
    net.params.update(init)
    net.seed = 0
    for _ in range(5):
        for _ in range(evals):
            net.forward(X)
        net.sgd_step(X, y, lr=0.5)
    return net.params["w"].copy(), net.seed


w0, s0 = run(0)
w3, s3 = run(3)
print("steps after evaluation calls: same parameters:", same_bits(w0, w3),
      "| seeds:", s0, s3, "| trained:", not np.array_equal(w0, init["w"]))
