#!/usr/bin/python3
"""linconv against PyTorch and ONNX Runtime, in one command: runs linconv_bench and
bench/pytorch_reference.py --bench on the same network and batches (and, where it is installed,
bench/onnxruntime_reference.mjs on the same network exported to ONNX), and prints one table of
the median times, images/s and the ratios (other time / linconv time), headed by the machine,
the date and the commit.

What is compared (wall-clock time of one call):
  infer/batch:1                   one-image inference, 1 thread each
  infer/batch:100                 batch inference, 1 thread each
  train_step/batch:100            one optimiser step of 100 images, 2 threads each
  train_step/batch:100/threads:1  the same on 1 thread
Beside each, linconv's GFLOP/s and its share of the FMA peak that linconv_bench measures in the
same run (one core's peak for 1 thread, every core's for 2), and a table of the convolution and
dense kernels at batch 100 with their share of one core's peak; the header names the CPU model.
With --batches 1,10,100 another table shows training throughput (images/s) versus batch size,
at 2 threads and at 1.

ONNX Runtime (inference only): the report's network (ReLU_alpha, linconv_torch's module, random
weights: the time does not depend on them) is written with torch.onnx.export (opset 13, batch
dimension symbolic) to a temporary folder and timed by node with npm's onnxruntime-node: CPU
execution provider, 1 intra-op and 1 inter-op thread, all graph optimizations. Install it once:
  mkdir -p bench/.onnxruntime && cd bench/.onnxruntime && npm install --ignore-scripts onnxruntime-node
compare.py looks for it in --onnxruntime DIR, else in bench/.onnxruntime, else in the folders of
NODE_PATH; without node or onnxruntime-node it says so in one line and leaves the column out.

Statistics, the same for all: each repetition gives the mean time of one call over many calls;
the table shows the median over --repetitions repetitions (and their coefficient of variation).
  linconv: linconv_bench --benchmark_repetitions=N --benchmark_report_aggregates_only=true
           --benchmark_format=json (each repetition runs for Google Benchmark's minimum time);
  PyTorch: N separate runs of pytorch_reference.py --bench --threads T --batch B (each the mean
           of --pytorch-steps timed steps after its warm-up), read from their bench.csv;
  ONNX Runtime: one run of onnxruntime_reference.mjs --repetitions N (per batch: warm-up, then
           N repetitions of the calls that fill --onnxruntime-min-time seconds), read from its
           JSON output.
Runs take a few minutes (PyTorch on 1 thread is the slowest part). Timings on a busy machine
are slower and noisier: the load average is printed before and after.

Run with Debian's interpreter (python3-torch), from anywhere:
  bench/compare.py --bench-binary build/release/bench/linconv_bench --repetitions 5
  bench/compare.py --onnxruntime /opt/ort   # onnxruntime-node installed in /opt/ort

Exit status: 0 on success, 2 on bad usage, 1 when a benchmark cannot be run (ONNX Runtime's
failure is a warning: the table goes without its column).
"""

import argparse
import csv
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

PROG = "compare"
ROOT = Path(__file__).resolve().parent.parent
PYTORCH_REFERENCE = ROOT / "bench" / "pytorch_reference.py"
ONNXRUNTIME_REFERENCE = ROOT / "bench" / "onnxruntime_reference.mjs"
DEFAULT_ONNXRUNTIME = ROOT / "bench" / ".onnxruntime"  # where `npm install onnxruntime-node` ran
ONNX_OPSET = 13
INSTALL_ONNXRUNTIME = ("mkdir -p bench/.onnxruntime && cd bench/.onnxruntime && "
                       "npm install --ignore-scripts onnxruntime-node")
DEFAULT_BINARY = Path("build/release/bench/linconv_bench")  # relative to the repository
MAIN_BATCH = 100


class Failure(Exception):
    """An error reported as `compare: error: ...`, exit status 1."""


# --------------------------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------------------------

