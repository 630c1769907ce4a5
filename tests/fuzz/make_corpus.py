#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets: small valid and near-valid inputs.

    python3 tests/fuzz/make_corpus.py            # (re)writes tests/fuzz/corpus/{idx,safetensors}/seed-*

Deterministic (gzip with mtime 0, no file name), so rerunning it changes nothing. Only files
named seed-* (inputs to start from) and bug-* (hand-made reproducers of the findings in
README.md, which must pass once the reader is fixed) are written; inputs merged in from fuzzing
campaigns (named by their SHA-1) and libFuzzer's crash-* artifacts are left alone.
"""
import gzip
import json
import pathlib
import struct
import zlib

HERE = pathlib.Path(__file__).resolve().parent


def gz(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9, mtime=0)


def idx(magic: int, dims, payload: bytes) -> bytes:
    return struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in dims) + payload


def idx_seeds():
    img = bytes(range(2 * 3 * 4))                        # 2 images of 3x4
    images = idx(0x803, [2, 3, 4], img)
    labels = idx(0x801, [5], bytes([0, 1, 9, 3, 7]))
    one28 = idx(0x803, [1, 28, 28], bytes((i * 7) % 256 for i in range(28 * 28)))
    g_images = gz(images)
    seeds = {
        # valid
        "images-2x3x4": images,
        "images-2x3x4.gz": g_images,
        "labels-5": labels,
        "labels-5.gz": gz(labels),
        "images-1x28x28.gz": gz(one28),
        "labels-1": idx(0x801, [1], b"\x04"),
        "labels-10-big-values": idx(0x801, [10], bytes(range(246, 256))),
        "images-multimember.gz": gz(images[:10]) + gz(images[10:]),   # two gzip members
        # header problems
        "empty": b"",
        "short-magic": b"\x00\x00\x08",
        "short-dims": images[:9],
        "magic-2dims": idx(0x802, [2, 12], img),
        "magic-float": idx(0xD03, [2, 3, 4], img),
        "magic-4dims": idx(0x804, [1, 2, 3, 4], img),
        "zero-count": idx(0x803, [0, 3, 4], b""),
        "zero-labels": idx(0x801, [0], b""),
        "huge-dims": idx(0x803, [0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF], b""),
        "int-max-labels": idx(0x801, [0x7FFFFFFF], b"\x01\x02"),
        "over-int-max-labels": idx(0x801, [0x80000000], b"\x01"),
        "lying-header": idx(0x803, [60000, 28, 28], img),
        # payload problems
        "truncated-payload": images[:-3],
        "trailing-bytes": images + b"\x00\x01",
        "trailing-bytes.gz": gz(images + b"\xff"),
        "truncated-payload.gz": gz(images[:-1]),
        # gzip problems
        "cut-in-trailer.gz": g_images[:-3],
        "cut-in-deflate.gz": g_images[: len(g_images) // 2],
        "bad-crc.gz": g_images[:-8] + bytes([g_images[-8] ^ 0xFF]) + g_images[-7:],
        "bad-length.gz": g_images[:-4] + bytes([g_images[-4] ^ 0x01]) + g_images[-3:],
        "bad-deflate.gz": g_images[:10] + b"\xff\xff\xff\xff" + g_images[14:],
        "gzip-header-only.gz": g_images[:10],
        "gzip-then-garbage.gz": g_images + b"garbage!",
        "gzip-stored-block.gz": gzip.compress(labels, compresslevel=0, mtime=0),
        "zlib-not-gzip": zlib.compress(images),
    }
    return seeds


def safetensors(header, data: bytes = b"", pad: bool = True) -> bytes:
    text = header if isinstance(header, bytes) else json.dumps(header, separators=(",", ":")).encode()
    if pad:
        text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + data


def f32(*values) -> bytes:
    return struct.pack("<%df" % len(values), *values)


def i64(*values) -> bytes:
    return struct.pack("<%dq" % len(values), *values)


def entry(shape, begin, end, dtype="F32"):
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


def safetensors_seeds():
    two = {"__metadata__": {"format": "pt", "epoch": "3"},
           "conv.weight": entry([2, 3], 0, 24), "conv.bias": entry([2], 24, 32)}
    two_data = f32(0.5, -1.25, 3.0, 0.0, -0.0, 1e-30) + f32(7.0, -8.5)
    seeds = {
        # valid
        "two-tensors-metadata": safetensors(two, two_data),
        "no-tensors": safetensors({}),
        "metadata-only": safetensors({"__metadata__": {"k": "v", "": "empty key"}}),
        "scalar": safetensors({"s": entry([], 0, 4)}, f32(2.5)),
        "zero-size": safetensors({"z": entry([0, 5], 0, 0), "a": entry([1], 0, 4)}, f32(1.0)),
        "unpadded-pretty": safetensors(json.dumps({"b": entry([1], 4, 8), "a": entry([1], 0, 4)},
                                                  indent=2).encode(), f32(1.0, 2.0), pad=False),
        "unicode-name": safetensors({"w\u00e9ight\u2603": entry([1], 0, 4)}, f32(1.0)),
        "subnormal-and-max": safetensors({"x": entry([2], 0, 8)}, f32(1e-45, 3.4028234663852886e38)),
        # I64 (BatchNorm2d's num_batches_tracked, shape []): PyTorch's order (I64 first), and the
        # state_dict order, where the I64 tensor begins at an offset that is not a multiple of 8
        "i64-scalar": safetensors({"n": entry([], 0, 8, "I64")}, i64(2**40 + 7)),
        "i64-bn-pytorch-order": safetensors(
            {"__metadata__": {"format": "pt"}, "bn.num_batches_tracked": entry([], 0, 8, "I64"),
             "bn.bias": entry([1], 8, 12), "bn.weight": entry([1], 12, 16)},
            i64(600) + f32(0.5, 1.0)),
        "i64-after-f32": safetensors({"w": entry([3], 0, 12), "n": entry([], 12, 20, "I64"),
                                      "m": entry([2, 2], 20, 52, "I64")},
                                     f32(1.0, -2.0, 3.0) + i64(7, -1, -2**63, 2**63 - 1, 0)),
        "i64-nan-bits": safetensors({"n": entry([2], 0, 16, "I64")},  # NaN/Inf bits: valid I64
                                    f32(float("nan"), float("inf"), float("nan"), float("-inf"))),
        # length problems
        "short": b"\x08\x00\x00\x00",
        "length-past-end": struct.pack("<Q", 100) + b"{}",
        "length-absurd": struct.pack("<Q", 2**63) + b"{}",
        "length-zero": struct.pack("<Q", 0) + b"{}",
        # JSON problems
        "not-json": safetensors(b"{not json}   "),
        "json-array": safetensors(b"[1,2,3]"),
        "json-truncated": safetensors(b'{"a":{"dtype":"F32","sha'),
        "duplicate-key": safetensors(b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
                                     b'"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', f32(1.0)),
        "duplicate-inner-key": safetensors(b'{"a":{"dtype":"F32","dtype":"F32","shape":[1],'
                                           b'"data_offsets":[0,4]}}', f32(1.0)),
        "invalid-utf8-key": safetensors(b'{"\xff\xfe":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}',
                                        f32(1.0)),
        "escaped-key": safetensors(b'{"a\\u0000\\n\\ud83d\\ude00":{"dtype":"F32","shape":[1],'
                                   b'"data_offsets":[0,4]}}', f32(1.0)),
        "float-numbers": safetensors(b'{"a":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4.5e0]}}',
                                     f32(1.0)),
        "deep-nesting": safetensors(b'{"a":{"dtype":"F32","shape":' + b"[" * 200 + b"]" * 200 +
                                    b',"data_offsets":[0,0]}}'),
        # metadata problems
        "metadata-not-object": safetensors({"__metadata__": ["x"]}),
        "metadata-number": safetensors({"__metadata__": {"epoch": 3}}),
        # tensor entry problems
        "entry-not-object": safetensors({"a": [1, 2]}),
        "missing-offsets": safetensors({"a": {"dtype": "F32", "shape": [1]}}, f32(1.0)),
        "dtype-f16": safetensors({"a": entry([2], 0, 4, "F16")}, b"\x00" * 4),
        "dtype-number": safetensors({"a": entry([1], 0, 4, 32)}, f32(1.0)),
        "dtype-i32": safetensors({"a": entry([1], 0, 4, "I32")}, i64(1)[:4]),
        "i64-size-mismatch": safetensors({"a": entry([1], 0, 4, "I64")}, f32(1.0)),
        "i64-scalar-empty": safetensors({"a": entry([], 0, 0, "I64")}),
        "i64-huge-shape": safetensors({"a": entry([2**61], 0, 8, "I64")}, i64(1)),
        "negative-shape": safetensors({"a": entry([-1], 0, 4)}, f32(1.0)),
        "huge-shape": safetensors({"a": entry([2**62, 2**62], 0, 4)}, f32(1.0)),
        "shape-past-int64": safetensors({"a": entry([2**64 - 1], 0, 4)}, f32(1.0)),
        "offsets-reversed": safetensors({"a": entry([1], 4, 0)}, f32(1.0)),
        "offsets-three": safetensors({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4, 8]}},
                                     f32(1.0)),
        "size-mismatch": safetensors({"a": entry([2], 0, 4)}, f32(1.0)),
        "past-buffer": safetensors({"a": entry([2], 0, 8)}, f32(1.0)),
        "gap": safetensors({"a": entry([1], 0, 4), "b": entry([1], 8, 12)}, f32(1.0, 2.0, 3.0)),
        "overlap": safetensors({"a": entry([2], 0, 8), "b": entry([1], 4, 8)}, f32(1.0, 2.0)),
        "trailing-data": safetensors({"a": entry([1], 0, 4)}, f32(1.0, 2.0)),
        "nan": safetensors({"a": entry([2], 0, 8)}, f32(1.0, float("nan"))),
        "infinity": safetensors({"a": entry([1], 0, 4)}, f32(float("-inf"))),
    }
    return seeds


def safetensors_bugs():
    return {
        # nlohmann::json throws out_of_range (406), not parse_error, for a number that overflows
        # a double; read_safetensors lets it escape instead of throwing linconv::Error.
        "json-number-overflow": safetensors(b'{"a":1e999}'),
        # The error message for a bad shape dump()s it, and nlohmann's serializer recurses once
        # per nesting level: a deeply nested shape overflows the stack (SIGSEGV). Needs depth;
        # 200000 overflows an 8 MiB stack with either compiler (about 400 KB, compresses to ~1 KB).
        "deep-nesting-stack-overflow": safetensors(
            b'{"a":{"dtype":"F32","shape":' + b"[" * 200000 + b"]" * 200000 +
            b',"data_offsets":[0,0]}}'),
    }


def main():
    for target, seeds, bugs in (("idx", idx_seeds(), {}),
                                ("safetensors", safetensors_seeds(), safetensors_bugs())):
        out = HERE / "corpus" / target
        out.mkdir(parents=True, exist_ok=True)
        for old in [*out.glob("seed-*"), *out.glob("bug-*")]:
            old.unlink()
        for name, data in seeds.items():
            assert len(data) < 8192, name
            (out / ("seed-" + name)).write_bytes(data)
        for name, data in bugs.items():
            (out / ("bug-" + name)).write_bytes(data)
        print(f"{out}: {len(seeds)} seeds, {len(bugs)} reproducers")


if __name__ == "__main__":
    main()
