"""NumPy references of conv2d, its gradients and the pools (PyTorch's
semantics), written from the definitions with explicit windows."""
import numpy as np

def pad(x, p, value=0.0):
    return np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=value)

def out_size(n, k, s, p):
    return (n + 2 * p - k) // s + 1

def conv2d(x, w, s, p):
    B, C, H, W = x.shape
    K, _, R, S = w.shape
    P, Q = out_size(H, R, s, p), out_size(W, S, s, p)
    xp = pad(x, p)
    y = np.zeros((B, K, P, Q))
    for i in range(P):
        for j in range(Q):
            win = xp[:, :, i * s:i * s + R, j * s:j * s + S]
            y[:, :, i, j] = np.einsum("bcrs,kcrs->bk", win, w)
    return y

def conv2d_grads(x, w, dy, s, p):
    B, C, H, W = x.shape
    K, _, R, S = w.shape
    P, Q = dy.shape[2:]
    xp = pad(x, p)
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    for i in range(P):
        for j in range(Q):
            win = xp[:, :, i * s:i * s + R, j * s:j * s + S]
            dw += np.einsum("bk,bcrs->kcrs", dy[:, :, i, j], win)
            dxp[:, :, i * s:i * s + R, j * s:j * s + S] += np.einsum(
                "bk,kcrs->bcrs", dy[:, :, i, j], w)
    return dxp[:, :, p:p + H, p:p + W], dw

def pool(x, k, s, p, kind, dy=None):
    B, C, H, W = x.shape
    P, Q = out_size(H, k, s, p), out_size(W, k, s, p)
    xp = pad(x, p, -np.inf if kind == "max" else 0.0)
    y = np.zeros((B, C, P, Q))
    dxp = np.zeros_like(xp)
    for i in range(P):
        for j in range(Q):
            win = xp[:, :, i * s:i * s + k, j * s:j * s + k].reshape(B, C, -1)
            if kind == "max":
                a = np.argmax(win, axis=2)  # the first maximum
                y[:, :, i, j] = np.take_along_axis(win, a[..., None], 2)[..., 0]
                if dy is not None:
                    for b in range(B):
                        for c in range(C):
                            r, t = divmod(int(a[b, c]), k)
                            dxp[b, c, i * s + r, j * s + t] += dy[b, c, i, j]
            else:
                y[:, :, i, j] = win.sum(axis=2) / (k * k)
                if dy is not None:
                    dxp[:, :, i * s:i * s + k, j * s:j * s + k] += (
                        dy[:, :, i, j] / (k * k))[:, :, None, None]
    return y, dxp[:, :, p:p + H, p:p + W]
