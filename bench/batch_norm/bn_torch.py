# BatchNorm2d forward and forward + backward in PyTorch, one thread, for
# bench/batch_norm/run.sh: the median of 30 calls of each.
import time, torch
torch.set_num_threads(1)
B, C, H, W = 64, 32, 28, 28
x = (torch.arange(B*C*H*W, dtype=torch.float32) * 7919 % 1000 / 500 - 1).reshape(B, C, H, W).requires_grad_()
w = (torch.arange(B*C*H*W, dtype=torch.float32) * 104729 % 1000 / 1000).reshape(B, C, H, W)
bn = torch.nn.BatchNorm2d(C); bn.train()
tf, tg = [], []
for r in range(30):
    t0 = time.perf_counter()
    with torch.no_grad():
        y = bn(x)
    t1 = time.perf_counter()
    x.grad = None; bn.zero_grad()
    (bn(x) * w).sum().backward()
    t2 = time.perf_counter()
    tf.append(t1 - t0); tg.append(t2 - t1)
tf.sort(); tg.sort()
print("torch: forward %.2f ms, forward+backward %.2f ms" % (tf[15] * 1e3, tg[15] * 1e3))
