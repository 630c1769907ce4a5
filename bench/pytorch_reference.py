#!/usr/bin/python3
"""PyTorch twin of `linconv train`: the report's network in plain PyTorch, for side-by-side
accuracy and speed comparisons with the C++ library.

The network, loss, initialisation, optimiser, flags and output files follow
/work/shared/CONVENTIONS.md (the project's contract):

    input 1x28x28 -> conv1 (1->8, k5, p2)   -> act1
                  -> conv2 (8->16, k5, p2)  -> act2
                  -> conv3 (16->32, k3, p1) -> act3
                  -> flatten (C,H,W, 25088) -> fc1 (25088->10) -> logits
    ReLU_alpha(x) = relu(x) - (1 - alpha) * relu(-x)      (alpha learnable, shape [1])
    loss = cross_entropy(logits, y, reduction=mean|sum) + lambda * sum |alpha|

`--activation relu|linear` replaces every ReLU_alpha by a fixed ReLU / identity (no alpha
tensor). Weights and biases keep PyTorch's default initialisation, U(-1/sqrt(fan_in),
+1/sqrt(fan_in)); the optimiser is torch.optim.Adam with its defaults apart from --lr.

The module, ReLU_alpha and the safetensors reader/writer are the shared ones of
scripts/linconv_torch.py: the network is module_from_architecture() of linconv's architecture
string for the activation (linconv_torch.study_architecture), so the state_dict names are
the checkpoint names of the contract (conv1.weight, act1.alpha, ...).

Data: the FashionMNIST IDX files in --data (gzip or plain), read with gzip + numpy (no
torchvision), kept as uint8 and converted to float per batch (pixels / 255 with
--input-scale unit, 0..255 with raw).

Training mode (default) prints one line per epoch (train loss, test loss, test accuracy,
seconds, images/s) and the final alphas. With --out DIR it writes, as `linconv train` does:
  config.json        the flags, plus the torch version and thread count;
  metrics.csv        one row per optimiser step: step,epoch,loss,ce,penalty,alpha1,alpha2,alpha3,
                     grad_alpha1,grad_alpha2,grad_alpha3 (alphas after the update, gradients of
                     the step, penalty included; alpha cells empty for fixed activations);
  epochs.csv         epoch,train_loss,test_loss,test_acc,seconds,images_per_s; train_loss is the
                     mean step loss (CE + penalty), test_loss the mean per-image CE, seconds and
                     images_per_s cover the training steps of the epoch only (evaluation excluded);
  model.safetensors  the state_dict (F32, written without the safetensors package), with
                     __metadata__ architecture (the string linconv writes), architecture_hash
                     (FNV-1a 64, as linconv), framework and config (the config.json dict);
                     `linconv eval --checkpoint` reads it.

Benchmark mode (--bench) trains nothing: it times (a) optimiser steps at --batch on random
images (warm-up, then --bench-steps steps; median step time -> images/s) and (b) inference
latency for one image and for a batch (model.eval(), torch.no_grad(); median over
--infer-calls calls), and prints a table whose names follow linconv_bench
(train_step/batch:100, infer/batch:1, ...). With --out DIR it also writes DIR/bench.csv:
name,threads,calls,median_s,mean_s,min_s,images_per_s,torch_version (images_per_s from the
median). bench/compare.py runs this mode next to linconv_bench and reads bench.csv.

Threads: torch may start with a single intra-op thread (torch.get_num_threads() is 1 on some
machines even with OMP_NUM_THREADS unset), so --threads (default 2) sets OMP_NUM_THREADS before
torch is imported and calls torch.set_num_threads(); the number actually in use is printed.

Run it with Debian's interpreter (python3-torch): /usr/bin/python3 bench/pytorch_reference.py --help

Exit status: 0 on success, 2 on bad usage, 1 on any other failure.
"""

import argparse
import gzip
import json
import os
import statistics
import struct
import sys
import time
from pathlib import Path

import numpy as np

