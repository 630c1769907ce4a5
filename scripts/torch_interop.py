#!/usr/bin/python3
"""Move models between linconv and PyTorch (Debian's python3-torch; run with /usr/bin/python3).

  to-torch    load a linconv checkpoint into the equivalent torch.nn.Module (strict
              load_state_dict) and compute logits for the first N images of an IDX file in
              eval() mode (BatchNorm2d uses its running statistics, as linconv's inference
              does); with --compare LOGITS.npy (from `linconv predict`) check that both agree.
  grad        the gradient of the training loss on the first N training images (one batch, in
              order) in train() mode (BatchNorm2d uses the batch's statistics, as linconv's
              training does), in float64; with --compare GRAD.safetensors (from `linconv
              grad`) check linconv's against it tensor by tensor, as the golden tests do.
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



def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        return f.read()


def read_idx_images(path, limit):
    data = read_idx(path)
    magic, count, rows, cols = np.frombuffer(data[:16], dtype=">u4")
    if magic != 0x803:
        sys.exit(f"torch_interop: error: {path}: not an IDX image file")
    count = min(int(count), limit)
    return np.frombuffer(data[16:16 + count * rows * cols], dtype=np.uint8).reshape(count, 1, rows, cols)


def read_idx_labels(path, limit):
    data = read_idx(path)
    magic, count = np.frombuffer(data[:8], dtype=">u4")
    if magic != 0x801:
        sys.exit(f"torch_interop: error: {path}: not an IDX label file")
    return np.frombuffer(data[8:8 + min(int(count), limit)], dtype=np.uint8)


def load_model(args):
    """The module of a linconv checkpoint (strict load_state_dict), its architecture and config."""
    tensors, metadata = lt.read_safetensors(args.checkpoint)
    arch = metadata.get("architecture") or lt.study_architecture(args.activation, args.net)
    model = lt.module_from_architecture(arch)
    # Strict: every name, shape and buffer of the checkpoint must be the module's.
    try:
        model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in tensors.items()},
                              strict=True)
    except RuntimeError as e:
        sys.exit(f"torch_interop: error: {args.checkpoint} does not fit {arch}: {e}")
    return model, arch, json.loads(metadata.get("config", "{}"))


def scaled(pixels, config):
    pixels = pixels.astype(np.float32)
    if config.get("input_scale", "unit") == "unit":
        pixels = pixels / np.float32(255)
    return torch.from_numpy(pixels)


def to_torch(args):
    model, arch, config = load_model(args)
    model.eval()  # BatchNorm2d: running statistics, not the batch's
    pixels = scaled(read_idx_images(args.images, args.limit), config)
    with torch.no_grad():
        logits = model(pixels).numpy()
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


def grad(args):
    model, arch, config = load_model(args)
    # In float64, as the golden tests: the reference is then exact to linconv's float32 rounding.
    model.double()
    model.train()  # BatchNorm2d: the batch's statistics, as in a training step
    images = os.path.join(args.data, "train-images-idx3-ubyte.gz")
    labels = os.path.join(args.data, "train-labels-idx1-ubyte.gz")
    x = scaled(read_idx_images(images, args.limit), config).double()
    y = torch.from_numpy(read_idx_labels(labels, args.limit).astype(np.int64))
    ce = torch.nn.functional.cross_entropy(model(x), y, reduction=args.reduction)
    alphas = [p for name, p in model.named_parameters() if name.endswith(".alpha")]
    penalty = args.lambda_ * sum(p.abs().sum() for p in alphas) if alphas else 0.0
    loss = ce + penalty
    loss.backward()
    print(f"{arch}: loss {float(loss):.6f} on {len(y)} images in PyTorch {torch.__version__} (train mode, float64)")
    if not args.compare:
        return
    ours, metadata = lt.read_safetensors(args.compare)
    params = dict(model.named_parameters())
    if set(ours) != set(params):
        sys.exit(f"torch_interop: error: {args.compare} holds {sorted(ours)}, the module's parameters are "
                 f"{sorted(params)}")
    # As the golden tests: |ours - torch| <= tol * |torch| + tol * max |torch|, tensor by tensor.
    # A convolution's bias right before a BatchNorm2d has the gradient 0 (batch norm subtracts
    # the batch mean): linconv's float32 value is the rounding noise of a sum of 10^4 to 10^5
    # terms that cancel, bounded on the scale of every gradient, |ours - torch| <= 10 tol times
    # the largest |torch| of all (measured on trained checkpoints: up to 1.3 tol).
    children = list(model.named_children())
    zero_gradient = {f"{name}.bias" for (name, m), (_, after) in zip(children, children[1:])
                     if isinstance(m, torch.nn.Conv2d) and isinstance(after, torch.nn.BatchNorm2d)}
    largest = max(float(np.max(np.abs(p.grad.numpy()))) for p in params.values()) or 1.0
    worst_name, worst = None, 0.0
    for name, p in params.items():
        theirs = p.grad.numpy()
        if ours[name].shape != theirs.shape:
            sys.exit(f"torch_interop: error: gradient {name} has shape {ours[name].shape}, PyTorch's {theirs.shape}")
        if name in zero_gradient:
            excess = float(np.max(np.abs(ours[name] - theirs))) / (10 * args.tolerance * largest)
        else:
            scale = float(np.max(np.abs(theirs))) or 1.0
            excess = float(np.max(np.abs(ours[name] - theirs) / (args.tolerance * (np.abs(theirs) + scale))))
        if excess > worst:
            worst_name, worst = name, excess
    loss_error = abs(float(metadata.get("loss", "nan")) - float(loss)) / abs(float(loss))
    print(f"gradients: the largest difference is {worst:.3g} of the allowed ({worst_name}); "
          f"loss differs by {loss_error:.3g} relative")
    if worst > 1.0:
        sys.exit(f"torch_interop: error: gradient {worst_name} differs by {worst:.3g} times the tolerance")
    # `linconv grad` prints the loss with 6 decimals into its metadata.
    if not loss_error <= 1e-5:
        sys.exit(f"torch_interop: error: the loss differs by {loss_error:.3g} relative")


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
    g = commands.add_parser("grad", help="training-mode gradient of a linconv checkpoint in PyTorch")
    g.add_argument("--checkpoint", required=True)
    g.add_argument("--data", default="/usr/share/datasets/fashion-mnist",
                   help="FashionMNIST directory (train-*-idx*-ubyte.gz)")
    g.add_argument("--limit", type=int, default=100, help="the batch: the first N training images")
    g.add_argument("--lambda", dest="lambda_", type=float, default=0.5,
                   help="weight of the penalty lambda * sum |alpha| (default 0.5, as linconv grad)")
    g.add_argument("--reduction", choices=["mean", "sum"], default="mean")
    g.add_argument("--activation", choices=lt.STUDY_ACTIVATIONS, default="alpha",
                   help="activation of a checkpoint without architecture metadata")
    g.add_argument("--net", choices=lt.STUDY_NETS, default="fashion",
                   help="network of a checkpoint without architecture metadata (default fashion)")
    g.add_argument("--compare", help="linconv's gradients (.safetensors from `linconv grad`)")
    g.add_argument("--tolerance", type=float, default=1e-5,
                   help="tol in |ours - torch| <= tol * |torch| + tol * max |torch| (default 1e-5)")
    f = commands.add_parser("from-torch", help="PyTorch init -> safetensors for linconv train --init")
    f.add_argument("--activation", choices=lt.STUDY_ACTIVATIONS, default="alpha")
    f.add_argument("--net", choices=lt.STUDY_NETS, default="fashion",
                   help="the study's network: fashion (default) or fashion-bn-pool")
    f.add_argument("--alpha-init", type=float, default=0.5)
    f.add_argument("--seed", type=int, default=0)
    f.add_argument("--output", required=True)
    args = parser.parse_args()
    {"to-torch": to_torch, "grad": grad, "from-torch": from_torch}[args.command](args)


if __name__ == "__main__":
    main()
