"""Layer state from Python (issue 12), for ../state.test: the state fields
in the parameter views, checkpoints and not in gradients; `training`
defaulting to False and `seed` to the instance's counter; forward values
against NumPy; five SGD steps equal, bit for bit, to Inputs/state_steps.c.
argv: the model, the C program's parameter file, a scratch directory."""
import os
import sys

import numpy as np

import nnc

m = nnc.load(sys.argv[1], cache_dir=os.path.join(sys.argv[3], "cache"))
net = m.net
p = net.params
print("fields:", ", ".join(p), "| state:", ", ".join(p.layer_state))
print(repr(net.forward))

B, D, C = 6, 3, 2
X = np.array([[((i * 7 + j * 3) % 11 - 5) / 4.0 + j for j in range(D)]
              for i in range(B)])
y = np.arange(B) % C
init = p.copy()


def rel_err(got, want):
    e = np.max(np.abs(got - want) / np.maximum(np.abs(want), 1e-300))
    return np.inf if np.isnan(e) else e   # NaN fails


def normalized(x, mean, var):
    return (x - mean) / np.sqrt(var + 0.001) * p["bn.gamma"] + p["bn.beta"]


# Evaluation by default: the running statistics, unchanged; dropout keeps
# everything.
out = net.forward(X)
want = normalized(X, p["bn.mean"], p["bn.var"]) @ p["W"]
print("eval: rel error <= 1e-12:", rel_err(out, want) <= 1e-12,
      "| state unchanged:", all(np.array_equal(p[k], init[k]) for k in p),
      "| seed:", net.seed)
# The checker fails on a wrong value.
print("checker fails on a wrong value:", not rel_err(out * (1 + 1e-9), want)
      <= 1e-12, "and on NaN:", not rel_err(out * np.nan, want) <= 1e-12)

# Training: the batch's statistics; the running ones move in place.
a = net.forward(X, training=True)
bm, bv = X.mean(axis=0), X.var(axis=0)
print("train: seed now", net.seed, "| running mean rel error <= 1e-12:",
      rel_err(p["bn.mean"], 0.8 * init["bn.mean"] + 0.2 * bm) <= 1e-12,
      "| running var:",
      rel_err(p["bn.var"], 0.8 * init["bn.var"] + 0.2 * bv * B / (B - 1))
      <= 1e-12)
# The same seed gives the same masks, another seed others.
print("train: seed 0 again:", np.array_equal(net.forward(X, True, 0), a),
      "| seed 1 differs:", not np.array_equal(net.forward(X, True, 1), a))
print("grads:", ", ".join(net.dloss(X, y)))

# Five SGD steps from the initial parameters, seeds 0..4 from the counter.
p.update(init)
net.seed = 0
for step in range(5):
    print("step %d: loss %.17g" % (step, net.sgd_step(X, y, lr=0.1)))
c_bytes = open(sys.argv[2], "rb").read()
print("struct equals C's:", p.buffer.tobytes() == c_bytes, "| seed:", net.seed)

# Checkpoints hold the state.
path = os.path.join(sys.argv[3], "state.safetensors")
net.save(path)
print("file:", ", ".join(sorted(nnc.read_safetensors(path))))
saved = p.copy()
p["bn.mean"] = [7.0, 7.0, 7.0]
net.load(path)
print("loaded back:", np.array_equal(p["bn.mean"], saved["bn.mean"]))
