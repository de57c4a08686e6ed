#!/usr/bin/python3
"""Writes the test model `slow.pt`: a TorchScript model whose forward pass runs as long as its input asks.

Input "input" FP32 [-1, 2]: element [0, 0] is a number of 128x128 matrix products to run (0: none);
output "output" FP32 [-1, 2] is the input unchanged (plus 0 * the products' sum, so the loop is real
work). The same model is fast or slow per request: the timeout tests use it. Run with Debian's torch:

    /usr/bin/python3 ops/scripts/make-slow-model.py modules/app/src/test/resources/io/modelplane/app/slow.pt
"""
import sys
import time

import torch


class Slow(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        # orthogonal: repeated products neither vanish nor overflow
        self.w = torch.nn.Parameter(torch.linalg.qr(torch.randn(128, 128))[0], requires_grad=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = int(x[0, 0].item())
        acc = torch.eye(128)
        for _ in range(n):
            acc = acc @ self.w
        return x + 0.0 * acc.sum()


if __name__ == "__main__":
    model = torch.jit.script(Slow())
    out = sys.argv[1] if len(sys.argv) > 1 else "slow.pt"
    model.save(out)
    started = time.perf_counter()
    model(torch.tensor([[2000.0, 1.0]]))
    print(f"wrote {out}; 2000 products took {time.perf_counter() - started:.3f} s here")
