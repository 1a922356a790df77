"""Train steps, parameter views and checkpoints through the package, on
examples/spiral_step.nn; compared with the C program Inputs/steps.c.

Usage: train.py SPIRAL_STEP.nn C_PARAMS.bin C_STATE.bin TMPDIR
"""
import os
import sys

import numpy as np

import nnc

nn_file, c_params, c_state, tmp = sys.argv[1:5]
m = nnc.load(nn_file)
net = m.net

# The data of Inputs/steps.c, exactly.
i = np.arange(12)[:, None]
j = np.arange(2)[None, :]
X = (((i * 7 + j * 3) % 11 - 5) / np.float32(4.0)).astype(np.float32)
y = (np.arange(12) % 3).astype(np.int32)

# Five Adam steps from net_init(1), the defaults of torch.optim.Adam: the
# same losses and, bit for bit, the same parameters and state as C's.
net.init(1)
for step in range(5):
    loss = net.adam_step(X, y, lr=0.01)
    print("step %d: loss %.9g" % (step, loss))
same_params = net.params.buffer.tobytes() == open(c_params, "rb").read()
same_state = net.state("net.adam").buffer.tobytes() == open(c_state, "rb").read()
print("params equal C's: %s, state equal C's: %s" % (same_params, same_state))
print("steps taken: %d" % net.state("net.adam")["t"])

# The state belongs to the instance: reset_state starts Adam again.
net.reset_state()
print("after reset_state: t = %d" % net.state("net.adam")["t"])

# SGD lowers the loss (train_step(optimizer=...) picks the step).
net.init(1)
losses = [net.train_step(X, y, optimizer="sgd", lr=0.5) for _ in range(60)]
print("sgd: loss %.3f -> %.3f, decreasing: %s"
      % (losses[0], losses[-1], losses[-1] < 0.8 * losses[0]))
if not (np.all(np.isfinite(losses)) and losses[-1] < 0.8 * losses[0]):
    sys.exit("FAIL: SGD did not lower the loss")

# params are views of the struct the calls read: writing one changes the
# next call, and a computed gradient is zero when nothing flows.
p = net.params
before = net.forward(X)
p["fc2.b"] = p["fc2.b"] + np.float32(1.0)   # copied in
assert np.allclose(net.forward(X), before + 1, atol=1e-5)
p["fc2.b"][...] -= 1                         # written through the view
assert np.allclose(net.forward(X), before, atol=1e-5)
print("views: %s" % ", ".join("%s %s%s" % (k, v.dtype, list(v.shape))
                              for k, v in p.items()))
try:
    p["fc1.W"] = np.zeros((3, 100))
except nnc.ShapeError as e:
    print("ShapeError: %s" % e)

# A checkpoint by layer path: saved, overwritten, loaded back.
path = os.path.join(tmp, "net.safetensors")
saved = p.copy()
net.save(path)
for v in p.values():
    v[...] = 0
assert not net.forward(X).any()
net.load(path)
print("loaded back: %s" % all(np.array_equal(p[k], saved[k]) for k in saved))
print("file tensors: %s" % ", ".join(sorted(nnc.read_safetensors(path))))

# Malformed or mismatched files: a CheckpointError naming file and problem.
def bad(name, data=None, tensors=None):
    f = os.path.join(tmp, name)
    if tensors is not None:
        nnc.save_safetensors(f, tensors)
    else:
        open(f, "wb").write(data)
    try:
        net.load(f)
    except nnc.CheckpointError as e:
        print("CheckpointError: %s" % str(e).replace(tmp + "/", ""))
        return
    sys.exit("FAIL: %s loaded" % name)

blob = open(path, "rb").read()
bad("truncated.safetensors", blob[:len(blob) - 5])
bad("header.safetensors", (10**6).to_bytes(8, "little") + blob[8:])
bad("json.safetensors", (5).to_bytes(8, "little") + b"{bad}")
bad("shape.safetensors", tensors=dict(saved, **{"fc1.W": np.zeros((3, 100), np.float32)}))
bad("dtype.safetensors", tensors=dict(saved, **{"fc1.b": np.zeros(100)}))
bad("missing.safetensors", tensors={k: v for k, v in saved.items() if k != "fc2.b"})
bad("extra.safetensors", tensors=dict(saved, extra=np.zeros(2, np.float32)))
