#!/usr/bin/python3
"""Builds the model admission corpus: small TorchScript models that admission must accept (and that
must load and run), hostile ones it must refuse (naming the operator), and artifacts that are not
models at all. Reproducible (fixed seeds, fixed zip timestamps) and offline.

Needs Debian's python3-torch (1.13); run it with /usr/bin/python3 (not a pyenv python without torch):
  /usr/bin/python3 ops/scripts/make-admission-corpus.py \
      modules/inference/src/test/resources/io/modelplane/inference/admission

Writes accepted/*.pt, refused/*.pt, invalid/*.pt and corpus.json, which lists every file with the
input the tests feed it (accepted) or the operator admission must name (refused).
modules/app/src/test/resources/io/modelplane/app/models/ holds copies of refused/from-file-read.pt and
invalid/state-dict.pt for the HTTP tests: copy them again when they change.
"""
import io
import json
import os
import pickle
import sys
import zipfile
from typing import List

# TorchScript writes some class constants in set order: fix Python's string hashing
if os.environ.get("PYTHONHASHSEED") != "0":
    os.environ["PYTHONHASHSEED"] = "0"
    os.execv(sys.executable, [sys.executable] + sys.argv)

import torch
import torch.nn as nn
import torch.nn.functional as F

# the canary file the from_file models read or overwrite when nothing stops them
CANARY = "/tmp/modelplane-admission-canary"
CANARY_SIZE = 16
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


# ---------------------------------------------------------------- accepted: architectures

class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))

    def forward(self, x):
        return self.net(x)


class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1)
        self.conv2 = nn.Conv2d(4, 8, 3, padding=1)
        self.fc = nn.Linear(8 * 2 * 2, 3)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.avg_pool2d(torch.tanh(self.conv2(x)), 2)
        return F.log_softmax(self.fc(torch.flatten(x, 1)), dim=1)


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = nn.Sequential()
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.downsample(x))


class ResNet18(nn.Module):
    """ResNet-18's architecture (stem, 4 stages of 2 basic blocks, BatchNorm, residuals) at tiny widths."""

    def __init__(self, widths=(4, 8, 16, 32), classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, widths[0], 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        layers = []
        cin = widths[0]
        for i, w in enumerate(widths):
            stride = 1 if i == 0 else 2
            layers.append(nn.Sequential(BasicBlock(cin, w, stride), BasicBlock(w, w, 1)))
            cin = w
        self.layer1, self.layer2, self.layer3, self.layer4 = layers
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class Lstm(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(4, 8, num_layers=2, batch_first=True)
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[:, -1, :])


class Gru(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(4, 6, batch_first=True, bidirectional=True)
        self.head = nn.Linear(12, 2)

    def forward(self, x):
        out, _ = self.gru(x)
        return self.head(out.mean(dim=1))


class Transformer(nn.Module):
    def __init__(self):
        super().__init__()
        layer = nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16, dropout=0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=2)
        self.head = nn.Linear(8, 3)

    def forward(self, x):
        return self.head(self.encoder(x).mean(dim=1))


class Bag(nn.Module):
    def __init__(self):
        super().__init__()
        self.bag = nn.EmbeddingBag(50, 6, mode="mean")
        self.head = nn.Linear(6, 2)

    def forward(self, ids):
        return self.head(self.bag(ids))


class ControlFlow(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 4)
        self.b = nn.Linear(4, 4)

    def forward(self, x):
        steps = 0
        while bool(x.abs().max() > 1.0) and steps < 10:
            x = x / 2.0
            steps += 1
        for i in range(3):
            if i % 2 == 0:
                x = torch.relu(self.a(x))
            else:
                x = torch.sigmoid(self.b(x))
        sizes: List[int] = []
        for d in x.size():
            sizes.append(int(d))
        if len(sizes) == 2 and sizes[1] == 4:
            return x * float(steps + 1)
        return -x


class Layers(nn.Module):
    """A submodule list iterated in forward."""

    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])
        self.norm = nn.LayerNorm(4)

    def forward(self, x):
        for block in self.blocks:
            x = x + F.gelu(block(x))
        return self.norm(x)


