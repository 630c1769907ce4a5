#!/usr/bin/python3
"""Golden fixtures for linconv from PyTorch: tests/test_golden.cpp compares linconv's logits,
loss, gradients and weights after 3 Adam steps with the ones PyTorch computes here.

    /usr/bin/python3 tests/golden/make_golden.py --out tests/golden/fixtures --seed 1

writes into --out:

  common.safetensors        shared by every fixture (named in their "shared" metadata):
                            input.images [N,1,28,28] (k/255 values), input.labels [N] (class
                            numbers as F32), and the initial weights conv1.weight ... fc1.bias
                            (PyTorch's default initialisation after torch.manual_seed(seed)).
                            An image that puts the input of a ReLU or ReLUAlpha unit within
                            1e-6 of zero at these weights is redrawn (see make_common).
  <mode>_<reduction>.safetensors  for mode alpha|relu|linear (network FashionNetWith<ReLUAlpha|
                            ReLU|Identity>) and reduction mean|sum:
      act<k>.alpha          alpha mode only: 0.3, 1.2, -0.4 (away from the 0.5 default, one per
                            layer, one negative so that the penalty's sign is exercised)
      expected.logits       [N,10] forward pass with the initial weights
      expected.loss         [1]  CE (mean or sum over the batch) + lambda * sum |alpha|
      expected.step_losses  [3]  the loss at each of the 3 Adam steps (before each update)
      expected.grad.<name>  d loss / d <name> with the initial weights, every parameter
      expected.after_adam3.<name>  the parameters after 3 torch.optim.Adam(lr) steps on the batch
    metadata: architecture (linconv's canonical string), activation, reduction, lambda, lr,
    steps, batch, seed, torch (version), reference (float64), shared (common.safetensors), and
    torch_float32_deviation (JSON: how far PyTorch's own float32 run is from the reference).

The reference is computed in float64 from the float32 weights and inputs (then rounded to F32),
so a comparison measures linconv's float32 error alone. The float32 run of the same network in
PyTorch is reported alongside as a yardstick for the tolerances.
"""

import argparse
import json
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import linconv_torch as lt  # noqa: E402

_BODY = "Conv<8,5,1,2>,{a},Conv<16,5,1,2>,{a},Conv<32,3,1,1>,{a},Flatten,Dense<10>"
ARCHITECTURES = {mode: "Input<1,28,28>," + _BODY.format(a=act) for mode, act in
                 (("alpha", "ReLUAlpha"), ("relu", "ReLU"), ("linear", "Identity"))}
REDUCTIONS = ("mean", "sum")
ALPHAS = (0.3, 1.2, -0.4)
BATCH = 8
LAMBDA = 0.5
LR = 1e-3
STEPS = 3
COMMON = "common.safetensors"
KINK_MARGIN = 1e-6


def kink_distance(nets, image):
    """The smallest |input| of a kinked activation (ReLU, ReLUAlpha) of `nets` (float64) for
    `image`: how far the image is from making a unit's derivative jump."""
    distance = float("inf")
    for net in nets:
        x = image.double()
        for module in net:
            if isinstance(module, (torch.nn.ReLU, lt.ReLUAlpha)):
                distance = min(distance, float(x.abs().min()))
            x = module(x)
    return distance


def make_common(seed):
    """Initial weights (the same for every mode: the activations draw no random numbers) and
    the batch. An image that puts the input of a ReLU or ReLUAlpha unit within KINK_MARGIN of
    zero at these weights is replaced by the next draw: float32 rounding could put that unit on
    the other side of its kink, and its gradient would jump (by up to 5% of a tensor's largest
    gradient: seed 8 did so before this check), which no float32 tolerance can cover."""
    torch.manual_seed(seed)
    model = lt.module_from_architecture(ARCHITECTURES["relu"])
    weights = {k: v.detach().clone() for k, v in model.state_dict().items()}
    nets = []
    for mode in ("relu", "alpha"):
        net = lt.module_from_architecture(ARCHITECTURES[mode])
        net.load_state_dict({**weights, **alpha_state(net)})
        nets.append(net.double())
    images, redrawn, margin = [], 0, float("inf")
    with torch.no_grad():
        while len(images) < BATCH:
            image = torch.randint(0, 256, (1, 1, 28, 28)).float() / 255
            distance = kink_distance(nets, image)
            if distance < KINK_MARGIN:
                redrawn += 1
                if redrawn > 100 * BATCH:
                    raise RuntimeError(f"seed {seed}: no batch keeps every unit {KINK_MARGIN} "
                                       "away from its kink")
                continue
            images.append(image)
            margin = min(margin, distance)
    labels = torch.randint(0, 10, (BATCH,))
    return weights, torch.cat(images), labels, {"images_redrawn": redrawn, "kink_distance": margin}


def alpha_state(model):
    """The initial alphas of `model`'s ReLUAlpha layers, by checkpoint name."""
    alphas = [m for m in model if isinstance(m, lt.ReLUAlpha)]
    return {f"act{k + 1}.alpha": torch.tensor([ALPHAS[k]]) for k in range(len(alphas))}


