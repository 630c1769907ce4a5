"""linconv <-> PyTorch interop: safetensors files without the safetensors package, the
ReLU_alpha activation, and the PyTorch twin of any network linconv's templates can express.

Importable library (no command line); used by tests/golden/make_golden.py. Needs numpy and
torch (Debian: python3-numpy, python3-torch; run with /usr/bin/python3).

    import sys; sys.path.insert(0, "scripts")
    import linconv_torch as lt
    tensors, metadata = lt.read_safetensors("model.safetensors")
    model = lt.module_from_architecture(metadata["architecture"])
    model.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items()})

Names and layouts follow /work/shared/CONVENTIONS.md ("Checkpoints"): submodules are named
<kind><n>, counted per kind in network order (conv, act, flatten, fc), so the state_dict keys
are linconv's checkpoint names (conv1.weight OIHW, act1.alpha [1], fc1.weight [out, C*H*W]).
"""

import collections
import json
import re
import struct

import numpy as np
import torch

__all__ = ["read_safetensors", "write_safetensors", "ReLUAlpha", "Dense",
           "module_from_architecture", "parse_architecture", "STUDY_ACTIVATIONS", "study_architecture"]

# safetensors dtype -> numpy little-endian dtype (everything is returned as float32).
_DTYPES = {"F32": "<f4", "F64": "<f8", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
           "I8": "i1", "U8": "u1", "BOOL": "?"}


def read_safetensors(path):
    """Reads a safetensors file: (dict name -> float32 np.ndarray in file order, metadata dict).

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
        tensors[name] = values.astype(np.float32)
    return dict(tensors), metadata


def _as_array(value):
    if hasattr(value, "detach"):  # a torch tensor
        value = value.detach().cpu().numpy()
    return np.ascontiguousarray(np.asarray(value, dtype=np.float32))


def write_safetensors(path, tensors, metadata=None):
    """Writes `tensors` (name -> array or torch tensor, any float dtype; stored as little-endian
    F32, in insertion order) and `metadata` (str -> str) as a safetensors file. The header is
    padded with spaces to a multiple of 8 bytes."""
    header = collections.OrderedDict()
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    chunks, offset = [], 0
    for name, value in tensors.items():
        if name == "__metadata__":
            raise ValueError("__metadata__ is a reserved name")
        array = _as_array(value)
        raw = array.astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape),
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
    ReLUAlpha / ReLU / Identity (kind act), Flatten (kind flatten), Dense<N> (kind fc)."""
    layers = parse_architecture(arch)
    if not layers or layers[0][0] != "Input" or len(layers[0][1]) != 3:
        raise ValueError(f"architecture {arch!r} must start with Input<C,H,W>")
    c, h, w = layers[0][1]
    modules, counts = collections.OrderedDict(), collections.Counter()

    def add(kind, module):
        counts[kind] += 1
        modules[f"{kind}{counts[kind]}"] = module

    for index, (name, args) in enumerate(layers[1:]):
        where = f"layer {index} ({name}) of {arch!r}"
        if name == "Conv":
            if len(args) != 4:
                raise ValueError(f"{where}: Conv takes <out,kernel,stride,pad>")
            out, k, s, p = args
            add("conv", torch.nn.Conv2d(c, out, k, stride=s, padding=p))
            c, h, w = out, (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
        elif name in ("ReLUAlpha", "ReLU", "Identity"):
            if args:
                raise ValueError(f"{where}: {name} takes no arguments")
            add("act", {"ReLUAlpha": lambda: ReLUAlpha(alpha_init), "ReLU": torch.nn.ReLU,
                        "Identity": torch.nn.Identity}[name]())
        elif name == "Flatten":
            add("flatten", torch.nn.Flatten())
            c, h, w = c * h * w, 1, 1
        elif name == "Dense":
            if len(args) != 1:
                raise ValueError(f"{where}: Dense takes <N>")
            if h != 1 or w != 1:
                raise ValueError(f"{where}: Dense needs a flat input, got {c}x{h}x{w}")
            add("fc", Dense(c, args[0]))
            c = args[0]
        else:
            raise ValueError(f"{where}: unknown layer")
    model = torch.nn.Sequential(modules)
    model.architecture = arch
    return model


# The report's network (linconv::FashionNetWith<A>): --activation -> linconv's activation layer.
STUDY_ACTIVATIONS = {"alpha": "ReLUAlpha", "relu": "ReLU", "linear": "Identity"}


def study_architecture(activation):
    """linconv's architecture string of the report's network with --activation `activation`."""
    act = STUDY_ACTIVATIONS[activation]
    return (f"Input<1,28,28>,Conv<8,5,1,2>,{act},Conv<16,5,1,2>,{act},Conv<32,3,1,1>,{act},"
            "Flatten,Dense<10>")
