#!/usr/bin/python3
"""Builds the test models of resident-bytes accounting.

zero-bomb.zip: a zipped DJL model directory (bomb/bomb.pt) whose TorchScript holds a 64 MiB parameter of
zeros; deflate makes the zip about 70 KB. Same signature as the digits demo model (FP32 [-1,64] -> FP32
[-1,10]). Loading it naively puts 64 MiB in memory: the resident-bytes accounting must see that before
loading, from the archive's inflated size, not from the upload's size.
tied.pt: a TorchScript whose output layer shares its weight with its embedding (tied weights, as in many
language models): the engine lists that parameter twice, yet it is held once.

Needs Debian's python3-torch (no downloads):
  /usr/bin/python3 ops/scripts/make-footprint-models.py modules/app/src/test/resources/models \
      modules/inference/src/test/resources/models
"""
import argparse
import io
import os
import zipfile

import torch


class ZeroBomb(torch.nn.Module):
    def __init__(self, mib):
        super().__init__()
        torch.manual_seed(7)
        self.w = torch.nn.Parameter(torch.randn(64, 10))
        # zeros compress to almost nothing, yet are all resident once loaded
        self.big = torch.nn.Parameter(torch.zeros(mib * 1024 * 1024 // 4))

    def forward(self, x):
        return torch.matmul(x, self.w) + self.big[0]


class Tied(torch.nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(7)
        self.embedding = torch.nn.Embedding(64, 32)
        self.head = torch.nn.Linear(32, 64, bias=False)
        self.head.weight = self.embedding.weight

    def forward(self, x):
        return self.head(torch.matmul(x, self.embedding.weight))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out_dir")
    parser.add_argument("tied_dir")
    parser.add_argument("--mib", type=int, default=64)
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    scripted = torch.jit.script(ZeroBomb(args.mib).eval())
    buffer = io.BytesIO()
    torch.jit.save(scripted, buffer)
    target = os.path.join(args.out_dir, "zero-bomb.zip")
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        info = zipfile.ZipInfo("bomb/bomb.pt", date_time=(2020, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, buffer.getvalue())
    print(f"{target}: {os.path.getsize(target)} bytes, holds a {len(buffer.getvalue())}-byte TorchScript")
    os.makedirs(args.tied_dir, exist_ok=True)
    tied = os.path.join(args.tied_dir, "tied.pt")
    torch.jit.script(Tied().eval()).save(tied)
    print(f"{tied}: {os.path.getsize(tied)} bytes")


if __name__ == "__main__":
    main()
