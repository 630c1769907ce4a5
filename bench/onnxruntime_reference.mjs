#!/usr/bin/env node
// ONNX Runtime's inference time for an .onnx model of the report's network, for
// bench/compare.py: the same batches and statistics as linconv_bench's infer/batch:B.
//
// The runtime is npm's onnxruntime-node (the CPU runtime ships in the package; no build, no
// download at install time):
//   mkdir -p bench/.onnxruntime && cd bench/.onnxruntime && npm install --ignore-scripts onnxruntime-node
// The model is written by bench/compare.py with PyTorch's torch.onnx.export (input "input",
// float [batch, 1, 28, 28]; the batch dimension may be fixed or symbolic).
//
// Session: CPU execution provider, intraOpNumThreads 1, interOpNumThreads 1, sequential
// execution, graph optimizations "all". Each batch B gets its own random input in [0, 1)
// (a fixed seed), --warmup untimed calls, then --repetitions repetitions of the same number of
// calls (enough for --min-time seconds, estimated from the warm-up); a repetition's figure is
// its mean wall-clock seconds per call of `await session.run(...)`, which includes the
// JavaScript binding (a few microseconds) as linconv_bench's includes its own call.
//
// Output, one JSON object on stdout:
//   {"onnxruntime": "1.30.0", "node": "v20...", "model": PATH, "threads": 1,
//    "benchmarks": [{"name": "infer/batch:1", "batch": 1, "calls": 2000,
//                    "repetition_mean_s": [9.1e-5, ...]}, ...]}
//
// Usage:
//   node bench/onnxruntime_reference.mjs --model net.onnx [--batches 1,100] [--repetitions 3]
//        [--min-time 0.5] [--warmup 10] [--onnxruntime DIR]
// --onnxruntime DIR: the folder where `npm install onnxruntime-node` was run (or a
// node_modules folder); default: bench/.onnxruntime, then the folders of NODE_PATH.
// Exit status: 0 on success, 2 on bad usage, 1 when the runtime or the model cannot be loaded.

import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";

const PROG = "onnxruntime_reference";
const HERE = dirname(fileURLToPath(import.meta.url));

function fail(status, message) {
  process.stderr.write(`${PROG}: error: ${message}\n`);
  process.exit(status);
}

function parseArgs(argv) {
  const args = { model: null, batches: [1, 100], repetitions: 3, minTime: 0.5, warmup: 10, onnxruntime: null };
  const positive = (name, text, integer) => {
    const value = Number(text);
    if (!(value > 0) || (integer && !Number.isInteger(value))) {
      fail(2, `${name}: must be a positive ${integer ? "integer" : "number"}, got ${JSON.stringify(text)}`);
    }
    return value;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === "--help" || flag === "-h") {
      process.stdout.write("usage: node bench/onnxruntime_reference.mjs --model PATH [--batches 1,100] " +
                           "[--repetitions N] [--min-time S] [--warmup N] [--onnxruntime DIR]\n");
      process.exit(0);
    }
    if (i + 1 >= argv.length) fail(2, `${flag}: expects a value`);
    const value = argv[++i];
    switch (flag) {
      case "--model": args.model = value; break;
      case "--batches": args.batches = value.split(",").map((b) => positive(flag, b, true)); break;
      case "--repetitions": args.repetitions = positive(flag, value, true); break;
      case "--min-time": args.minTime = positive(flag, value, false); break;
      case "--warmup": args.warmup = positive(flag, value, true); break;
      case "--onnxruntime": args.onnxruntime = value; break;
      default: fail(2, `unknown option ${flag}`);
    }
  }
  if (!args.model) fail(2, "--model PATH is required");
  return args;
}

// onnxruntime-node from --onnxruntime, else bench/.onnxruntime, else NODE_PATH (an ES module's
// import ignores NODE_PATH, hence require.resolve with explicit folders).
function loadOnnxruntime(folder) {
  const require = createRequire(import.meta.url);
  const folders = folder ? [folder]
    : [join(HERE, ".onnxruntime"), ...(process.env.NODE_PATH || "").split(delimiter).filter(Boolean)];
  let entry;
  try {
    entry = require.resolve("onnxruntime-node", { paths: folders });
  } catch {
    fail(1, `onnxruntime-node not found in ${folders.join(", ")} (install it: mkdir -p bench/.onnxruntime && ` +
            "cd bench/.onnxruntime && npm install --ignore-scripts onnxruntime-node)");
  }
  let version = "?";
  try {  // dist/index.js -> package.json
    version = JSON.parse(readFileSync(join(dirname(entry), "..", "package.json"), "utf8")).version;
  } catch { /* the version is informative only */ }
  return { ort: require(entry), version };
}

// A small deterministic generator (xorshift32) for the input images in [0, 1).
function randomImages(count, seed) {
  const data = new Float32Array(count);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    data[i] = s / 4294967296;
  }
  return data;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const { ort, version } = loadOnnxruntime(args.onnxruntime);
  let session;
  try {
    session = await ort.InferenceSession.create(args.model, {
      executionProviders: ["cpu"], intraOpNumThreads: 1, interOpNumThreads: 1,
      executionMode: "sequential", graphOptimizationLevel: "all",
    });
  } catch (e) {
    fail(1, `${args.model}: cannot load: ${e.message}`);
  }
  const input = session.inputNames[0];
  const benchmarks = [];
  for (const batch of args.batches) {
    const feeds = { [input]: new ort.Tensor("float32", randomImages(batch * 28 * 28, 7 + batch), [batch, 1, 28, 28]) };
    const run = () => session.run(feeds);
    await run();  // the first call allocates: not part of the estimate
    let start = performance.now();
    for (let i = 1; i < args.warmup; i++) await run();
    const estimate = args.warmup > 1 ? (performance.now() - start) / 1e3 / (args.warmup - 1) : args.minTime;
    const calls = Math.max(1, Math.ceil(args.minTime / estimate));
    const means = [];
    for (let r = 0; r < args.repetitions; r++) {
      start = performance.now();
      for (let i = 0; i < calls; i++) await run();
      means.push((performance.now() - start) / 1e3 / calls);
    }
    benchmarks.push({ name: `infer/batch:${batch}`, batch, calls, repetition_mean_s: means });
  }
  process.stdout.write(JSON.stringify({ onnxruntime: version, node: process.version, model: args.model,
                                        threads: 1, benchmarks }) + "\n");
}

main().catch((e) => fail(1, e.stack || String(e)));