class Timing:
    """The per-repetition mean seconds of one benchmark: median and coefficient of variation;
    for linconv also the medians of its GFLOP/s and peak% counters (None when it has none)."""

    def __init__(self, median, cv=None, gflops=None, peak_share=None):
        self.median, self.cv = median, cv
        self.gflops, self.peak_share = gflops, peak_share

    @classmethod
    def of(cls, samples, gflops=(), peak_share=()):
        cv = statistics.stdev(samples) / statistics.fmean(samples) if len(samples) > 1 else None
        return cls(statistics.median(samples), cv, statistics.median(gflops) if gflops else None,
                   statistics.median(peak_share) if peak_share else None)


class Peak:
    """The FMA peak linconv_bench measured in the same run (GFLOP/s), from its JSON context."""

    def __init__(self, context):
        self.isa = context.get("fma_peak_isa", "?")
        self.one_core = float(context.get("fma_peak_one_core_gflops", "nan"))
        self.all_cores = float(context.get("fma_peak_all_cores_gflops", "nan"))
        self.threads = context.get("fma_peak_threads", "?")
        self.cpu_model = context.get("cpu_model")
        self.kernel_isa = context.get("kernel_isa", "?")


# The kernels of the report's network at batch 100, one thread: their share of one core's peak.
# Each convolution pass apart: forward, weight gradient, input gradient (not for conv1, whose
# input gradient a training step never computes); the dense layer's forward and backward.
KERNELS = [f"conv_{kind}/{shapes}/batch:{MAIN_BATCH}"
           for shapes in ("1x28x28->8x28x28", "8x28x28->16x28x28", "16x28x28->32x28x28")
           for kind in ("forward", "weight_grad", "input_grad") if not (kind == "input_grad" and shapes.startswith("1x"))]
KERNELS += [f"dense_{kind}/25088->10/batch:{MAIN_BATCH}" for kind in ("forward", "backward")]


def train_name(batch, threads):
    """The linconv_bench name of the optimiser step at `batch` on `threads` threads (1 or 2)."""
    return f"train_step/batch:{batch}" + ("/threads:1" if threads == 1 else "")


def run_linconv(binary, batches, repetitions):
    """({benchmark name: Timing}, Peak) of infer/batch:1 and :100, train_step at `batches`,
    2 threads and 1, and the KERNELS."""
    names = (["infer/batch:1", f"infer/batch:{MAIN_BATCH}"] + [train_name(b, t) for b in batches for t in (2, 1)]
             + KERNELS)
    command = [str(binary), "--train_batches=" + ",".join(map(str, batches)),
               # Benchmarks timed in wall-clock time carry a /real_time suffix.
               "--benchmark_filter=^(" + "|".join(names) + ")(/real_time)?$",
               f"--benchmark_repetitions={repetitions}", "--benchmark_report_aggregates_only=true",
               "--benchmark_format=json"]
    progress(f"linconv_bench, {repetitions} repetition(s)")
    done = run_or_fail(command, str(binary))
    try:
        output = json.loads(done.stdout)
        entries, context = output["benchmarks"], output["context"]
    except (ValueError, KeyError) as e:
        raise Failure(f"{binary}: unreadable JSON output ({e})") from e

    medians, cvs, samples, counters = {}, {}, {}, {}
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
    for entry in entries:
        name = entry["run_name"].removesuffix("/real_time")
        if entry.get("run_type") == "aggregate":
            if entry["aggregate_name"] == "median":
                medians[name] = entry["real_time"] * scale[entry["time_unit"]]
                counters[name] = (entry.get("GFLOP/s"), entry.get("peak%"))
            elif entry["aggregate_name"] == "cv":
                cvs[name] = entry["real_time"]  # a fraction
        else:  # a single repetition reports the run itself
            samples.setdefault(name, []).append(entry["real_time"] * scale[entry["time_unit"]])
            counters[name] = (entry.get("GFLOP/s"), entry.get("peak%"))
    timings = {name: Timing(median, cvs.get(name), *counters[name]) for name, median in medians.items()}
    timings.update({name: Timing(statistics.median(s), None, *counters[name]) for name, s in samples.items()
                    if name not in timings})
    missing = [name for name in names if name not in timings]
    if missing:
        raise Failure(f"{binary} did not report {', '.join(missing)} (an older build?)")
    return timings, Peak(context)


