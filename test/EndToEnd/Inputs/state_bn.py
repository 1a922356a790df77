"""batch_norm and dropout of test/EndToEnd/Inputs/state_bn.nn against
PyTorch: forward values and running statistics in training and evaluation
mode, gradients against torch.autograd, dropout's masks by seed. Prints
PASS, or the first mismatch; --corrupt perturbs nnc's values (must FAIL)."""
import ctypes, json, sys
import numpy as np
import torch

lib = ctypes.CDLL(sys.argv[1])
sig = json.load(open(sys.argv[2]))
corrupt = "--corrupt" in sys.argv
inst = sig["instances"][0]
fields = inst["fields"]
size = inst["size"]
buf = (ctypes.c_char * size)()
D = ctypes.POINTER(ctypes.c_double)
I64 = ctypes.c_int64


def view(name):
    f = next(f for f in fields if f["name"] == name)
    return np.frombuffer(buf, np.float64, f["bytes"] // 8, f["offset"]).reshape(
        f["shape"])


def ptr(a):
    return a.ctypes.data_as(D)


assert lib.net_init(I64(7), buf, None) == 0
rng = np.random.default_rng(5)
B, C, H, W, N, F = 4, 3, 2, 5, 6, 5
x = rng.standard_normal((B, C, H, W)) * 2 + 1
w = rng.standard_normal((B, C, H, W))
z = rng.standard_normal((N, F)) * 3 - 1
v = rng.standard_normal((N, F))
out = np.zeros(1)
worst = 0.0
ok = True


def check(what, got, want, tol=1e-12):
    global worst, ok
    got = np.asarray(got, np.float64) * (1.001 if corrupt else 1)
    want = np.asarray(want, np.float64)
    err = np.max(np.abs(got - want) / (1 + np.abs(want)))
    if not np.isfinite(err) or err > tol:
        if ok:
            print("FAIL: %s: error %g" % (what, err))
        ok = False
    worst = max(worst, err) if np.isfinite(err) else np.inf


lib.net_loss.restype = ctypes.c_int32
for training in (True, False):
    before = {k: view(k).copy() for k in
              ("bn.mean", "bn.var", "bn1.mean", "bn1.var")}
    bn = torch.nn.BatchNorm2d(C, dtype=torch.float64)
    bn1 = torch.nn.BatchNorm1d(F, momentum=0.3, eps=0.001, dtype=torch.float64)
    for m, p in ((bn, "bn."), (bn1, "bn1.")):
        m.weight.data = torch.tensor(view(p + "gamma").copy())
        m.bias.data = torch.tensor(view(p + "beta").copy())
        m.running_mean = torch.tensor(before[p + "mean"])
        m.running_var = torch.tensor(before[p + "var"])
        m.train(training)
    tx = torch.tensor(x, requires_grad=True)
    tz = torch.tensor(z, requires_grad=True)
    ref = (torch.tensor(w) * bn(tx)).sum() + (torch.tensor(v) * bn1(tz)).sum()
    ref.backward()
    st = lib.net_loss(buf, ptr(x), *[I64(d) for d in x.shape], ptr(w),
                      *[I64(d) for d in w.shape], ptr(z), I64(N), I64(F),
                      ptr(v), I64(N), I64(F), ctypes.c_bool(training),
                      I64(0), ptr(out), None)
    assert st == 0, st
    mode = "training" if training else "eval"
    check(mode + " loss", out[0], ref.item())
    for m, p in ((bn, "bn."), (bn1, "bn1.")):
        check(mode + " " + p + "mean", view(p + "mean"), m.running_mean)
        check(mode + " " + p + "var", view(p + "var"), m.running_var)
    # Gradients (the struct is read-only for dloss): params, then x and z.
    grads = (ctypes.c_char * inst["grads_size"])()
    dx, dz = np.zeros_like(x), np.zeros_like(z)
    st = lib.dloss(buf, ptr(x), *[I64(d) for d in x.shape], ptr(w),
                   *[I64(d) for d in w.shape], ptr(z), I64(N), I64(F), ptr(v),
                   I64(N), I64(F), ctypes.c_bool(training), I64(0), grads, ptr(dx),
                   ptr(dz), None)
    assert st == 0, st
    g = lambda name: np.frombuffer(grads, np.float64, F if "bn1" in name else C,
                                   next(f["offset"] for f in fields
                                        if f["name"] == name))
    check(mode + " dx", dx, tx.grad, 1e-10)
    check(mode + " dz", dz, tz.grad, 1e-10)
    check(mode + " dgamma", g("bn.gamma"), bn.weight.grad, 1e-10)
    check(mode + " dbeta1", g("bn1.beta"), bn1.bias.grad, 1e-10)

# dropout: identity in evaluation; in training zeros or x / (1 - p), the
# same mask for the same seed, another for another seed.
xd = rng.standard_normal((64, F)) + 3
def drop(training, seed):
    o = np.zeros_like(xd)
    assert lib.net_drop(buf, ptr(xd), I64(64), I64(F), ctypes.c_bool(training),
                        I64(seed), ptr(o), None) == 0
    return o
check("dropout eval", drop(False, 1), xd, 0)
a, b, c = drop(True, 1), drop(True, 1), drop(True, 2)
kept = a != 0
check("dropout scale", a[kept], xd[kept] / 0.75, 1e-15)
frac = kept.mean()
if not (np.array_equal(a, b) and not np.array_equal(a, c) and 0.6 < frac < 0.9):
    ok = False
    print("FAIL: dropout masks: same seed equal %s, other seed differs %s, kept %g"
          % (np.array_equal(a, b), not np.array_equal(a, c), frac))
print("kept %.3f" % frac)
print("worst relative error %.3g" % worst)
print("PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)