@torch.jit.script
def scaled_softmax(x: torch.Tensor, temperature: float) -> torch.Tensor:
    if temperature <= 0.0:
        temperature = 1.0
    return torch.softmax(x / temperature, dim=-1)


class Helper(nn.Module):
    """Calls a scripted helper function."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return scaled_softmax(self.fc(x), 2.0)


# ---------------------------------------------------------------- refused: hostile patterns

class FromFileRead(nn.Module):
    """Returns the first bytes of a file the server can read."""

    def forward(self, x):
        leaked = torch.from_file("/tmp/modelplane-admission-canary", shared=False, size=16, dtype=torch.uint8)
        return x + leaked.to(torch.float32)


class FromFileWrite(nn.Module):
    """Overwrites a file the server can write through a shared mapping."""

    def forward(self, x):
        mapped = torch.from_file("/tmp/modelplane-admission-canary", shared=True, size=16, dtype=torch.uint8)
        mapped.fill_(65)
        return x + mapped.to(torch.float32)


class Leaky(nn.Module):
    def forward(self, x):
        return x + torch.from_file("/etc/passwd", shared=False, size=16, dtype=torch.uint8).to(torch.float32)


class HiddenInSubmodule(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 16)
        self.stage = nn.Sequential(nn.ReLU(), Leaky())

    def forward(self, x):
        return self.stage(self.fc(x))


@torch.jit.script
def normalize(x: torch.Tensor) -> torch.Tensor:
    secret = torch.from_file("/etc/passwd", shared=False, size=16, dtype=torch.uint8)
    return x / (x.norm() + 1.0) + secret.to(torch.float32) * 0.0


class HiddenInHelper(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 16)

    def forward(self, x):
        return normalize(self.fc(x))


class Persist(nn.Module):
    def forward(self, x):
        torch.save(x, "/tmp/modelplane-admission-written")
        return x


class Relu(nn.Module):
    def forward(self, x):
        return torch.relu(x) + 1.0


def scripted_bytes(module):
    buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(module), buffer)
    return buffer.getvalue()


def traced_bytes(module, example):
    buffer = io.BytesIO()
    torch.jit.save(torch.jit.trace(module, example), buffer)
    return buffer.getvalue()


def rezip(archive, edit):
    """A copy of a TorchScript archive with edit(name, bytes) -> bytes applied to every entry."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(archive)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            data = edit(info.filename, src.read(info.filename))
            dst.writestr(zipfile.ZipInfo(info.filename, ZIP_DATE), data)
    return out.getvalue()


def edit_code(archive, old, new):
    """Replaces old with new in the code entries; fails when nothing changed (the corpus would lie)."""
    changed = []

    def edit(name, data):
        if "/code/" in name and name.endswith(".py") and old.encode() in data:
            changed.append(name)
            return data.replace(old.encode(), new.encode())
        return data

    result = rezip(archive, edit)
    assert changed, "no code entry holds " + old
    return result


def edit_pickle(archive, entry_suffix, payload):
    """Replaces a pickle entry with payload."""
    changed = []

    def edit(name, data):
        if name.endswith(entry_suffix):
            changed.append(name)
            return payload
        return data

    result = rezip(archive, edit)
    assert changed, "no entry ends with " + entry_suffix
    return result