PROG = "pytorch_reference"
DEFAULT_DATA = os.environ.get("LINCONV_DATA") or "/usr/share/datasets/fashion-mnist"
SHUFFLE_SEED_MIX = 0x9E3779B97F4A7C15  # separate shuffle stream, as linconv's shuffle_seed()
SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"  # linconv_torch.py

# Imported in main(), after OMP_NUM_THREADS is set from --threads (linconv_torch imports torch
# too).
torch = None
F = None
lt = None  # scripts/linconv_torch.py


class Failure(Exception):
    """An error reported as `pytorch_reference: error: ...`, exit status 1."""


class UsageFailure(Failure):
    """A bad flag value found after parsing; exit status 2."""


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------

def _find_idx(directory, name):
    """The path of IDX file `name` in `directory`, plain or with .gz."""
    for candidate in (Path(directory) / name, Path(directory) / (name + ".gz")):
        if candidate.is_file():
            return candidate
    raise Failure(f"{Path(directory) / name}[.gz]: no such file (set --data or $LINCONV_DATA)")


def _read_bytes(path):
    try:
        with open(path, "rb") as f:
            head = f.read(2)
        opener = gzip.open if head == b"\x1f\x8b" else open
        with opener(path, "rb") as f:
            return f.read()
    except (OSError, EOFError) as e:
        raise Failure(f"{path}: cannot read: {e}") from e


