"""linconv <-> PyTorch interop: safetensors files without the safetensors package, the
ReLU_alpha activations (one alpha per layer or one per channel), and the PyTorch twin of any
network linconv's templates can express.

Importable library (no command line); used by tests/golden/make_golden.py. Needs numpy and
torch (Debian: python3-numpy, python3-torch; run with /usr/bin/python3).

    import sys; sys.path.insert(0, "scripts")
    import linconv_torch as lt
    tensors, metadata = lt.read_safetensors("model.safetensors")
    model = lt.module_from_architecture(metadata["architecture"])
    model.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items()})

Names and layouts follow /work/shared/CONVENTIONS.md ("Checkpoints"): submodules are named
<kind><n>, counted per kind in network order (conv, bn, act, pool, flatten, fc), so the
state_dict keys are linconv's checkpoint names (conv1.weight OIHW, bn1.weight,
bn1.running_mean, bn1.num_batches_tracked, act1.alpha [1] or [C], fc1.weight [out, C*H*W]).

Dtypes: linconv stores every tensor as F32 except BatchNorm2d's num_batches_tracked, which
PyTorch keeps as int64 (shape []) and which is stored as I64. read_safetensors returns I64
tensors as int64 arrays (everything else as float32), write_safetensors writes integer arrays
and tensors as I64 (everything else as F32), so a state_dict makes the round trip unchanged.

Networks of the study (study_architecture): "fashion", the report's network, and
"fashion-bn-pool", its first attempt (BatchNorm2d after each conv, 2x2 max pool after each
activation; linconv::FashionNetBnPool). A BatchNorm2d module is in training mode (batch
statistics) until .eval() is called, as in PyTorch: call .eval() to compute what linconv's
inference (running statistics) computes.
"""

import collections
import json
import re
import struct

import numpy as np
import torch

__all__ = ["read_safetensors", "write_safetensors", "ReLUAlpha", "ReLUAlphaPerChannel", "Dense",
           "module_from_architecture", "parse_architecture", "STUDY_ACTIVATIONS", "STUDY_NETS",
           "study_architecture"]

# safetensors dtype -> numpy little-endian dtype (I64 is returned as int64, the rest as float32).
_DTYPES = {"F32": "<f4", "F64": "<f8", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
           "I8": "i1", "U8": "u1", "BOOL": "?"}


