#!/usr/bin/python3
"""Builds ModelPlane's demo models, reproducibly and offline.

digits: an MLP (64-128-64-10) trained on scikit-learn's bundled 8x8 digits, traced to TorchScript,
plus held-out samples with their labels (JSON) for accuracy checks.
resnet18 (--resnet18 PATH): a ResNet-18-shaped TorchScript with random weights, for benchmarks only.

Needs Debian's python3-torch and python3-sklearn (no downloads):
  apt-get install -y python3-torch python3-sklearn
  /usr/bin/python3 ops/scripts/make-demo-models.py modules/inference/src/main/resources/io/modelplane/inference/demo
"""
import argparse
import json
import os

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split


def digits(out_dir):
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


def resnet18(path):
    torch.manual_seed(7)
    import torchvision  # optional: Debian's python3-torchvision
    model = torchvision.models.resnet18(weights=None).eval()
    torch.jit.trace(model, torch.zeros(1, 3, 224, 224)).save(path)
    print("resnet18 written to", path)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("out_dir")
    parser.add_argument("--resnet18", help="also write a random-weight ResNet-18 TorchScript here")
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    digits(args.out_dir)
    if args.resnet18:
        resnet18(args.resnet18)
