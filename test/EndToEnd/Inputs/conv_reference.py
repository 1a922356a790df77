"""NumPy references of conv2d, its gradients and the pools (PyTorch's
semantics: floor mode, avg_pool2d with count_include_pad=True), written
from the definitions with explicit windows. Each window size, stride and
padding is an integer (both axes) or a pair (rows, columns)."""
import numpy as np

def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)

def pad(x, p, value=0.0):
    ph, pw = pair(p)
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)),
                  constant_values=value)

def out_size(n, k, s, p):
    return (n + 2 * p - k) // s + 1

def conv2d(x, w, s, p):
    B, C, H, W = x.shape
    K, _, R, S = w.shape
    (sh, sw), (ph, pw) = pair(s), pair(p)
    P, Q = out_size(H, R, sh, ph), out_size(W, S, sw, pw)
    xp = pad(x, p)
    y = np.zeros((B, K, P, Q))
    for i in range(P):
        for j in range(Q):
            win = xp[:, :, i * sh:i * sh + R, j * sw:j * sw + S]
            y[:, :, i, j] = np.einsum("bcrs,kcrs->bk", win, w)
    return y

def conv2d_grads(x, w, dy, s, p):
    B, C, H, W = x.shape
    K, _, R, S = w.shape
    P, Q = dy.shape[2:]
    (sh, sw), (ph, pw) = pair(s), pair(p)
    xp = pad(x, p)
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    for i in range(P):
        for j in range(Q):
            win = xp[:, :, i * sh:i * sh + R, j * sw:j * sw + S]
            dw += np.einsum("bk,bcrs->kcrs", dy[:, :, i, j], win)
            dxp[:, :, i * sh:i * sh + R, j * sw:j * sw + S] += np.einsum(
                "bk,kcrs->bcrs", dy[:, :, i, j], w)
    return dxp[:, :, ph:ph + H, pw:pw + W], dw

def pool(x, k, s, p, kind, dy=None):
    B, C, H, W = x.shape
    (kh, kw), (sh, sw), (ph, pw) = pair(k), pair(s), pair(p)
    P, Q = out_size(H, kh, sh, ph), out_size(W, kw, sw, pw)
    xp = pad(x, p, -np.inf if kind == "max" else 0.0)
    y = np.zeros((B, C, P, Q))
    dxp = np.zeros_like(xp)
    for i in range(P):
        for j in range(Q):
            rows, cols = slice(i * sh, i * sh + kh), slice(j * sw, j * sw + kw)
            win = xp[:, :, rows, cols].reshape(B, C, -1)
            if kind == "max":
                a = np.argmax(win, axis=2)  # the first maximum
                y[:, :, i, j] = np.take_along_axis(win, a[..., None], 2)[..., 0]
                if dy is not None:
                    for b in range(B):
                        for c in range(C):
                            r, t = divmod(int(a[b, c]), kw)
                            dxp[b, c, i * sh + r, j * sw + t] += dy[b, c, i, j]
            else:
                y[:, :, i, j] = win.sum(axis=2) / (kh * kw)
                if dy is not None:
                    dxp[:, :, rows, cols] += (
                        dy[:, :, i, j] / (kh * kw))[:, :, None, None]
    return y, dxp[:, :, ph:ph + H, pw:pw + W]