def run_pytorch(python, batches, repetitions, steps, workdir):
    """({benchmark name: Timing}, torch version) from `repetitions` runs of pytorch_reference.py
    --bench per thread count and batch, named as linconv_bench names them."""
    samples, version = {}, "?"
    for repetition in range(1, repetitions + 1):
        for threads in (2, 1):
            for batch in batches:
                progress(f"PyTorch, {threads} thread(s), batch {batch}, "
                         f"repetition {repetition}/{repetitions}")
                out = Path(workdir) / f"torch-{threads}-{batch}-{repetition}"
                command = [python, str(PYTORCH_REFERENCE), "--bench", "--threads", str(threads),
                           "--batch", str(batch), "--bench-steps", str(steps), "--out", str(out)]
                run_or_fail(command, f"{PYTORCH_REFERENCE.name} --bench --threads {threads} --batch {batch}")
                with open(out / "bench.csv", newline="") as f:
                    for row in csv.DictReader(f):
                        version = row["torch_version"]
                        mean = float(row["mean_s"])
                        if row["name"] == f"train_step/batch:{batch}":
                            samples.setdefault(train_name(batch, threads), []).append(mean)
                        elif (row["name"] in ("infer/batch:1", f"infer/batch:{MAIN_BATCH}")
                              and threads == 1 and batch == MAIN_BATCH):
                            samples.setdefault(row["name"], []).append(mean)
    return {name: Timing.of(s) for name, s in samples.items()}, version


def find_onnxruntime(folder):
    """(node, folder holding onnxruntime-node) or (None, why not). `folder` is --onnxruntime or
    None: then bench/.onnxruntime, then NODE_PATH's folders. A folder may be the one where npm
    install ran (with node_modules/onnxruntime-node) or a node_modules folder itself."""
    node = shutil.which("node")
    if node is None:
        return None, "no node on PATH: install Node.js and npm, e.g. apt-get install nodejs npm"
    candidates = [folder] if folder else [DEFAULT_ONNXRUNTIME] + [
        Path(entry) for entry in os.environ.get("NODE_PATH", "").split(os.pathsep) if entry]
    for candidate in candidates:
        if any((candidate / sub / "onnxruntime-node" / "package.json").is_file()
               for sub in ("node_modules", ".")):
            return node, candidate
    return None, "no onnxruntime-node in " + ", ".join(map(str, candidates))


# Run by --python (torch): argv[1] scripts/, argv[2] the .onnx file to write; prints torch's version.
EXPORT_ONNX = f"""
import sys
sys.path.insert(0, sys.argv[1])
import torch
import linconv_torch as lt
torch.manual_seed(0)
model = lt.module_from_architecture(lt.study_architecture("alpha")).eval()
with torch.no_grad():
    torch.onnx.export(model, torch.rand(1, 1, 28, 28), sys.argv[2], opset_version={ONNX_OPSET},
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={{"input": {{0: "batch"}}, "logits": {{0: "batch"}}}})
print(torch.__version__)
"""


def run_onnxruntime(python, node, folder, repetitions, min_time, workdir):
    """({benchmark name: Timing}, onnxruntime version) of infer/batch:1 and :MAIN_BATCH: the
    report's network exported by torch.onnx.export, timed by onnxruntime_reference.mjs."""
    model = Path(workdir) / "fashion-alpha.onnx"
    progress(f"ONNX Runtime: torch.onnx.export (opset {ONNX_OPSET}) to {model.name}")
    run_or_fail([python, "-c", EXPORT_ONNX, str(ROOT / "scripts"), str(model)], "torch.onnx.export")
    if not model.is_file():
        raise Failure(f"torch.onnx.export wrote no {model.name}")
    progress(f"ONNX Runtime, 1 thread, batches 1 and {MAIN_BATCH}, {repetitions} repetition(s)")
    command = [node, str(ONNXRUNTIME_REFERENCE), "--model", str(model), "--onnxruntime", str(folder),
               "--batches", f"1,{MAIN_BATCH}", "--repetitions", str(repetitions),
               "--min-time", str(min_time)]
    done = run_or_fail(command, ONNXRUNTIME_REFERENCE.name)
    try:
        output = json.loads(done.stdout)
        timings = {entry["name"]: Timing.of(entry["repetition_mean_s"]) for entry in output["benchmarks"]}
        return timings, output["onnxruntime"]
    except (ValueError, KeyError, TypeError) as e:
        raise Failure(f"{ONNXRUNTIME_REFERENCE.name}: unreadable JSON output ({e})") from e


