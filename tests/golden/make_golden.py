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

  and, for the networks with BatchNorm2d, pools and per-channel alphas (NETS), the same
  structure per network:

  <net>_common.safetensors  for net bnpool (the first-attempt network, linconv::FashionNetBnPool,
                            STUDY_NETS["fashion-bn-pool"]) and mixed (MIXED: every new layer and
                            parameter shape): input.images, input.labels (drawn for this
                            network, after its weights), then the network's state_dict but the
                            alphas, in state_dict order: the weights after torch.manual_seed(seed)
                            (BatchNorm2d: weight 1, bias 0) and the buffers bn<k>.running_mean
                            (0), bn<k>.running_var (1), bn<k>.num_batches_tracked (0: I64,
                            shape []). No ReLU/ReLUAlpha/ReLUAlphaPerChannel input within 1e-6
                            of zero and no max-pool window whose two largest values are within
                            1e-6 (see make_net_common).
  <net>_<mode>_<reduction>.safetensors  bnpool: mode alpha|relu|linear; mixed: mode alpha (its
                            activations all have alphas); reduction mean|sum. As above, with
      act<k>.alpha          ReLUAlpha: ALPHAS[k - 1]; ReLUAlphaPerChannel [C]:
                            torch.linspace(-0.4, 1.2, C)
      expected.loss         the penalty sums |alpha| over every element of every alpha
      expected.grad.<name>  every parameter (BatchNorm2d's weight and bias too); the biases of
                            the convs that a BatchNorm2d follows (metadata zero_gradient) have
                            gradient 0: what is stored is float64 rounding noise
      expected.after_adam3.<name>  every parameter and buffer, state_dict order: the running
                            statistics after the 3 training-mode forward passes of the 3 steps,
                            num_batches_tracked 3 (I64, shape [])
      expected.after_forward1.<buffer>  the buffers after the first forward pass (initial
                            weights), free of the trajectory's noise
      expected.eval_logits  [N,10] in eval() mode (running statistics) with the stored
                            expected.after_adam3.* tensors (as stored: rounded to F32)
    Logits, loss, gradients and the steps run in training mode, as torch.nn.BatchNorm2d
    computes it: batch statistics with the biased variance; the running variance takes the
    unbiased one (momentum 0.1). Metadata as above plus net, penalty and zero_gradient (the
    comma-separated names); torch_float32_deviation leaves the zero_gradient biases out of grad
    and after_adam3 and adds zero_gradient_*, running statistics and eval_logits (deviation()).

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

# The networks with BatchNorm2d, pools and per-channel alphas: net -> mode -> architecture.
MIXED = ("Input<1,28,28>,Conv<8,5,1,2>,BatchNorm2d,ReLUAlphaPerChannel,MaxPool2d<2,2>,"
         "Conv<16,5,1,2>,ReLUAlpha,AvgPool2d<2,2>,"
         "Conv<32,3,1,1>,BatchNorm2d,ReLUAlphaPerChannel,MaxPool2d<3,2>,Flatten,Dense<10>")
NETS = {"bnpool": {mode: lt.study_architecture(mode, "fashion-bn-pool")
                   for mode in ("alpha", "relu", "linear")},
        "mixed": {"alpha": MIXED}}
CHANNEL_ALPHAS = (-0.4, 1.2)  # torch.linspace(*CHANNEL_ALPHAS, C) for ReLUAlphaPerChannel
KINKED = (torch.nn.ReLU, lt.ReLUAlpha, lt.ReLUAlphaPerChannel)
ALPHA_LAYERS = (lt.ReLUAlpha, lt.ReLUAlphaPerChannel)


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
    nets = [initial_model(ARCHITECTURES[mode], weights).double() for mode in ("relu", "alpha")]
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


def batch_kinks(nets, images):
    """Per image of the batch `images`: the smallest |input| of a kinked activation (ReLU,
    ReLUAlpha, ReLUAlphaPerChannel) and the smallest gap between the largest and the second
    largest value of a max-pool window, over `nets` (float64, training mode: BatchNorm2d
    normalises with the statistics of this batch, so every image moves every other's units).
    A window whose two largest values are both exactly 0 (ReLU zeros, which float32 reproduces)
    has no gap: whichever zero takes the gradient (PyTorch: the first), ReLU's zero derivative
    stops it. Any other exact tie counts as a gap of 0."""
    kink = torch.full((len(images),), float("inf"), dtype=torch.float64)
    gap = kink.clone()
    for net in nets:
        x = images.double()
        for module in net:
            if isinstance(module, KINKED):
                kink = torch.minimum(kink, x.abs().flatten(1).min(1).values)
            elif isinstance(module, torch.nn.MaxPool2d):
                k, s = module.kernel_size, module.stride
                windows = x.unfold(2, k, s).unfold(3, k, s).reshape(len(x), -1, k * k)
                top = windows.topk(2, dim=-1).values
                d = top[..., 0] - top[..., 1]
                d[(top[..., 0] == 0) & (top[..., 1] == 0)] = float("inf")
                gap = torch.minimum(gap, d.min(1).values)
            x = module(x)
    return kink, gap


def make_net_common(net, seed):
    """The state (weights and buffers, no alphas) and batch of the network `net` of NETS.

    torch.manual_seed(seed), then PyTorch's default initialisation of the network (the modes
    differ only in their activations, which draw no random numbers), then the images and the
    labels as in make_common. BatchNorm2d in training mode couples the batch, so the check runs
    on the whole batch in every mode's network, in float64 at the initial weights with the
    fixture's alphas: while an image puts a kinked activation's input within KINK_MARGIN of 0
    or two largest values of a max-pool window within KINK_MARGIN of each other, the image
    with the smallest such distance is replaced by the next draw and the whole batch checked
    again. (Only the gradients at the initial weights need this: the forward pass, and so the
    eval-mode logits, are continuous in the weights.)"""
    architectures = NETS[net]
    torch.manual_seed(seed)
    model = lt.module_from_architecture(next(iter(architectures.values())))
    state = {k: v.detach().clone() for k, v in model.state_dict().items()
             if not k.endswith(".alpha")}
    nets = [initial_model(a, state).double() for a in architectures.values()]
    def draw():
        return torch.randint(0, 256, (1, 1, 28, 28)).float() / 255

    images, redrawn = torch.cat([draw() for _ in range(BATCH)]), 0
    with torch.no_grad():
        while True:
            kink, gap = batch_kinks(nets, images)
            closest = torch.minimum(kink, gap)
            if float(closest.min()) >= KINK_MARGIN:
                break
            redrawn += 1
            if redrawn > 100 * BATCH:
                raise RuntimeError(f"seed {seed}: no {net} batch keeps every unit and max-pool "
                                   f"window {KINK_MARGIN} away from its kink")
            images[int(closest.argmin())] = draw()[0]
    labels = torch.randint(0, 10, (BATCH,))
    return state, images, labels, {"images_redrawn": redrawn, "kink_distance": float(kink.min()),
                                   "pool_gap": float(gap.min())}


def alpha_state(model):
    """The initial alphas of `model`'s alpha layers, by checkpoint name: ALPHAS[k - 1] for a
    ReLUAlpha act<k>, torch.linspace(*CHANNEL_ALPHAS, C) for a ReLUAlphaPerChannel."""
    state = {}
    for name, module in model.named_children():
        if isinstance(module, lt.ReLUAlpha):
            state[f"{name}.alpha"] = torch.tensor([ALPHAS[int(name[3:]) - 1]])
        elif isinstance(module, lt.ReLUAlphaPerChannel):
            state[f"{name}.alpha"] = torch.linspace(*CHANNEL_ALPHAS, module.alpha.numel())
    return state


def initial_model(architecture, weights):
    """The network with `weights` (and buffers) and alpha_state's alphas, strictly loaded: the
    names are linconv's checkpoint names. In training mode."""
    model = lt.module_from_architecture(architecture)
    model.load_state_dict({**weights, **alpha_state(model)})
    return model


def run(architecture, reduction, weights, images, labels, dtype):
    """Loss, logits and gradients at the initial weights, losses of each step and the weights
    after STEPS Adam steps, computed in `dtype`. With buffers (BatchNorm2d) also the buffers
    after the first forward pass and after the steps, and the logits in eval() mode after them."""
    model = initial_model(architecture, weights)
    model.to(dtype)
    x, y = images.to(dtype), labels.long()
    alphas = [m.alpha for m in model if isinstance(m, ALPHA_LAYERS)]
    has_buffers = any(True for _ in model.buffers())
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
            result["buffers1"] = {k: v.detach().clone() for k, v in model.named_buffers()}
        result["step_losses"].append(loss.item())
        optimiser.step()
    result["after"] = {k: v.detach().clone() for k, v in model.named_parameters()}
    result["step_losses"] = torch.tensor(result["step_losses"], dtype=torch.float64)
    if has_buffers:
        result["after_state"] = {k: v.detach().clone() for k, v in model.state_dict().items()}
        result["after_buffers"] = {k: v.detach().clone() for k, v in model.named_buffers()}
        result["eval_logits"] = eval_logits(architecture, result["after_state"], x)
    return result


def eval_logits(architecture, state, x):
    """The logits of `x` in eval() mode (BatchNorm2d's running statistics) in x's dtype, with
    `state` rounded to float32 as a fixture stores it: a test that loads the stored
    expected.after_adam3 tensors then meets its own float32 error alone."""
    model = lt.module_from_architecture(architecture)
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
    model.to(x.dtype).eval()
    with torch.no_grad():
        return model(x)


def zero_gradient(architecture):
    """The biases of the convolutions that a BatchNorm2d follows: in training mode the batch
    mean takes them off again, so their gradient is 0 (rounding noise) and Adam moves them
    about lr per step in a direction that the noise picks."""
    children = list(lt.module_from_architecture(architecture).named_children())
    return [f"{name}.bias" for (name, module), (_, after) in zip(children, children[1:])
            if isinstance(module, torch.nn.Conv2d) and isinstance(after, torch.nn.BatchNorm2d)]


def deviation(f32, f64, zero=()):
    """How far PyTorch's float32 run is from the float64 reference, per kind: the worst
    |f32 - f64| / max|f64| over the tensors; for the weights after Adam the worst |f32 - f64| in
    units of lr and how many elements moved by more than lr / 100 (update sign flips).
    The parameters `zero` (zero_gradient) are left out of grad and after_adam3 and reported
    apart: zero_gradient_grad, their largest |f32 gradient| over the largest |f64 gradient|
    of the other tensors, and zero_gradient_after_in_lr. With buffers: the running statistics
    after the first forward pass (the worst |f32 - f64| / max|f64|) and after the steps
    (running_var likewise; running_mean in units of lr: it holds the batch means, which hold
    the zero_gradient biases' noise), eval_logits (PyTorch's float32 trajectory) and
    eval_logits_of_state (added by the caller: PyTorch's float32 eval() forward of the stored
    reference state)."""
    def rel(a, b):
        scale = float(b.abs().max())
        return float((a.double() - b).abs().max()) / scale if scale > 0 else 0.0
    kept = [k for k in f64["after"] if k not in zero]
    after = [(f32["after"][k].double() - f64["after"][k]).abs() for k in kept]
    result = {
        "logits": rel(f32["logits"], f64["logits"]),
        "loss": rel(f32["loss"], f64["loss"]),
        "grad": max(rel(f32["grad"][k], f64["grad"][k]) for k in kept),
        "after_adam3_in_lr": max(float(d.max()) for d in after) / LR,
        "after_adam3_flips": sum(int((d > LR / 100).sum()) for d in after),
    }
    if zero:
        scale = max(float(f64["grad"][k].abs().max()) for k in kept)
        result["zero_gradient_grad"] = max(float(f32["grad"][k].abs().max()) for k in zero) / scale
        result["zero_gradient_after_in_lr"] = max(
            float((f32["after"][k].double() - f64["after"][k]).abs().max()) for k in zero) / LR
    if "eval_logits" in f64:
        floats = [k for k, v in f64["after_buffers"].items() if v.is_floating_point()]
        result["eval_logits"] = rel(f32["eval_logits"], f64["eval_logits"])
        result["buffers_after_forward1"] = max(rel(f32["buffers1"][k], f64["buffers1"][k])
                                               for k in floats)
        after = {k: (f32["after_buffers"][k].double() - f64["after_buffers"][k]).abs()
                 for k in floats}
        result["running_mean_after_adam3_in_lr"] = max(
            float(d.max()) for k, d in after.items() if k.endswith(".running_mean")) / LR
        result["running_var_after_adam3"] = max(
            rel(f32["after_buffers"][k], f64["after_buffers"][k])
            for k in floats if k.endswith(".running_var"))
    return result


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
            ref = run(ARCHITECTURES[mode], reduction, weights, images, labels, torch.float64)
            f32 = run(ARCHITECTURES[mode], reduction, weights, images, labels, torch.float32)
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

    for net in NETS:
        write_net(args.out, net, args.seed)


def write_net(out, net, seed):
    """<net>_common.safetensors and <net>_<mode>_<reduction>.safetensors for `net` of NETS."""
    state, images, labels, draw = make_net_common(net, seed)
    common = f"{net}_common.safetensors"
    metadata = {"seed": str(seed), "torch": torch.__version__, "net": net,
                "kink_margin": repr(KINK_MARGIN), "images_redrawn": str(draw["images_redrawn"]),
                "kink_distance": repr(draw["kink_distance"]), "pool_gap": repr(draw["pool_gap"]),
                "contents": f"the batch, initial weights and buffers of every {net}_* fixture in "
                            "this directory (tests/golden/make_golden.py)"}
    lt.write_safetensors(out / common, {"input.images": images, "input.labels": labels.float(),
                                        **state}, metadata)
    print(f"{common}: seed {seed}, {draw['images_redrawn']} image(s) redrawn, smallest |input| "
          f"of a kinked unit {draw['kink_distance']:.3g}, smallest max-pool gap "
          f"{draw['pool_gap']:.3g}")
    for mode, architecture in NETS[net].items():
        for reduction in REDUCTIONS:
            ref = run(architecture, reduction, state, images, labels, torch.float64)
            f32 = run(architecture, reduction, state, images, labels, torch.float32)
            zero = zero_gradient(architecture)
            dev = deviation(f32, ref, zero)
            dev["eval_logits_of_state"] = float(
                (eval_logits(architecture, ref["after_state"], images).double()
                 - ref["eval_logits"]).abs().max()) / float(ref["eval_logits"].abs().max())
            tensors = {k: v for k, v in ref["params"].items() if k.endswith(".alpha")}
            tensors["expected.logits"] = ref["logits"]
            tensors["expected.loss"] = ref["loss"]
            tensors["expected.step_losses"] = ref["step_losses"]
            tensors.update({f"expected.grad.{k}": v for k, v in ref["grad"].items()})
            tensors.update({f"expected.after_adam3.{k}": v for k, v in ref["after_state"].items()})
            tensors.update({f"expected.after_forward1.{k}": v for k, v in ref["buffers1"].items()})
            tensors["expected.eval_logits"] = ref["eval_logits"]
            metadata = {"architecture": architecture, "net": net, "activation": mode,
                        "reduction": reduction, "lambda": repr(LAMBDA), "lr": repr(LR),
                        "steps": str(STEPS), "batch": str(BATCH), "seed": str(seed),
                        "torch": torch.__version__, "reference": "float64", "shared": common,
                        "penalty": "lambda * sum of |alpha| over every element of every alpha",
                        "zero_gradient": ",".join(zero),
                        "batchnorm": "training mode (batch statistics) for logits, loss, grad, "
                                     "steps; eval mode (running statistics) for eval_logits",
                        "torch_float32_deviation": json.dumps(dev, sort_keys=True)}
            name = f"{net}_{mode}_{reduction}.safetensors"
            lt.write_safetensors(out / name, tensors, metadata)
            print(f"{name}: loss {float(ref['loss']):.6f}; torch float32 vs float64: "
                  + ", ".join(f"{k} {v:.3g}" for k, v in dev.items()))


if __name__ == "__main__":
    main()
