#!/usr/bin/python3
"""Builds the README tour's example: two versions of an iris classifier (TorchScript), its upload
manifest and a request with three flowers, reproducibly and offline.

iris-v1.pt looks at the sepals only (a linear model on sepal length and width); iris-v2.pt looks at
all four measurements (a small MLP). Both take raw measurements in cm, shape [-1, 4] (sepal length,
sepal width, petal length, petal width), and answer the class (0 setosa, 1 versicolor, 2 virginica)
and the three class probabilities. request.json holds one flower of each species from the held-out
split, chosen so that v1 takes the versicolor for a virginica and v2 does not.

Needs Debian's python3-torch and python3-sklearn (scikit-learn bundles the iris data; no downloads):
  apt-get install -y python3-torch python3-sklearn
  /usr/bin/python3 examples/iris/make-model.py examples/iris
"""
import argparse
import json
import os

import torch
from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split


class Classifier(torch.nn.Module):
    """Standardizes the measurements, runs the network on the chosen features, answers class and probabilities."""

    def __init__(self, net, features, mean, std):
        super().__init__()
        self.net = net
        self.features = features
        self.register_buffer("mean", mean)
        self.register_buffer("std", std)

    def forward(self, x):
        z = (x - self.mean) / self.std
        probabilities = torch.softmax(self.net(z[:, self.features[0]:self.features[1]]), dim=1)
        return torch.argmax(probabilities, dim=1), probabilities


def train(net, features, x, y, epochs):
    torch.manual_seed(7)
    mean, std = x.mean(dim=0), x.std(dim=0)
    model = Classifier(net, features, mean, std)
    opt = torch.optim.Adam(net.parameters(), lr=0.05)
    for _ in range(epochs):
        opt.zero_grad()
        probabilities = model(x)[1]
        loss = torch.nn.functional.nll_loss(torch.log(probabilities + 1e-9), y)
        loss.backward()
        opt.step()
    return model.eval()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out_dir")
    out_dir = parser.parse_args().out_dir
    data = load_iris()
    x_train, x_test, y_train, y_test = train_test_split(
        data.data.astype("float32"), data.target.astype("int64"), test_size=0.3, random_state=7, stratify=data.target)
    xt, yt = torch.from_numpy(x_train), torch.from_numpy(y_train)
    xs, ys = torch.from_numpy(x_test), torch.from_numpy(y_test)

    torch.manual_seed(7)
    v1 = train(torch.nn.Linear(2, 3), (0, 2), xt, yt, epochs=200)
    torch.manual_seed(7)
    v2 = train(torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3)), (0, 4),
               xt, yt, epochs=300)

    with torch.no_grad():
        p1, p2 = v1(xs)[0], v2(xs)[0]
    accuracy = {"v1": float((p1 == ys).float().mean()), "v2": float((p2 == ys).float().mean())}

    # one flower per species, both right except the versicolor that v1 takes for a virginica
    def first(condition):
        return next(i for i in range(len(ys)) if condition(i))
    chosen = [first(lambda i: ys[i] == 0 and p1[i] == 0 and p2[i] == 0),
              first(lambda i: ys[i] == 1 and p1[i] == 2 and p2[i] == 1),
              first(lambda i: ys[i] == 2 and p1[i] == 2 and p2[i] == 2)]
    flowers = [[round(float(v), 1) for v in x_test[i]] for i in chosen]  # the data set has mm precision

    for name, model in (("iris-v1.pt", v1), ("iris-v2.pt", v2)):
        with torch.no_grad():
            traced = torch.jit.trace(model, torch.zeros(1, 4))
        traced.save(os.path.join(out_dir, name))
    manifest = {
        "format": "torchscript",
        "inputs": [{"name": "measurements", "datatype": "FP32", "shape": [-1, 4]}],
        "outputs": [{"name": "class", "datatype": "INT64", "shape": [-1]},
                    {"name": "probabilities", "datatype": "FP32", "shape": [-1, 3]}],
    }
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f)
        f.write("\n")
    request = {"id": "three-flowers",
               "inputs": [{"name": "measurements", "shape": [3, 4], "datatype": "FP32", "data": flowers}]}
    with open(os.path.join(out_dir, "request.json"), "w") as f:
        json.dump(request, f)
        f.write("\n")
    with torch.no_grad():
        x = torch.tensor(flowers)
        print("held-out accuracy: v1 %.3f, v2 %.3f (%d flowers)" % (accuracy["v1"], accuracy["v2"], len(ys)))
        print("request.json: species %s, v1 answers %s, v2 answers %s"
              % ([int(ys[i]) for i in chosen], v1(x)[0].tolist(), v2(x)[0].tolist()))


if __name__ == "__main__":
    main()