def model_directory(pt_name, pt_bytes):
    """A zip of a DJL model directory: one .pt and serving.properties."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("model/serving.properties", ZIP_DATE), "engine=PyTorch\n")
        z.writestr(zipfile.ZipInfo("model/" + pt_name, ZIP_DATE), pt_bytes)
    return out.getvalue()


# GLOBAL os.system called with a harmless command (pickle itself would write posix.system)
OS_SYSTEM = b"\x80\x02cos\nsystem\n(X\x04\x00\x00\x00truetR."


def stack_global_eval():
    """A protocol-4 pickle: STACK_GLOBAL builtins.eval, called on a string."""
    return pickle.dumps(EvalCall(), protocol=4)


class EvalCall:
    def __reduce__(self):
        import builtins
        return (builtins.eval, ("1+1",))


def main(out_dir):
    torch.manual_seed(7)
    for sub in ("accepted", "refused", "invalid"):
        os.makedirs(os.path.join(out_dir, sub), exist_ok=True)
    corpus = {"accepted": [], "refused": [], "invalid": []}

    def write(kind, name, data, **info):
        path = os.path.join(out_dir, kind, name)
        with open(path, "wb") as f:
            f.write(data)
        corpus[kind].append(dict(file=kind + "/" + name, **info))

    def accepted(name, data, shape, datatype="FP32"):
        write("accepted", name, data, input={"shape": shape, "datatype": datatype})

    def example(shape, datatype="FP32"):
        return torch.randint(0, 50, shape) if datatype == "INT64" else torch.rand(shape)

    def done(module):
        return module.eval()

    # accepted: each loads and runs a forward on an input of this shape
    accepted("mlp-traced.pt", traced_bytes(done(Mlp()), example([2, 8])), [2, 8])
    accepted("mlp-scripted.pt", scripted_bytes(done(Mlp())), [2, 8])
    accepted("cnn-scripted.pt", scripted_bytes(done(Cnn())), [2, 1, 8, 8])
    accepted("cnn-traced.pt", traced_bytes(done(Cnn()), example([2, 1, 8, 8])), [2, 1, 8, 8])
    accepted("resnet18-tiny-scripted.pt", scripted_bytes(done(ResNet18())), [1, 3, 32, 32])
    accepted("resnet18-tiny-traced.pt", traced_bytes(done(ResNet18()), example([1, 3, 32, 32])), [1, 3, 32, 32])
    accepted("lstm-scripted.pt", scripted_bytes(done(Lstm())), [2, 5, 4])
    accepted("gru-traced.pt", traced_bytes(done(Gru()), example([2, 5, 4])), [2, 5, 4])
    accepted("transformer-encoder-scripted.pt", scripted_bytes(done(Transformer())), [2, 5, 8])
    accepted("embedding-bag-scripted.pt", scripted_bytes(done(Bag())), [2, 6], "INT64")
    accepted("control-flow-scripted.pt", scripted_bytes(done(ControlFlow())), [2, 4])
    accepted("module-list-scripted.pt", scripted_bytes(done(Layers())), [2, 4])
    accepted("helper-function-scripted.pt", scripted_bytes(done(Helper())), [2, 4])
    accepted("model-directory.zip", model_directory("mlp.pt", traced_bytes(done(Mlp()), example([2, 8]))), [2, 8])

    # refused: each names the operator admission must report
    def refused(name, data, operator, what):
        write("refused", name, data, operator=operator, what=what)

    relu = scripted_bytes(Relu())
    refused("from-file-read.pt", scripted_bytes(FromFileRead()), "torch.from_file",
            "reads " + CANARY + " in forward")
    refused("from-file-shared-write.pt", scripted_bytes(FromFileWrite()), "torch.from_file",
            "overwrites " + CANARY + " through a shared mapping")
    refused("hidden-in-submodule.pt", scripted_bytes(HiddenInSubmodule()), "torch.from_file",
            "reads /etc/passwd in a nested submodule")
    refused("hidden-in-helper.pt", scripted_bytes(HiddenInHelper()), "torch.from_file",
            "reads /etc/passwd in a scripted helper function")
    refused("torch-save.pt", scripted_bytes(Persist()), "torch.save", "writes a file with torch.save")
    refused("torch-load.pt", edit_code(relu, "torch.relu(x)", "torch.load(\"/etc/passwd\")"), "torch.load",
            "hand-edited: torch.load")
    refused("custom-op-namespace.pt", edit_code(relu, "torch.relu(x)", "ops.evil.read_file(x)"), "ops.evil.read_file",
            "hand-edited: an operator of a namespace that is not aten or prim")
    refused("torch-ops-load-library.pt",
            edit_code(relu, "torch.relu(x)", "torch.ops.load_library(\"/tmp/evil.so\")"), "torch.ops.load_library",
            "hand-edited: loads a shared library")
    refused("torch-classes.pt", edit_code(relu, "torch.relu(x)", "__torch__.torch.classes.evil.Reader(\"/etc/passwd\")"),
            "__torch__.torch.classes.evil.Reader", "hand-edited: a custom class")
    refused("untyped-storage.pt",
            edit_code(relu, "torch.relu(x)", "torch.UntypedStorage.from_file(\"/etc/passwd\", False, 16)"),
            "torch.UntypedStorage.from_file", "hand-edited: storage from a file")
    refused("tensor-set-storage.pt", edit_code(relu, "torch.relu(x)", "torch.set_(x, x.untyped_storage())"),
            "torch.set_", "hand-edited: re-points a tensor at another storage")
    refused("spaced-from-file.pt",
            edit_code(relu, "torch.relu(x)", "torch .\\\n  from_file(\"/etc/passwd\", False, 16)"),
            "torch.from_file", "hand-edited: the call split by spaces and a line continuation")
    refused("getattr-smuggle.pt", edit_code(relu, "torch.relu(x)", "getattr(torch, \"from_\" + \"file\")(\"/etc/passwd\")"),
            "getattr", "hand-edited: looks a function up by a string")
    refused("dunder-import.pt", edit_code(relu, "torch.relu(x)", "__import__(\"os\").system(\"id\")"),
            "__import__", "hand-edited: imports a Python module")
    refused("prim-rpc.pt", edit_code(relu, "torch.relu(x)", "ops.prim.rpc_sync(\"w\", x)"), "ops.prim.rpc_sync",
            "hand-edited: remote call")
    refused("pickle-os-system.pt", edit_pickle(relu, "/data.pkl", OS_SYSTEM), "os.system",
            "data.pkl calls os.system when unpickled")
    refused("pickle-builtins-eval.pt", edit_pickle(relu, "/constants.pkl", stack_global_eval()), "builtins.eval",
            "constants.pkl calls builtins.eval (STACK_GLOBAL)")
    refused("model-directory-from-file.zip", model_directory("model.pt", scripted_bytes(FromFileRead())),
            "torch.from_file", "a model directory whose .pt reads a file")

    # invalid: not a model at all
    torch.manual_seed(7)
    buffer = io.BytesIO()
    torch.save(Mlp().state_dict(), buffer)
    write("invalid", "state-dict.pt", buffer.getvalue(), code="invalid_model", what="torch.save of a state dict")
    write("invalid", "not-utf8-code.pt", rezip(relu, lambda n, d: d.replace(b"torch.relu", b"torch.\xff\xfelu")
                                                if n.endswith(".py") and "/code/" in n else d),
          code="invalid_model", what="a code entry that is not UTF-8")
    write("invalid", "model-directory-two-pt.zip",
          model_directory("a.pt", relu)[:0] + two_pt_directory(relu), code="invalid_model",
          what="a model directory with two .pt files")

    write("invalid", "duplicate-entry.pt", duplicate_code_entry(relu), code="invalid_model",
          what="a second code entry of the same name calling torch.from_file (readers may pick either)")

    with open(os.path.join(out_dir, "corpus.json"), "w") as f:
        json.dump(corpus, f, indent=2, sort_keys=True)
        f.write("\n")


def duplicate_code_entry(archive):
    import warnings
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(archive)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        code = None
        for info in src.infolist():
            dst.writestr(zipfile.ZipInfo(info.filename, ZIP_DATE), src.read(info.filename))
            if code is None and "/code/" in info.filename and info.filename.endswith(".py"):
                code = info.filename
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Duplicate name": the point
            dst.writestr(zipfile.ZipInfo(code, ZIP_DATE),
                         "def f(x: Tensor) -> Tensor:\n  return torch.from_file(\"/etc/passwd\", False, 1)\n")
    return out.getvalue()


def two_pt_directory(pt_bytes):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("model/a.pt", ZIP_DATE), pt_bytes)
        z.writestr(zipfile.ZipInfo("model/b.pt", ZIP_DATE), pt_bytes)
    return out.getvalue()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
