#!/usr/bin/python3
"""Move models between linconv and PyTorch (Debian's python3-torch; run with /usr/bin/python3).

  to-torch    load a linconv checkpoint into the equivalent torch.nn.Module (strict
              load_state_dict) and compute logits for the first N images of an IDX file in
              eval() mode (BatchNorm2d uses its running statistics, as linconv's inference
              does); with --compare LOGITS.npy (from `linconv predict`) check that both agree.
  from-torch  write a PyTorch-initialised state_dict as safetensors (no metadata), which
              `linconv train --init FILE --net NET --activation A` trains further; for
              --net fashion-bn-pool it holds BatchNorm2d's buffers too (num_batches_tracked as
              I64, shape []).

Example (the CTest interop.roundtrip does the same):
  linconv predict --checkpoint run/model.safetensors --images t10k-images-idx3-ubyte.gz \\
      --limit 100 --output ours.npy
  scripts/torch_interop.py to-torch --checkpoint run/model.safetensors \\
      --images t10k-images-idx3-ubyte.gz --limit 100 --compare ours.npy
"""

import argparse
import gzip
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import linconv_torch as lt  # noqa: E402



def read_idx_images(path, limit):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    magic, count, rows, cols = np.frombuffer(data[:16], dtype=">u4")
    if magic != 0x803:
        sys.exit(f"torch_interop: error: {path}: not an IDX image file")
    count = min(int(count), limit)
    return np.frombuffer(data[16:16 + count * rows * cols], dtype=np.uint8).reshape(count, 1, rows, cols)


def to_torch(args):
    tensors, metadata = lt.read_safetensors(args.checkpoint)
    arch = metadata.get("architecture") or lt.study_architecture(args.activation, args.net)
    model = lt.module_from_architecture(arch)
    # Strict: every name, shape and buffer of the checkpoint must be the module's.
    try:
        model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in tensors.items()},
                              strict=True)
    except RuntimeError as e:
        sys.exit(f"torch_interop: error: {args.checkpoint} does not fit {arch}: {e}")
    model.eval()  # BatchNorm2d: running statistics, not the batch's
    config = json.loads(metadata.get("config", "{}"))
    pixels = read_idx_images(args.images, args.limit).astype(np.float32)
    if config.get("input_scale", "unit") == "unit":
        pixels = pixels / np.float32(255)
    with torch.no_grad():
        logits = model(torch.from_numpy(pixels)).numpy()
    print(f"{arch}: logits of {len(logits)} images computed in PyTorch {torch.__version__}")
    if args.output:
        np.save(args.output, logits)
    if args.compare:
        ours = np.load(args.compare)
        if ours.shape != logits.shape:
            sys.exit(f"torch_interop: error: {args.compare} has shape {ours.shape}, PyTorch gives {logits.shape}")
        error = float(np.max(np.abs(ours - logits)) / np.max(np.abs(logits)))
        same_class = float(np.mean(ours.argmax(1) == logits.argmax(1)))
        print(f"max |linconv - torch| / max |torch| = {error:.3g}; same class for {same_class:.1%}")
        if error > args.tolerance:
            sys.exit(f"torch_interop: error: logits differ by {error:.3g} relative (> {args.tolerance})")


def from_torch(args):
    torch.manual_seed(args.seed)
    model = lt.module_from_architecture(lt.study_architecture(args.activation, args.net),
                                        args.alpha_init)
    lt.write_safetensors(args.output, model.state_dict())
    print(f"wrote a PyTorch-initialised {args.net} {args.activation} state_dict to {args.output}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    t = commands.add_parser("to-torch", help="linconv checkpoint -> PyTorch logits")
    t.add_argument("--checkpoint", required=True)
    t.add_argument("--images", default="/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")
    t.add_argument("--limit", type=int, default=100)
    t.add_argument("--activation", choices=lt.STUDY_ACTIVATIONS, default="alpha",
                   help="activation of a checkpoint without architecture metadata")
    t.add_argument("--net", choices=lt.STUDY_NETS, default="fashion",
                   help="network of a checkpoint without architecture metadata (default fashion)")
    t.add_argument("--output", help="write PyTorch's logits here (.npy)")
    t.add_argument("--compare", help="linconv's logits (.npy) to compare with")
    t.add_argument("--tolerance", type=float, default=1e-5,
                   help="largest max|difference| / max|logit| accepted (default 1e-5)")
    f = commands.add_parser("from-torch", help="PyTorch init -> safetensors for linconv train --init")
    f.add_argument("--activation", choices=lt.STUDY_ACTIVATIONS, default="alpha")
    f.add_argument("--net", choices=lt.STUDY_NETS, default="fashion",
                   help="the study's network: fashion (default) or fashion-bn-pool")
    f.add_argument("--alpha-init", type=float, default=0.5)
    f.add_argument("--seed", type=int, default=0)
    f.add_argument("--output", required=True)
    args = parser.parse_args()
    (to_torch if args.command == "to-torch" else from_torch)(args)


if __name__ == "__main__":
    main()
