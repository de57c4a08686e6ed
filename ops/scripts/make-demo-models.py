#!/usr/bin/python3
"""Builds ModelPlane's demo models, reproducibly and offline.

digits: an MLP (64-128-64-10) trained on scikit-learn's bundled 8x8 digits, traced to TorchScript,
plus held-out samples with their labels (JSON) for accuracy checks.
resnet18 (--resnet18 PATH): a ResNet-18 TorchScript (3x224x224 -> 1000 logits) with random weights, for
benchmarks only (modules/bench); plain torch, no torchvision. Keep it under a target/ directory: never commit it.

Needs Debian's python3-torch and python3-sklearn (no downloads):
  apt-get install -y python3-torch python3-sklearn
  /usr/bin/python3 ops/scripts/make-demo-models.py modules/inference/src/main/resources/io/modelplane/inference/demo
  /usr/bin/python3 ops/scripts/make-demo-models.py --resnet18 modules/bench/target/models/resnet18.pt   # only ResNet-18
"""
import argparse
import json
import os

import torch


def digits(out_dir):
    # scikit-learn only here: ResNet-18 alone needs nothing but torch
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    torch.manual_seed(7)
    data = load_digits()
    x = (data.data / 16.0).astype("float32")  # pixel values 0..16 -> 0..1
    y = data.target.astype("int64")
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=7, stratify=y)
    model = torch.nn.Sequential(
        torch.nn.Linear(64, 128), torch.nn.ReLU(),
        torch.nn.Linear(128, 64), torch.nn.ReLU(),
        torch.nn.Linear(64, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    xt, yt = torch.from_numpy(x_train), torch.from_numpy(y_train)
    for epoch in range(60):
        perm = torch.randperm(len(xt))
        for i in range(0, len(xt), 32):
            idx = perm[i:i + 32]
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        pred = model(torch.from_numpy(x_test)).argmax(dim=1).numpy()
    accuracy = float((pred == y_test).mean())
    traced = torch.jit.trace(model, torch.zeros(1, 64))
    traced.save(os.path.join(out_dir, "digits.pt"))
    samples = {"inputs": [[round(float(v), 4) for v in row] for row in x_test], "labels": [int(v) for v in y_test]}
    with open(os.path.join(out_dir, "digits-heldout.json"), "w") as f:
        json.dump(samples, f, separators=(",", ":"))
    manifest = {
        "format": "torchscript",
        "inputs": [{"name": "input", "datatype": "FP32", "shape": [-1, 64]}],
        "outputs": [{"name": "logits", "datatype": "FP32", "shape": [-1, 10]}],
        "description": "MLP 64-128-64-10 on scikit-learn's 8x8 digits (pixels scaled to 0..1); held-out accuracy %.4f" % accuracy,
    }
    with open(os.path.join(out_dir, "digits-manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
    print("digits: held-out accuracy %.4f on %d samples" % (accuracy, len(y_test)))


class BasicBlock(torch.nn.Module):
    """ResNet's two-conv residual block (torchvision's BasicBlock, without torchvision)."""

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(planes)
        self.conv2 = torch.nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = torch.nn.BatchNorm2d(planes)
        self.relu = torch.nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or in_planes != planes:
            self.downsample = torch.nn.Sequential(
                torch.nn.Conv2d(in_planes, planes, 1, stride=stride, bias=False), torch.nn.BatchNorm2d(planes))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class ResNet18(torch.nn.Module):
    """ResNet-18 (He et al. 2015) as torchvision builds it: 3x224x224 in, 1000 logits out, 11.7M parameters."""

    def __init__(self, num_classes=1000):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(64)
        self.relu = torch.nn.ReLU(inplace=True)
        self.maxpool = torch.nn.MaxPool2d(3, stride=2, padding=1)
        self.layer1 = torch.nn.Sequential(BasicBlock(64, 64), BasicBlock(64, 64))
        self.layer2 = torch.nn.Sequential(BasicBlock(64, 128, 2), BasicBlock(128, 128))
        self.layer3 = torch.nn.Sequential(BasicBlock(128, 256, 2), BasicBlock(256, 256))
        self.layer4 = torch.nn.Sequential(BasicBlock(256, 512, 2), BasicBlock(512, 512))
        self.avgpool = torch.nn.AdaptiveAvgPool2d((1, 1))
        self.fc = torch.nn.Linear(512, num_classes)
        for m in self.modules():
            if isinstance(m, torch.nn.Conv2d):
                torch.nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def resnet18(path):
    """A random-weight ResNet-18 traced to TorchScript (~45 MB): for benchmarks only, never committed."""
    torch.manual_seed(7)
    model = ResNet18().eval()
    with torch.no_grad():
        traced = torch.jit.trace(model, torch.zeros(1, 3, 224, 224))
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    traced.save(path)
    params = sum(p.numel() for p in model.parameters())
    print("resnet18 (%d parameters) written to %s" % (params, path))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("out_dir", nargs="?", help="where digits.pt, its manifest and held-out samples go")
    parser.add_argument("--resnet18", help="write a random-weight ResNet-18 TorchScript here")
    args = parser.parse_args()
    if not args.out_dir and not args.resnet18:
        parser.error("name out_dir, --resnet18 PATH, or both")
    if args.out_dir:
        os.makedirs(args.out_dir, exist_ok=True)
        digits(args.out_dir)
    if args.resnet18:
        resnet18(args.resnet18)