def read_idx(path, expect_rank):
    """An IDX file (unsigned byte data) as a uint8 numpy array, with its header validated."""
    data = _read_bytes(path)
    if len(data) < 4:
        raise Failure(f"{path}: too short for an IDX header ({len(data)} bytes)")
    zero, dtype, rank = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08 or rank != expect_rank:
        raise Failure(f"{path}: bad IDX magic 0x{data[:4].hex()}, expected 0x000008{expect_rank:02x}"
                      f" (unsigned bytes, rank {expect_rank})")
    header = 4 + 4 * rank
    if len(data) < header:
        raise Failure(f"{path}: truncated IDX header")
    dims = struct.unpack(">" + "I" * rank, data[4:header])
    count = int(np.prod(dims, dtype=np.int64))
    if len(data) - header != count:
        raise Failure(f"{path}: {len(data) - header} data bytes, dimensions {list(dims)} need {count}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def load_split(directory, split):
    """(images uint8 [N,28,28], labels uint8 [N]) of split 'train' or 't10k'."""
    image_path = _find_idx(directory, f"{split}-images-idx3-ubyte")
    label_path = _find_idx(directory, f"{split}-labels-idx1-ubyte")
    images = read_idx(image_path, 3)
    labels = read_idx(label_path, 1)
    if images.shape[1:] != (28, 28):
        raise Failure(f"{image_path}: images are {images.shape[1]}x{images.shape[2]}, expected 28x28")
    if images.shape[0] != labels.shape[0]:
        raise Failure(f"{label_path}: {labels.shape[0]} labels for {images.shape[0]} images in {image_path}")
    if labels.size and labels.max() > 9:
        raise Failure(f"{label_path}: label {int(labels.max())} out of range 0..9")
    return images, labels


def to_batch(images_u8, scale):
    """uint8 [n,28,28] tensor -> float32 [n,1,28,28], pixels / 255 (unit) or 0..255 (raw)."""
    x = images_u8.unsqueeze(1).to(torch.float32)
    return x.div_(255.0) if scale == "unit" else x


# --------------------------------------------------------------------------------------------
# Model
# --------------------------------------------------------------------------------------------

def architecture(activation):
    """linconv's architecture string of the report's network with --activation `activation`."""
    return lt.study_architecture(activation)


def build_model(activation, alpha_init):
    """The report's network (linconv_torch.module_from_architecture: a torch.nn.Sequential with
    submodules conv1, act1, ..., fc1, so state_dict keys are the checkpoint names)."""
    return lt.module_from_architecture(architecture(activation), alpha_init)


def alphas(model):
    """The alpha parameters in network order (empty for fixed activations)."""
    return [m.alpha for m in model if isinstance(m, lt.ReLUAlpha)]


def training_loss(model, logits, labels, lam, reduction):
    """(loss, ce, penalty) with loss = CE(reduction) + lambda * sum |alpha|."""
    ce = F.cross_entropy(logits, labels, reduction=reduction)
    params = alphas(model)
    penalty = lam * sum(a.abs().sum() for a in params) if params else torch.zeros(())
    return ce + penalty, ce, penalty


# --------------------------------------------------------------------------------------------
# Checkpoints (linconv_torch's safetensors reader and writer)
# --------------------------------------------------------------------------------------------

def _fnv1a(text):
    """linconv's architecture_hash: FNV-1a 64 of the architecture string, 16 hex digits."""
    value = 0xCBF29CE484222325
    for byte in text.encode():
        value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{value:016x}"


def save_checkpoint(path, model, activation, config):
    """model.state_dict() as F32 safetensors with linconv's metadata, written atomically."""
    arch = architecture(activation)
    tmp = Path(str(path) + ".tmp")
    lt.write_safetensors(tmp, model.state_dict(),
                         {"architecture": arch, "architecture_hash": _fnv1a(arch),
                          "framework": "pytorch", "config": json.dumps(config)})
    os.replace(tmp, path)


def load_checkpoint(path):
    """{name: float32 tensor} of a safetensors file (other float dtypes are converted)."""
    try:
        arrays, _ = lt.read_safetensors(path)
    except OSError as e:
        raise Failure(f"{path}: not a readable safetensors file: {e.strerror or e}") from e
    except ValueError as e:
        raise Failure(str(e)) from e
    except (KeyError, TypeError, AttributeError) as e:
        raise Failure(f"{path}: not a readable safetensors file: malformed header ({e!r})") from e
    return {name: torch.from_numpy(array) for name, array in arrays.items()}


# --------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------

def evaluate(model, images, labels, batch, scale):
    """(mean per-image cross-entropy, accuracy) over a whole split."""
    model.eval()
    ce_sum, correct = 0.0, 0
    with torch.no_grad():
        for first in range(0, len(labels), batch):
            logits = model(to_batch(images[first:first + batch], scale))
            y = labels[first:first + batch]
            ce_sum += F.cross_entropy(logits, y, reduction="sum").item()
            correct += int((logits.argmax(1) == y).sum())
    model.train()
    return ce_sum / len(labels), correct / len(labels)


def _cells(values):
    """Three CSV cells, empty where there is no alpha."""
    return [f"{v:.9g}" for v in values] + [""] * (3 - len(values))


class Progress:
    """A progress line on stderr: rewritten in place on a terminal, every 10 % otherwise."""

    def __init__(self):
        self.terminal = sys.stderr.isatty()
        self.shown = 0.0

    def update(self, epoch, epochs, step, steps, loss, alphas, images_per_s):
        now, last = time.monotonic(), step == steps
        if self.terminal and now - self.shown < 0.2 and not last:
            return
        if not self.terminal and step % max(1, steps // 10) and not last:
            return
        self.shown = now
        text = "".join(f"  act{i + 1}.alpha {a:.4f}" for i, a in enumerate(alphas))
        line = f"epoch {epoch}/{epochs}  step {step}/{steps}  loss {loss:.4f}{text}  {images_per_s:.0f} images/s"
        sys.stderr.write(("\r\033[K" + line + ("\n" if last else "")) if self.terminal else line + "\n")
        sys.stderr.flush()


def train(args):
    train_images, train_labels = load_split(args.data, "train")
    test_images, test_labels = load_split(args.data, "t10k")
    if args.limit is not None and args.limit > len(train_labels):
        raise UsageFailure(f"--limit {args.limit} exceeds the {len(train_labels)} training images")
    count = args.limit if args.limit is not None else len(train_labels)
    train_x = torch.from_numpy(train_images[:count].copy())  # uint8, converted per batch
    train_y = torch.from_numpy(train_labels[:count].astype(np.int64))
    test_x = torch.from_numpy(test_images.copy())
    test_y = torch.from_numpy(test_labels.astype(np.int64))

    torch.manual_seed(args.seed)
    model = build_model(args.activation, args.alpha_init)
    if args.init:
        tensors = load_checkpoint(args.init)
        try:
            model.load_state_dict(tensors, strict=True)
        except RuntimeError as e:
            detail = " ".join(str(e).split())
            raise Failure(f"{args.init}: does not fit the {args.activation} network: {detail}") from e
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    shuffler = torch.Generator().manual_seed(args.seed ^ SHUFFLE_SEED_MIX)

    config = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k != "bench"}
    config.update(implementation="pytorch", torch_version=torch.__version__,
                  threads_in_use=torch.get_num_threads(), shuffle=not args.no_shuffle)
    metrics = epochs_csv = None
    if args.out:
        try:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
            metrics = open(args.out / "metrics.csv", "w")
            epochs_csv = open(args.out / "epochs.csv", "w")
        except OSError as e:
            raise Failure(f"--out {args.out}: cannot write: {e}") from e
        metrics.write("step,epoch,loss,ce,penalty,alpha1,alpha2,alpha3,grad_alpha1,grad_alpha2,grad_alpha3\n")
        epochs_csv.write("epoch,train_loss,test_loss,test_acc,seconds,images_per_s\n")

    print(f"pytorch {torch.__version__}: {args.activation}, {count} training images, batch {args.batch}, "
          f"lr {args.lr:g}, lambda {args.lambda_:g}, reduction {args.reduction}, input {args.input_scale}, "
          f"seed {args.seed}, {torch.get_num_threads()} thread(s)", flush=True)
    steps_per_epoch = (count + args.batch - 1) // args.batch
    progress, step, stop, test_acc = Progress(), 0, False, 0.0
    model.train()
    for epoch in range(1, args.epochs + 1):
        if stop:
            break
        order = (torch.arange(count) if args.no_shuffle
                 else torch.randperm(count, generator=shuffler))
        start = time.perf_counter()
        loss_sum, epoch_steps, epoch_images = 0.0, 0, 0
        for first in range(0, count, args.batch):
            idx = order[first:first + args.batch]
            x, y = to_batch(train_x[idx], args.input_scale), train_y[idx]
            optimizer.zero_grad(set_to_none=True)
            loss, ce, penalty = training_loss(model, model(x), y, args.lambda_, args.reduction)
            loss.backward()
            optimizer.step()
            loss_value = loss.item()
            if not np.isfinite(loss_value):
                raise Failure(f"training diverged: the loss is {loss_value} at step {step + 1}")
            step += 1
            epoch_steps += 1
            epoch_images += len(idx)
            loss_sum += loss_value
            values = [a.item() for a in alphas(model)]
            if metrics:
                grads = [a.grad.item() for a in alphas(model)]
                metrics.write(",".join([str(step), str(epoch), f"{loss_value:.9g}", f"{ce.item():.9g}",
                                        f"{float(penalty):.9g}"] + _cells(values) + _cells(grads)) + "\n")
            progress.update(epoch, args.epochs, epoch_steps, steps_per_epoch, loss_value, values,
                            epoch_images / (time.perf_counter() - start))
            if args.steps is not None and step >= args.steps:
                stop = True
                break
        seconds = time.perf_counter() - start

        test_loss, test_acc = evaluate(model, test_x, test_y, args.batch, args.input_scale)
        train_loss = loss_sum / epoch_steps
        if epochs_csv:
            epochs_csv.write(f"{epoch},{train_loss:.9g},{test_loss:.9g},{test_acc:.9g},"
                             f"{seconds:.3f},{epoch_images / seconds:.1f}\n")
            epochs_csv.flush()
            metrics.flush()
            save_checkpoint(args.out / "model.safetensors", model, args.activation, config)
        print(f"epoch {epoch}: train loss {train_loss:.4f}  test loss {test_loss:.4f}  "
              f"test accuracy {test_acc:.4f}  {seconds:.1f} s  {epoch_images / seconds:.0f} images/s",
              flush=True)

    final = "".join(f"  act{i + 1}.alpha {a.item():.4f}" for i, a in enumerate(alphas(model)))
    print(f"test accuracy {test_acc:.4f}{final or '  (no alphas: ' + args.activation + ')'}")
    if args.out:
        metrics.close()
        epochs_csv.close()
        print(f"wrote {args.out}/epochs.csv, metrics.csv, model.safetensors")


# --------------------------------------------------------------------------------------------
# Benchmark
# --------------------------------------------------------------------------------------------

def _time_calls(fn, calls, warmup):
    """(median, mean, min) seconds of `calls` timed calls of fn after `warmup` untimed ones."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), statistics.fmean(times), min(times)


def bench(args):
    """Median times of an optimiser step and of inference, on random images as linconv_bench."""
    torch.manual_seed(args.seed)
    model = build_model(args.activation, args.alpha_init)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    g = torch.Generator().manual_seed(7)
    scale = 1.0 if args.input_scale == "unit" else 255.0
    images = torch.rand(args.batch, 1, 28, 28, generator=g) * scale
    labels = torch.arange(args.batch) % 10

    def train_step():
        optimizer.zero_grad(set_to_none=True)
        loss, _, _ = training_loss(model, model(images), labels, args.lambda_, args.reduction)
        loss.backward()
        optimizer.step()

    rows = []
    model.train()
    median, mean, best = _time_calls(train_step, args.bench_steps, args.warmup)
    rows.append((f"train_step/batch:{args.batch}", args.bench_steps, median, mean, best, args.batch))

    model.eval()
    with torch.no_grad():
        for batch, calls in ((1, args.infer_calls), (args.batch, max(10, args.infer_calls // 10))):
            x = images[:1] if batch == 1 else images
            median, mean, best = _time_calls(lambda: model(x), calls, max(5, args.warmup))
            rows.append((f"infer/batch:{batch}", calls, median, mean, best, batch))

    print(f"pytorch {torch.__version__}, {args.activation}, {torch.get_num_threads()} thread(s) "
          f"(OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}), median of timed calls after warm-up")
    print(f"{'benchmark':<24}{'calls':>7}{'median':>12}{'min':>12}{'images/s':>12}")
    for name, calls, median, _, best, batch in rows:
        unit, factor = ("ms", 1e3) if median >= 1e-3 else ("us", 1e6)
        print(f"{name:<24}{calls:>7}{median * factor:>9.3f} {unit}{best * factor:>9.3f} {unit}"
              f"{batch / median:>12.1f}")
    if args.out:
        try:
            args.out.mkdir(parents=True, exist_ok=True)
            with open(args.out / "bench.csv", "w") as f:
                f.write("name,threads,calls,median_s,mean_s,min_s,images_per_s,torch_version\n")
                for name, calls, median, mean, best, batch in rows:
                    f.write(f"{name},{torch.get_num_threads()},{calls},{median:.9g},{mean:.9g},"
                            f"{best:.9g},{batch / median:.1f},{torch.__version__}\n")
        except OSError as e:
            raise Failure(f"--out {args.out}: cannot write: {e}") from e
        print(f"wrote {args.out}/bench.csv")


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------

def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def _float(lowest, strict):
    def parse(text):
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a number, got {text!r}")
        if not np.isfinite(value) or value < lowest or (strict and value == lowest):
            raise argparse.ArgumentTypeError(
                f"must be {'>' if strict else '>='} {lowest:g}, got {text!r}")
        return value
    return parse


def _seed(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer 0 .. 2^64-1, got {text!r}")
    if not 0 <= value < 2 ** 64:
        raise argparse.ArgumentTypeError(f"must be an integer 0 .. 2^64-1, got {text!r}")
    return value


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog=PROG,
        description="PyTorch twin of `linconv train` (the report's CNN on FashionMNIST with "
                    "ReLU_alpha activations), for side-by-side accuracy and speed comparisons. "
                    "With --bench: time training steps and inference instead of training.",
        epilog="Examples:\n"
               "  /usr/bin/python3 bench/pytorch_reference.py --activation relu --epochs 3 --threads 2\n"
               "  /usr/bin/python3 bench/pytorch_reference.py --limit 2000 --epochs 1 --out runs/torch\n"
               "  /usr/bin/python3 bench/pytorch_reference.py --bench --threads 1\n"
               "Run with Debian's /usr/bin/python3 (python3-torch).",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=Path(DEFAULT_DATA),
                   help="FashionMNIST directory, IDX files gzip or plain (also $LINCONV_DATA; default %(default)s)")
    p.add_argument("--activation", choices=("alpha", "relu", "linear"), default="alpha",
                   help="alpha: learnable ReLU_alpha; relu: alpha fixed at 1; linear: alpha fixed at 0 "
                        "(default %(default)s)")
    p.add_argument("--lambda", dest="lambda_", type=_float(0.0, False), default=0.5, metavar="L",
                   help="weight of the penalty lambda * sum |alpha| (default %(default)s)")
    p.add_argument("--epochs", type=_positive_int, default=3, help="passes over the training images (default %(default)s)")
    p.add_argument("--batch", type=_positive_int, default=100, help="images per optimiser step (default %(default)s)")
    p.add_argument("--lr", type=_float(0.0, True), default=1e-3, help="Adam learning rate (default %(default)s)")
    p.add_argument("--alpha-init", type=float, default=0.5, help="initial value of every alpha (default %(default)s)")
    p.add_argument("--reduction", choices=("mean", "sum"), default="mean",
                   help="cross-entropy over the batch: mean (PyTorch's) or sum (default %(default)s)")
    p.add_argument("--input-scale", choices=("unit", "raw"), default="unit",
                   help="unit: pixels / 255; raw: pixels 0..255 (default %(default)s)")
    p.add_argument("--seed", type=_seed, default=0,
                   help="seed of initialisation (torch.manual_seed) and shuffling (default %(default)s)")
    p.add_argument("--threads", type=_positive_int, default=2,
                   help="torch intra-op threads: sets OMP_NUM_THREADS and torch.set_num_threads "
                        "(default %(default)s)")
    p.add_argument("--limit", type=_positive_int, metavar="N", help="train on the first N training images only")
    p.add_argument("--steps", type=_positive_int, metavar="N", help="stop after N optimiser steps")
    p.add_argument("--no-shuffle", action="store_true", help="keep the training images in file order")
    p.add_argument("--init", type=Path, metavar="CKPT",
                   help="start from this checkpoint (.safetensors, F32, PyTorch names) instead of a random init")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="write config.json, metrics.csv, epochs.csv, model.safetensors (bench: bench.csv) here")
    b = p.add_argument_group("benchmark mode")
    b.add_argument("--bench", action="store_true",
                   help="time training steps at --batch and inference (batch 1 and --batch) instead of training")
    b.add_argument("--warmup", type=_positive_int, default=10, help="untimed calls before timing (default %(default)s)")
    b.add_argument("--bench-steps", type=_positive_int, default=50,
                   help="timed optimiser steps (default %(default)s)")
    b.add_argument("--infer-calls", type=_positive_int, default=200,
                   help="timed one-image inference calls; batch inference uses a tenth (default %(default)s)")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    # Torch reads OMP_NUM_THREADS when its thread pool starts; set it first, then set_num_threads
    # (on some machines torch otherwise runs with 1 thread whatever the core count).
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    global torch, F, lt
    import torch as torch_module
    torch = torch_module
    F = torch.nn.functional
    sys.path.insert(0, str(SCRIPTS))
    import linconv_torch
    lt = linconv_torch
    torch.set_num_threads(args.threads)
    if torch.get_num_threads() != args.threads:
        print(f"{PROG}: warning: asked for {args.threads} threads, torch uses {torch.get_num_threads()}",
              file=sys.stderr)
    try:
        (bench if args.bench else train)(args)
    except UsageFailure as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    except Failure as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
