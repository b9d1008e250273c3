"""PyTorch reference for `npm run bench -- snn`: one training step of the AutoSNN network
(C = 16, T = 8, batch 96, 3×32×32 random input, 10 classes) written op by op in eager PyTorch,
the way SpikingJelly's multi-step PLIF runs it (a Python loop over T, arctan surrogate as an
autograd.Function). Same architecture and recipe as src/ir/compile.ts + src/snn: direct
encoding (stem conv+BN once), PLIF (w = 0, v_th = 1, hard reset to 0), boost readout, MSE on
rates, Adam 1e-3. Prints one JSON object.

    python3 bench/reference_snn.py THREADS REPEATS
"""
import json
import math
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

T = 8
C = 16
BATCH = 96
CLASSES = 10
GROUP = 10


class ArctanSpike(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, alpha):
        ctx.save_for_backward(x)
        ctx.alpha = alpha
        return (x >= 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        a = ctx.alpha
        return grad * a / (2 * (1 + (math.pi / 2 * a * x) ** 2)), None


class PLIF(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.tensor(0.0))

    def forward(self, x_seq):  # [T, N, ...]
        k = self.w.sigmoid()
        v = torch.zeros_like(x_seq[0])
        out = []
        for t in range(x_seq.shape[0]):
            h = v + (x_seq[t] - v) * k
            s = ArctanSpike.apply(h - 1.0, 2.0)
            sd = s.detach()
            v = h * (1 - sd)
            out.append(s)
        return torch.stack(out)


def fold(x):
    return x.flatten(0, 1)


def unfold(x):
    return x.view(T, -1, *x.shape[1:])


class ConvBN(nn.Module):
    def __init__(self, cin, cout, k, stride=1):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, k // 2, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        return self.bn(self.conv(x))


class SRB(nn.Module):
    def __init__(self, cin, cout, k):
        super().__init__()
        self.a = ConvBN(cin, cout, k)
        self.na = PLIF()
        self.b = ConvBN(cout, cout, k)
        self.short = None if cin == cout else ConvBN(cin, cout, 1)
        self.nb = PLIF()

    def forward(self, x):  # folded [T·N, ...]
        y = fold(self.na(unfold(self.a(x))))
        y = self.b(y) + (x if self.short is None else self.short(x))
        return fold(self.nb(unfold(y)))


class AutoSNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = ConvBN(3, C, 3)
        self.stem_n = PLIF()
        self.op0 = SRB(C, C, 5)
        self.op1 = SRB(C, 2 * C, 5)
        self.op3 = SRB(2 * C, 4 * C, 3)
        self.op4 = SRB(4 * C, 4 * C, 5)
        self.fc = nn.Linear(4 * C * 16, CLASSES * GROUP, bias=False)
        self.fc_n = PLIF()

    def forward(self, img):
        x = self.stem(img)  # direct encoding: computed once, drives every step
        x = fold(self.stem_n(x.unsqueeze(0).expand(T, *x.shape)))
        x = F.max_pool2d(self.op0(x), 2)
        x = F.max_pool2d(self.op1(x), 2)  # op2 is skip_connect
        x = F.max_pool2d(self.op4(self.op3(x)), 2)
        y = self.fc_n(unfold(self.fc(x.flatten(1))))
        return y.view(T, -1, CLASSES, GROUP).mean(3).sum(0)


def main():
    threads, repeats = int(sys.argv[1]), int(sys.argv[2])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    net = AutoSNN()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x = torch.randn(BATCH, 3, 32, 32)
    y = torch.randint(0, CLASSES, (BATCH,))
    target = F.one_hot(y, CLASSES).float()

    def step():
        opt.zero_grad(set_to_none=True)
        counts = net(x)
        F.mse_loss(counts / T, target).backward()
        opt.step()

    step()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        samples.append(time.perf_counter() - start)
    params = sum(p.numel() for p in net.parameters())
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(),
                      "step_s": statistics.median(samples), "parameters": params}))


if __name__ == "__main__":
    main()
