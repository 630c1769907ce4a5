#!/bin/sh
# interop.roundtrip (label torch): a checkpoint trained by linconv loads in PyTorch (strict
# load_state_dict) with the same logits in eval() mode (max |difference| / max |logit| <= 1e-5),
# for the report's network and its first attempt (--net fashion-bn-pool, whose checkpoints hold
# BatchNorm2d's buffers); `linconv grad` on a first-attempt checkpoint gives PyTorch's train()
# mode gradient (scripts/torch_interop.py grad, the golden tests' tolerance); and a PyTorch
# state_dict saved as safetensors trains further in linconv.
#   Usage: roundtrip.sh LINCONV PYTHON WORKDIR
set -eu
linconv=$1 python=$2 work=$3
interop="$(dirname "$0")/../../scripts/torch_interop.py"
images=/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz
rm -rf "$work" && mkdir -p "$work"

# Trains NET ACTIVATION into $work/NET-ACTIVATION and checks its logits in PyTorch.
logits_agree() {
  run="$work/$1-$2"
  "$linconv" train --net "$1" --activation "$2" --limit 1000 --epochs 1 --out "$run" >/dev/null 2>&1
  "$linconv" predict --checkpoint "$run/model.safetensors" --images "$images" --limit 200 \
      --output "$run.npy" >/dev/null
  "$python" "$interop" to-torch --checkpoint "$run/model.safetensors" --images "$images" \
      --limit 200 --compare "$run.npy"
}

for activation in alpha relu linear; do
  logits_agree fashion "$activation"
done
for activation in alpha relu linear channel; do
  logits_agree fashion-bn-pool "$activation"
  run="$work/fashion-bn-pool-$activation"
  lambda=  # a network without alphas has no --lambda (its penalty is 0)
  case $activation in alpha|channel) lambda="--lambda 0.5" ;; esac
  "$linconv" grad --checkpoint "$run/model.safetensors" --limit 100 $lambda \
      --output "$run-grad.safetensors" >/dev/null
  "$python" "$interop" grad --checkpoint "$run/model.safetensors" --limit 100 --lambda 0.5 \
      --compare "$run-grad.safetensors"
done

"$python" "$interop" from-torch --activation alpha --seed 1 --output "$work/torch.safetensors"
"$linconv" train --init "$work/torch.safetensors" --limit 1000 --epochs 1 --out "$work/from_torch" 2>/dev/null |
  grep "test accuracy"
"$python" "$interop" from-torch --net fashion-bn-pool --activation channel --seed 1 \
    --output "$work/torch-bn-pool.safetensors"
"$linconv" train --init "$work/torch-bn-pool.safetensors" --net fashion-bn-pool --activation channel \
    --limit 1000 --epochs 1 --out "$work/from_torch_bn_pool" 2>/dev/null | grep "test accuracy"
echo "interop.roundtrip: passed"