# --------------------------------------------------------------------------------------------
# The context: machine, date, commit
# --------------------------------------------------------------------------------------------

def cpu_description():
    """'AMD EPYC, 2 logical CPUs (2 cores)' from /proc/cpuinfo."""
    model, cores = "unknown CPU", set()
    physical = core = None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = (part.strip() for part in line.partition(":"))
                if key == "model name" and model == "unknown CPU":
                    model = value
                elif key == "physical id":
                    physical = value
                elif key == "core id":
                    core = value
                elif not key and core is not None:  # end of one processor's block
                    cores.add((physical, core))
                    physical = core = None
        if core is not None:
            cores.add((physical, core))
    except OSError:
        pass
    logical = os.cpu_count() or 0
    return f"{model}, {logical} logical CPUs" + (f" ({len(cores)} cores)" if cores else "")


def git_commit():
    """The short commit of the repository, noting a working tree that differs from it."""
    def git(*args):
        # --no-optional-locks: read only, not even the index's stat cache is refreshed.
        return subprocess.run(["git", "--no-optional-locks", "-C", str(ROOT), *args],
                              capture_output=True, text=True, check=False)
    try:
        head = git("rev-parse", "--short", "HEAD")
        if head.returncode != 0:
            return "unknown (not a git checkout)"
        dirty = git("diff", "--quiet", "HEAD", "--").returncode == 1
    except OSError:
        return "unknown (no git)"
    return head.stdout.strip() + (" (working tree differs from it)" if dirty else "")


def load_average():
    return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------

def progress(text):
    print(f"{PROG}: {text}", file=sys.stderr, flush=True)


def run_or_fail(command, what):
    """The finished `command` (its output as text); Failure naming `what` when it cannot start
    or exits with a status other than 0."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as e:
        raise Failure(f"{command[0]}: cannot run: {e.strerror or e}") from e
    if done.returncode != 0:
        raise Failure(f"{what} exited with status {done.returncode}: {last_line(done.stderr)}")
    return done


def last_line(text):
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "(no message)"


def seconds_text(timing):
    s = timing.median
    text = f"{s * 1e3:.3g} ms" if s >= 1e-3 else f"{s * 1e6:.3g} us"
    return text + (f" ±{timing.cv * 100:.0f}%" if timing.cv is not None else "")


def table(header, rows):
    """A Markdown table with aligned columns (the first left-aligned, the others right)."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    def line(cells):
        return "| " + " | ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                                 for i, (c, w) in enumerate(zip(cells, widths))) + " |"
    separator = "|" + "|".join("-" * (w + 1) + (":" if i else "-") for i, w in enumerate(widths)) + "|"
    return "\n".join([line(header), separator] + [line(row) for row in rows])


def batch_of(name):
    return int(name.split("batch:")[1].split("/")[0])


def share_text(timing):
    return "-" if timing.peak_share is None else f"{timing.peak_share:.0f}%"


def gflops_text(timing):
    return "-" if timing.gflops is None else f"{timing.gflops:.1f}"


