"""PyTorch reference for `npm run bench -- gpu`: one training step of the AutoSNN network of
reference_snn.py (the same network op by op in eager PyTorch), at width C, on DEVICE, in
float32 or with autocast to bfloat16/float16, timed with the device synchronised, and its
phases timed alone (forward, forward + backward, the optimizer step). Prints one JSON object.

    python3 bench/reference_gpu.py DEVICE PRECISION WIDTH BATCH REPEATS
"""
import json
import statistics
import sys
import time

import torch
import torch.nn.functional as F

import reference_snn as ref

DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def main():
    device, precision, width, batch, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    ref.C = width
    torch.manual_seed(0)
    torch.backends.cudnn.benchmark = True
    net = ref.AutoSNN().to(device)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x = torch.randn(batch, 3, 32, 32, device=device)
    y = torch.randint(0, ref.CLASSES, (batch,), device=device)
    target = F.one_hot(y, ref.CLASSES).float()
    cuda = device.startswith("cuda")

    def sync():
        if cuda:
            torch.cuda.synchronize()

    def forward():
        if precision == "fp32":
            return net(x)
        with torch.autocast(device_type="cuda" if cuda else "cpu", dtype=DTYPES[precision]):
            return net(x)

    def forward_backward():
        opt.zero_grad(set_to_none=True)
        F.mse_loss(forward().float() / ref.T, target).backward()

    def step():
        forward_backward()
        opt.step()

    def median_seconds(fn):
        fn()
        samples = []
        for _ in range(repeats):
            sync()
            start = time.perf_counter()
            fn()
            sync()
            samples.append(time.perf_counter() - start)
        return statistics.median(samples)

    for _ in range(2):
        step()
    sync()
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    step_s = median_seconds(step)
    peak_bytes = torch.cuda.max_memory_allocated() if cuda else None
    forward_s = median_seconds(forward)
    forward_backward_s = median_seconds(forward_backward)
    optimizer_s = median_seconds(opt.step)  # over the last backward pass's gradients
    print(json.dumps({
        "torch": torch.__version__,
        "device": torch.cuda.get_device_name() if cuda else "cpu",
        "precision": precision,
        "step_s": step_s,
        "forward_s": forward_s,
        "forward_backward_s": forward_backward_s,
        "optimizer_s": optimizer_s,
        "peak_bytes": peak_bytes,
        "parameters": sum(p.numel() for p in net.parameters()),
    }))


if __name__ == "__main__":
    main()