def run(mode, reduction, weights, images, labels, dtype):
    """Loss, logits and gradients at the initial weights, losses of each step and the weights
    after STEPS Adam steps, computed in `dtype`."""
    model = lt.module_from_architecture(ARCHITECTURES[mode])
    # Strict: the weights' names are linconv's checkpoint names.
    model.load_state_dict({**weights, **alpha_state(model)})
    model.to(dtype)
    x, y = images.to(dtype), labels.long()
    alphas = [m.alpha for m in model if isinstance(m, lt.ReLUAlpha)]
    optimiser = torch.optim.Adam(model.parameters(), lr=LR)
    result = {"step_losses": []}
    for step in range(STEPS):
        optimiser.zero_grad()
        logits = model(x)
        loss = F.cross_entropy(logits, y, reduction=reduction)
        loss = loss + LAMBDA * sum((a.abs().sum() for a in alphas), torch.zeros((), dtype=dtype))
        loss.backward()
        if step == 0:
            result["params"] = {k: v.detach().clone() for k, v in model.named_parameters()}
            result["logits"] = logits.detach().clone()
            result["loss"] = loss.detach().reshape(1).clone()
            result["grad"] = {k: v.grad.detach().clone() for k, v in model.named_parameters()}
        result["step_losses"].append(loss.item())
        optimiser.step()
    result["after"] = {k: v.detach().clone() for k, v in model.named_parameters()}
    result["step_losses"] = torch.tensor(result["step_losses"], dtype=torch.float64)
    return result


def deviation(f32, f64):
    """How far PyTorch's float32 run is from the float64 reference, per kind: the worst
    |f32 - f64| / max|f64| over the tensors; for the weights after Adam the worst |f32 - f64| in
    units of lr and how many elements moved by more than lr / 100 (update sign flips)."""
    def rel(a, b):
        scale = float(b.abs().max())
        return float((a.double() - b).abs().max()) / scale if scale > 0 else 0.0
    after = [(f32["after"][k].double() - f64["after"][k]).abs() for k in f64["after"]]
    return {
        "logits": rel(f32["logits"], f64["logits"]),
        "loss": rel(f32["loss"], f64["loss"]),
        "grad": max(rel(f32["grad"][k], f64["grad"][k]) for k in f64["grad"]),
        "after_adam3_in_lr": max(float(d.max()) for d in after) / LR,
        "after_adam3_flips": sum(int((d > LR / 100).sum()) for d in after),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, type=Path, help="directory to write into")
    parser.add_argument("--seed", type=int, default=1, help="torch.manual_seed (default 1)")
    args = parser.parse_args()
    torch.set_num_threads(1)  # the same bytes on every machine that has the same torch
    args.out.mkdir(parents=True, exist_ok=True)

    weights, images, labels, draw = make_common(args.seed)
    common_metadata = {"seed": str(args.seed), "torch": torch.__version__,
                       "kink_margin": repr(KINK_MARGIN),
                       "images_redrawn": str(draw["images_redrawn"]),
                       "kink_distance": repr(draw["kink_distance"]),
                       "contents": "the batch and initial weights of every fixture in this "
                                   "directory (tests/golden/make_golden.py)"}
    tensors = {"input.images": images, "input.labels": labels.float()}
    tensors.update(weights)
    lt.write_safetensors(args.out / COMMON, tensors, common_metadata)
    print(f"{COMMON}: seed {args.seed}, {draw['images_redrawn']} image(s) redrawn, smallest "
          f"|input| of a ReLU/ReLUAlpha unit {draw['kink_distance']:.3g}")

    for mode in ARCHITECTURES:
        for reduction in REDUCTIONS:
            ref = run(mode, reduction, weights, images, labels, torch.float64)
            f32 = run(mode, reduction, weights, images, labels, torch.float32)
            dev = deviation(f32, ref)
            tensors = {k: v for k, v in ref["params"].items() if k.endswith(".alpha")}
            tensors["expected.logits"] = ref["logits"]
            tensors["expected.loss"] = ref["loss"]
            tensors["expected.step_losses"] = ref["step_losses"]
            tensors.update({f"expected.grad.{k}": v for k, v in ref["grad"].items()})
            tensors.update({f"expected.after_adam3.{k}": v for k, v in ref["after"].items()})
            metadata = {"architecture": ARCHITECTURES[mode], "activation": mode,
                        "reduction": reduction, "lambda": repr(LAMBDA), "lr": repr(LR),
                        "steps": str(STEPS), "batch": str(BATCH), "seed": str(args.seed),
                        "torch": torch.__version__, "reference": "float64", "shared": COMMON,
                        "torch_float32_deviation": json.dumps(dev, sort_keys=True)}
            name = f"{mode}_{reduction}.safetensors"
            lt.write_safetensors(args.out / name, tensors, metadata)
            print(f"{name}: loss {float(ref['loss']):.6f}; torch float32 vs float64: "
                  + ", ".join(f"{k} {v:.3g}" for k, v in dev.items()))


if __name__ == "__main__":
    main()