def main_table(linconv, pytorch, onnxruntime=None):
    """The main table; with `onnxruntime` ({name: Timing}) also its median and ratio columns."""
    rows = []
    benchmarks = (("infer/batch:1", 1), (f"infer/batch:{MAIN_BATCH}", 1), (train_name(MAIN_BATCH, 2), 2),
                  (train_name(MAIN_BATCH, 1), 1))
    for name, threads in benchmarks:
        ours, theirs, batch = linconv[name], pytorch.get(name), batch_of(name)
        ort = onnxruntime.get(name) if onnxruntime is not None else None
        row = [name, threads, seconds_text(ours), seconds_text(theirs) if theirs else "-"]
        if onnxruntime is not None:
            row.append(seconds_text(ort) if ort else "-")
        row += [f"{batch / ours.median:,.0f}", f"{batch / theirs.median:,.0f}" if theirs else "-",
                f"{theirs.median / ours.median:.1f}x" if theirs else "-"]
        if onnxruntime is not None:
            row.append(f"{ort.median / ours.median:.1f}x" if ort else "-")
        rows.append(row + [gflops_text(ours), share_text(ours)])
    header = ["benchmark", "threads", "linconv median", "PyTorch median"]
    if onnxruntime is not None:
        header.append("ONNX Runtime median")
    header += ["linconv images/s", "PyTorch images/s", "ratio"]
    if onnxruntime is not None:
        header.append("ONNX Runtime ratio")
    return table(header + ["linconv GFLOP/s", "share of peak"], rows)


def kernel_table(linconv):
    rows = [[name, seconds_text(linconv[name]), gflops_text(linconv[name]), share_text(linconv[name])]
            for name in KERNELS]
    return table(["kernel (1 thread)", "median", "GFLOP/s", "share of one core's peak"], rows)


def batch_table(linconv, pytorch, batches):
    rows = []
    for batch in batches:
        row = [batch]
        for threads in (2, 1):
            ours, theirs = linconv[train_name(batch, threads)], pytorch[train_name(batch, threads)]
            row += [f"{batch / ours.median:,.0f}", f"{batch / theirs.median:,.0f}",
                    f"{theirs.median / ours.median:.1f}x"]
        rows.append(row)
    return table(["batch", "linconv, 2 threads", "PyTorch, 2 threads", "ratio",
                  "linconv, 1 thread", "PyTorch, 1 thread", "ratio"], rows)


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------

