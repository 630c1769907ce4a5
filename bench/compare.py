#!/usr/bin/python3
"""linconv against PyTorch, in one command: runs linconv_bench and bench/pytorch_reference.py
--bench on the same network and batches, and prints one table of the median times, images/s
and the ratio (PyTorch time / linconv time), headed by the machine, the date and the commit.

What is compared (wall-clock time of one call):
  infer/batch:1                   one-image inference, 1 thread each
  infer/batch:100                 batch inference, 1 thread (linconv only)
  train_step/batch:100            one optimiser step of 100 images, 2 threads each
  train_step/batch:100/threads:1  the same on 1 thread
Beside each, linconv's GFLOP/s and its share of the FMA peak that linconv_bench measures in the
same run (one core's peak for 1 thread, every core's for 2), and a table of the convolution and
dense kernels at batch 100 with their share of one core's peak; the header names the CPU model.
With --batches 1,10,100 another table shows training throughput (images/s) versus batch size,
at 2 threads and at 1.

Statistics, the same for both: each repetition gives the mean time of one call over many calls;
the table shows the median over --repetitions repetitions (and their coefficient of variation).
  linconv: linconv_bench --benchmark_repetitions=N --benchmark_report_aggregates_only=true
           --benchmark_format=json (each repetition runs for Google Benchmark's minimum time);
  PyTorch: N separate runs of pytorch_reference.py --bench --threads T --batch B (each the mean
           of --pytorch-steps timed steps after its warm-up), read from their bench.csv.
Runs take a few minutes (PyTorch on 1 thread is the slowest part). Timings on a busy machine
are slower and noisier: the load average is printed before and after.

Run with Debian's interpreter (python3-torch), from anywhere:
  bench/compare.py --bench-binary build/release/bench/linconv_bench --repetitions 5

Exit status: 0 on success, 2 on bad usage, 1 when a benchmark cannot be run.
"""

import argparse
import csv
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

PROG = "compare"
ROOT = Path(__file__).resolve().parent.parent
PYTORCH_REFERENCE = ROOT / "bench" / "pytorch_reference.py"
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
KERNELS = [f"{layer}_{kind}/{shapes}/batch:{MAIN_BATCH}"
           for layer, shapes in (("conv", "1x28x28->8x28x28"), ("conv", "8x28x28->16x28x28"),
                                 ("conv", "16x28x28->32x28x28"), ("dense", "25088->10"))
           for kind in ("forward", "backward")]


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
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as e:
        raise Failure(f"{binary}: cannot run: {e.strerror or e}") from e
    if done.returncode != 0:
        raise Failure(f"{binary} exited with status {done.returncode}: {last_line(done.stderr)}")
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
                try:
                    done = subprocess.run(command, capture_output=True, text=True, check=False)
                except OSError as e:
                    raise Failure(f"{python}: cannot run: {e.strerror or e}") from e
                if done.returncode != 0:
                    raise Failure(f"{PYTORCH_REFERENCE.name} --bench --threads {threads} "
                                  f"--batch {batch} exited with status {done.returncode}: "
                                  f"{last_line(done.stderr)}")
                with open(out / "bench.csv", newline="") as f:
                    for row in csv.DictReader(f):
                        version = row["torch_version"]
                        mean = float(row["mean_s"])
                        if row["name"] == f"train_step/batch:{batch}":
                            samples.setdefault(train_name(batch, threads), []).append(mean)
                        elif row["name"] == "infer/batch:1" and threads == 1 and batch == MAIN_BATCH:
                            samples.setdefault("infer/batch:1", []).append(mean)
    return {name: Timing.of(s) for name, s in samples.items()}, version


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


def main_table(linconv, pytorch):
    rows = []
    benchmarks = (("infer/batch:1", 1), (f"infer/batch:{MAIN_BATCH}", 1), (train_name(MAIN_BATCH, 2), 2),
                  (train_name(MAIN_BATCH, 1), 1))
    for name, threads in benchmarks:
        ours, theirs, batch = linconv[name], pytorch.get(name), batch_of(name)
        rows.append([name, threads, seconds_text(ours), seconds_text(theirs) if theirs else "-",
                     f"{batch / ours.median:,.0f}", f"{batch / theirs.median:,.0f}" if theirs else "-",
                     f"{theirs.median / ours.median:.1f}x" if theirs else "-",
                     gflops_text(ours), share_text(ours)])
    return table(["benchmark", "threads", "linconv median", "PyTorch median", "linconv images/s",
                  "PyTorch images/s", "ratio", "linconv GFLOP/s", "share of peak"], rows)


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
                    "(PyTorch time / linconv time), with the machine, the date and the git commit.",
        epilog="Each side reports the mean wall-clock time per call of every repetition; the table\n"
               "shows the median over the repetitions and, after ±, their coefficient of variation.\n"
               "infer/batch:1 runs on 1 thread in both, train_step/batch:B on 2 threads (and on 1 for\n"
               "train_step/batch:B/threads:1). A run takes a few minutes.\n\n"
               "Examples:\n"
               "  bench/compare.py --bench-binary build/release/bench/linconv_bench --repetitions 5\n"
               "  bench/compare.py --batches 1,10,100\n"
               "Run with Debian's /usr/bin/python3 (python3-torch).",
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
    args = p.parse_args(argv)
    if args.bench_binary is None:
        args.bench_binary = ROOT / DEFAULT_BINARY
    if not args.bench_binary.is_file():
        p.error(f"--bench-binary {args.bench_binary}: no such file (build it: cmake --build --preset "
                f"release --target linconv_bench)")
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    batches = sorted(set(args.batches or []) | {MAIN_BATCH})
    started, load_before = datetime.datetime.now().astimezone(), load_average()
    try:
        linconv, peak = run_linconv(args.bench_binary, batches, args.repetitions)
        with tempfile.TemporaryDirectory(prefix="linconv-compare-") as workdir:
            pytorch, torch_version = run_pytorch(args.python, batches, args.repetitions,
                                                 args.pytorch_steps, workdir)
    except Failure as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 1

    print(f"linconv (commit {git_commit()}) against PyTorch {torch_version}, "
          f"{started:%Y-%m-%d %H:%M %Z}")
    print(f"machine: {cpu_description()}; load average {load_before} before, {load_average()} after")
    print(f"FMA peak measured by linconv_bench in the same run ({peak.isa}): {peak.one_core:.1f} GFLOP/s "
          f"on one core, {peak.all_cores:.1f} on {peak.threads} threads; linconv's kernels: {peak.kernel_isa}")
    print(f"median over {args.repetitions} repetition(s) of the mean wall-clock time per call "
          f"(± coefficient of variation); ratio = PyTorch time / linconv time; share of peak: of one\n"
          f"core's for 1 thread, of every core's for 2 (GFLOP/s over CPU time on 1 thread, wall-clock on 2)")
    print()
    print(main_table(linconv, pytorch))
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