def read_safetensors(path):
    """Reads a safetensors file: (dict name -> np.ndarray in file order, metadata dict). I64
    tensors (BatchNorm2d's num_batches_tracked) come back as int64 arrays, every other dtype as
    float32 (F32 unchanged; F64, F16 and the other integer types converted).

    Checks the header length, the JSON, dtypes, shapes against data_offsets and that the tensors
    lie inside the data buffer; raises ValueError naming the file and the problem."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ValueError(f"{path}: shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", blob[:8])
    if n > len(blob) - 8:
        raise ValueError(f"{path}: header length {n} exceeds the file ({len(blob)} bytes)")
    try:
        header = json.loads(blob[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{path}: header is not valid JSON: {e}") from None
    if not isinstance(header, dict):
        raise ValueError(f"{path}: header is not a JSON object")
    data = memoryview(blob)[8 + n:]
    metadata = dict(header.pop("__metadata__", None) or {})
    entries = sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0])
    tensors = collections.OrderedDict()
    for name, info in entries:
        dtype = info.get("dtype")
        if dtype not in _DTYPES:
            raise ValueError(f"{path}: tensor {name} has unsupported dtype {dtype}")
        shape = [int(d) for d in info["shape"]]
        begin, end = (int(o) for o in info["data_offsets"])
        itemsize = np.dtype(_DTYPES[dtype]).itemsize
        count = int(np.prod(shape, dtype=np.int64))
        if not 0 <= begin <= end <= len(data) or end - begin != count * itemsize:
            raise ValueError(f"{path}: tensor {name}: data_offsets [{begin}, {end}] do not fit "
                             f"shape {shape} of {dtype} in a {len(data)}-byte buffer")
        values = np.frombuffer(data[begin:end], dtype=_DTYPES[dtype]).reshape(shape)
        tensors[name] = values.astype(np.int64 if dtype == "I64" else np.float32)
    return dict(tensors), metadata


def _as_array(value):
    """(little-endian contiguous array, safetensors dtype): integers as I64, the rest as F32."""
    if hasattr(value, "detach"):  # a torch tensor
        value = value.detach().cpu().numpy()
    value = np.asarray(value)
    # np.asarray, not np.ascontiguousarray, which would turn shape [] into [1].
    if np.issubdtype(value.dtype, np.integer):
        return np.asarray(value, dtype="<i8", order="C"), "I64"
    return np.asarray(value, dtype="<f4", order="C"), "F32"


def write_safetensors(path, tensors, metadata=None):
    """Writes `tensors` (name -> numpy array or torch tensor, in insertion order) and `metadata`
    (str -> str) as a safetensors file. Integer tensors (torch.long, numpy int64, ...: BatchNorm2d's
    num_batches_tracked) are stored as little-endian I64, everything else (any float dtype) as
    F32; a 0-d tensor keeps its shape []. The header is padded with spaces to a multiple of 8
    bytes."""
    header = collections.OrderedDict()
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    chunks, offset = [], 0
    for name, value in tensors.items():
        if name == "__metadata__":
            raise ValueError("__metadata__ is a reserved name")
        array, dtype = _as_array(value)
        raw = array.tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in chunks:
            f.write(raw)


# --- the PyTorch twin of a linconv network ---------------------------------------------------


class ReLUAlpha(torch.nn.Module):
    """ReLU_alpha(x) = relu(x) - (1 - alpha) * relu(-x), one learnable alpha (shape [1])."""

    def __init__(self, alpha=0.5):
        super().__init__()
        self.alpha = torch.nn.Parameter(torch.full((1,), float(alpha)))

    def forward(self, x):
        return torch.relu(x) - (1 - self.alpha) * torch.relu(-x)


class ReLUAlphaPerChannel(torch.nn.Module):
    """ReLU_alpha with one learnable alpha per channel (shape [C]): relu(x) - (1 - alpha_c) *
    relu(-x) for channel c of a [B, C, H, W] input, or feature c of a flat [B, C] input."""

    def __init__(self, channels, alpha=0.5):
        super().__init__()
        self.alpha = torch.nn.Parameter(torch.full((channels,), float(alpha)))

    def forward(self, x):
        alpha = self.alpha.view((1, -1) + (1,) * (x.dim() - 2))
        return torch.relu(x) - (1 - alpha) * torch.relu(-x)


class Dense(torch.nn.Linear):
    """torch.nn.Linear that flattens its input first: linconv's Dense<N> accepts a {C, 1, 1}
    input as well as a flat one. Same parameters and state_dict keys as nn.Linear."""

    def forward(self, x):
        return super().forward(torch.flatten(x, 1))


_TOKEN = re.compile(r"\s*([A-Za-z]\w*)\s*(?:<([^<>]*)>)?\s*(?:,|$)")


def parse_architecture(arch):
    """'Input<1,28,28>,Conv<8,5,1,2>,ReLU' -> [('Input', (1, 28, 28)), ('Conv', (8, 5, 1, 2)),
    ('ReLU', ())]."""
    layers, pos = [], 0
    while pos < len(arch):
        m = _TOKEN.match(arch, pos)
        if not m or m.end() == pos:
            raise ValueError(f"cannot parse architecture {arch!r} at offset {pos}")
        args = tuple(int(a) for a in m.group(2).split(",")) if m.group(2) else ()
        layers.append((m.group(1), args))
        pos = m.end()
    return layers


def module_from_architecture(arch, alpha_init=0.5):
    """The torch.nn.Sequential equivalent to linconv's canonical architecture string (a
    checkpoint's __metadata__["architecture"]), PyTorch's default initialisation, submodules
    named <kind><n> so that state_dict() keys are linconv's checkpoint names.

    Layers: Input<C,H,W> (first, required), Conv<out,kernel,stride,pad> (kind conv),
    BatchNorm2d (kind bn: torch.nn.BatchNorm2d(C), eps 1e-5, momentum 0.1, affine, running
    statistics), ReLUAlpha / ReLUAlphaPerChannel / ReLU / Identity (kind act; per-channel alpha
    has shape [C], C the channels, or the features of a flat input), MaxPool2d<K,S> /
    AvgPool2d<K,S> (kind pool: no padding, floor mode, output (H-K)//S+1), Flatten (kind
    flatten), Dense<N> (kind fc). The module is in training mode, as every new torch module:
    call .eval() for BatchNorm2d's running statistics."""
    layers = parse_architecture(arch)
    if not layers or layers[0][0] != "Input" or len(layers[0][1]) != 3:
        raise ValueError(f"architecture {arch!r} must start with Input<C,H,W>")
    c, h, w = layers[0][1]
    flat = False  # after Flatten or Dense the torch tensor is [B, features]
    modules, counts = collections.OrderedDict(), collections.Counter()

    def add(kind, module):
        counts[kind] += 1
        modules[f"{kind}{counts[kind]}"] = module

    for index, (name, args) in enumerate(layers[1:]):
        where = f"layer {index} ({name}) of {arch!r}"
        if name in ("Conv", "BatchNorm2d", "MaxPool2d", "AvgPool2d") and flat:
            raise ValueError(f"{where}: needs a C x H x W input, got a flat one of {c}")
        if name == "Conv":
            if len(args) != 4:
                raise ValueError(f"{where}: Conv takes <out,kernel,stride,pad>")
            out, k, s, p = args
            add("conv", torch.nn.Conv2d(c, out, k, stride=s, padding=p))
            c, h, w = out, (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
        elif name == "BatchNorm2d":
            if args:
                raise ValueError(f"{where}: BatchNorm2d takes no arguments")
            add("bn", torch.nn.BatchNorm2d(c, eps=1e-5, momentum=0.1))
        elif name in ("MaxPool2d", "AvgPool2d"):
            if len(args) != 2:
                raise ValueError(f"{where}: {name} takes <kernel,stride>")
            k, s = args
            if k > h or k > w or k < 1 or s < 1:
                raise ValueError(f"{where}: kernel {k}, stride {s} do not fit a {c}x{h}x{w} input")
            pool = torch.nn.MaxPool2d if name == "MaxPool2d" else torch.nn.AvgPool2d
            add("pool", pool(k, s))
            h, w = (h - k) // s + 1, (w - k) // s + 1
        elif name in ("ReLUAlpha", "ReLUAlphaPerChannel", "ReLU", "Identity"):
            if args:
                raise ValueError(f"{where}: {name} takes no arguments")
            add("act", {"ReLUAlpha": lambda: ReLUAlpha(alpha_init),
                        "ReLUAlphaPerChannel": lambda: ReLUAlphaPerChannel(c, alpha_init),
                        "ReLU": torch.nn.ReLU, "Identity": torch.nn.Identity}[name]())
        elif name == "Flatten":
            add("flatten", torch.nn.Flatten())
            c, h, w, flat = c * h * w, 1, 1, True
        elif name == "Dense":
            if len(args) != 1:
                raise ValueError(f"{where}: Dense takes <N>")
            if h != 1 or w != 1:
                raise ValueError(f"{where}: Dense needs a flat input, got {c}x{h}x{w}")
            add("fc", Dense(c, args[0]))
            c, flat = args[0], True
        else:
            raise ValueError(f"{where}: unknown layer")
    model = torch.nn.Sequential(modules)
    model.architecture = arch
    return model


# --activation -> linconv's activation layer in the study's networks.
STUDY_ACTIVATIONS = {"alpha": "ReLUAlpha", "relu": "ReLU", "linear": "Identity",
                     "channel": "ReLUAlphaPerChannel"}

# --net -> the study's network with {a} for the activation layer: "fashion" is the report's
# network (linconv::FashionNetWith<A>), "fashion-bn-pool" its first attempt
# (linconv::FashionNetBnPool: BatchNorm2d after each conv, 2x2 max pool after each activation).
STUDY_NETS = {
    "fashion": "Input<1,28,28>,Conv<8,5,1,2>,{a},Conv<16,5,1,2>,{a},Conv<32,3,1,1>,{a},"
               "Flatten,Dense<10>",
    "fashion-bn-pool": "Input<1,28,28>,Conv<8,5,1,2>,BatchNorm2d,{a},MaxPool2d<2,2>,"
                       "Conv<16,5,1,2>,BatchNorm2d,{a},MaxPool2d<2,2>,"
                       "Conv<32,3,1,1>,BatchNorm2d,{a},MaxPool2d<2,2>,Flatten,Dense<10>",
}


def study_architecture(activation, net="fashion"):
    """linconv's architecture string of the study's network `net` (a STUDY_NETS key: "fashion",
    the report's network, or "fashion-bn-pool") with --activation `activation`."""
    if net not in STUDY_NETS:
        raise ValueError(f"unknown network {net!r} (known: {', '.join(STUDY_NETS)})")
    return STUDY_NETS[net].format(a=STUDY_ACTIVATIONS[activation])