def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def _batch_list(text):
    try:
        return sorted({_positive_int(part) for part in text.split(",")})
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"must be positive integers separated by commas, got {text!r}")


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Run linconv_bench and bench/pytorch_reference.py --bench on the same network and\n"
                    "print one table: median time per call and images/s of each, and the ratio\n"
                    "(PyTorch time / linconv time), with the machine, the date and the git commit.\n"
                    "Where node and npm's onnxruntime-node are installed, ONNX Runtime's inference\n"
                    "time on the same network (exported by torch.onnx.export) is shown too.",
        epilog="Each side reports the mean wall-clock time per call of every repetition; the table\n"
               "shows the median over the repetitions and, after ±, their coefficient of variation.\n"
               "infer/batch:1 and :100 run on 1 thread everywhere, train_step/batch:B on 2 threads (and on 1 for\n"
               "train_step/batch:B/threads:1). A run takes a few minutes.\n\n"
               "Examples:\n"
               "  bench/compare.py --bench-binary build/release/bench/linconv_bench --repetitions 5\n"
               "  bench/compare.py --batches 1,10,100\n"
               "Run with Debian's /usr/bin/python3 (python3-torch).\n\n"
               "ONNX Runtime column (inference, 1 thread), once:\n"
               f"  {INSTALL_ONNXRUNTIME}",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bench-binary", type=Path, default=None, metavar="PATH",
                   help=f"linconv_bench to run (default: {DEFAULT_BINARY} in the repository)")
    p.add_argument("--repetitions", type=_positive_int, default=3, metavar="N",
                   help="repetitions of every benchmark, on each side (default %(default)s)")
    p.add_argument("--batches", type=_batch_list, default=None, metavar="B1,B2,...",
                   help=f"also show training throughput versus batch size at these batches and "
                        f"{MAIN_BATCH}, 2 threads and 1")
    p.add_argument("--pytorch-steps", type=_positive_int, default=50, metavar="N",
                   help="timed optimiser steps per PyTorch run (pytorch_reference.py --bench-steps; "
                        "default %(default)s)")
    p.add_argument("--python", default="/usr/bin/python3", metavar="PATH",
                   help="interpreter with torch for pytorch_reference.py (default %(default)s)")
    p.add_argument("--onnxruntime", type=Path, default=None, metavar="DIR",
                   help="folder where `npm install --ignore-scripts onnxruntime-node` was run "
                        "(default: bench/.onnxruntime, else NODE_PATH; not found: no ONNX Runtime column)")
    p.add_argument("--onnxruntime-min-time", type=float, default=0.5, metavar="S",
                   help="seconds of calls in each ONNX Runtime repetition (default %(default)s)")
    args = p.parse_args(argv)
    if args.onnxruntime is not None and not args.onnxruntime.is_dir():
        p.error(f"--onnxruntime {args.onnxruntime}: no such folder")
    if not args.onnxruntime_min_time > 0:
        p.error(f"--onnxruntime-min-time: must be positive, got {args.onnxruntime_min_time}")
    if args.bench_binary is None:
        args.bench_binary = ROOT / DEFAULT_BINARY
    if not args.bench_binary.is_file():
        p.error(f"--bench-binary {args.bench_binary}: no such file (build it: cmake --build --preset "
                f"release --target linconv_bench)")
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    batches = sorted(set(args.batches or []) | {MAIN_BATCH})
    node, ort_folder = find_onnxruntime(args.onnxruntime)
    if node is None:
        print(f"{PROG}: ONNX Runtime: not found ({ort_folder}); to add its column: "
              f"{INSTALL_ONNXRUNTIME} (or --onnxruntime DIR)", file=sys.stderr)
    onnxruntime, ort_version = None, None
    started, load_before = datetime.datetime.now().astimezone(), load_average()
    try:
        linconv, peak = run_linconv(args.bench_binary, batches, args.repetitions)
        with tempfile.TemporaryDirectory(prefix="linconv-compare-") as workdir:
            pytorch, torch_version = run_pytorch(args.python, batches, args.repetitions,
                                                 args.pytorch_steps, workdir)
            if node is not None:
                try:
                    onnxruntime, ort_version = run_onnxruntime(args.python, node, ort_folder,
                                                               args.repetitions,
                                                               args.onnxruntime_min_time, workdir)
                except Failure as e:  # optional: the other columns stand without it
                    print(f"{PROG}: warning: ONNX Runtime left out: {e}", file=sys.stderr)
    except Failure as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 1

    against = f"PyTorch {torch_version}" + (
        f" and ONNX Runtime {ort_version} (onnxruntime-node, opset {ONNX_OPSET}, all graph optimizations)"
        if onnxruntime is not None else "")
    print(f"linconv (commit {git_commit()}) against {against}, {started:%Y-%m-%d %H:%M %Z}")
    print(f"machine: {cpu_description()}; load average {load_before} before, {load_average()} after")
    print(f"FMA peak measured by linconv_bench in the same run ({peak.isa}): {peak.one_core:.1f} GFLOP/s "
          f"on one core, {peak.all_cores:.1f} on {peak.threads} threads; linconv's kernels: {peak.kernel_isa}")
    print(f"median over {args.repetitions} repetition(s) of the mean wall-clock time per call "
          f"(± coefficient of variation); ratio = PyTorch time / linconv time"
          + ("; ONNX Runtime ratio = ONNX Runtime time / linconv time" if onnxruntime is not None else "")
          + "; share of peak: of one\n"
          f"core's for 1 thread, of every core's for 2 (GFLOP/s over CPU time on 1 thread, wall-clock on 2)")
    print()
    print(main_table(linconv, pytorch, onnxruntime))
    print()
    print(kernel_table(linconv))
    if args.batches:
        print()
        print("training throughput (images/s) versus batch size; ratio = PyTorch time / linconv time")
        print()
        print(batch_table(linconv, pytorch, batches))
    return 0


if __name__ == "__main__":
    sys.exit(main())
