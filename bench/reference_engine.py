"""PyTorch reference for `npm run bench -- engine`: the same computations as
bench/engine.ts, timed the same way, printed as one JSON object.

    python3 bench/reference_engine.py THREADS REPEATS
"""
import json
import statistics
import sys
import time

import torch


def median_seconds(fn, warmup, iters, repeats):
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(iters):
            fn()
        samples.append((time.perf_counter() - start) / iters)
    return statistics.median(samples)


def per_op_overhead(repeats):
    a = torch.tensor([1.0, 2.0, 3.0, 4.0])
    b = torch.tensor([1.0, 2.0, 3.0, 4.0])
    return median_seconds(lambda: torch.add(a, b), 1000, 100_000, repeats)


def conv_forward_backward(repeats):
    torch.manual_seed(0)
    x = torch.randn(64, 64, 32, 32, requires_grad=True)
    w = torch.randn(64, 64, 3, 3, requires_grad=True)

    def step():
        x.grad = None
        w.grad = None
        y = torch.nn.functional.conv2d(x, w, None, 1, 1)
        y.sum().backward()

    return median_seconds(step, 3, 5, repeats)


def network_step(repeats):
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(3, 32, 3, padding=1, bias=False),
        torch.nn.BatchNorm2d(32),
        torch.nn.ReLU(),
        torch.nn.Conv2d(32, 64, 3, padding=1, bias=False),
        torch.nn.BatchNorm2d(64),
        torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(64, 64, 3, padding=1, bias=False),
        torch.nn.BatchNorm2d(64),
        torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool2d(1),
        torch.nn.Flatten(),
        torch.nn.Linear(64, 10),
    )
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(32, 3, 32, 32)
    y = torch.randint(0, 10, (32,))

    def step():
        optimizer.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(net(x), y)
        loss.backward()
        optimizer.step()

    return median_seconds(step, 3, 10, repeats)


def main():
    threads = int(sys.argv[1])
    repeats = int(sys.argv[2])
    torch.set_num_threads(threads)
    result = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "add4_us": per_op_overhead(repeats) * 1e6,
        "conv_fwd_bwd_ms": conv_forward_backward(repeats) * 1e3,
        "net_step_ms": network_step(repeats) * 1e3,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
