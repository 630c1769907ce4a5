#!/bin/sh
# interop.roundtrip (label torch): a checkpoint trained by linconv loads in PyTorch with the
# same logits (max |difference| / max |logit| <= 1e-5), and a PyTorch state_dict saved as
# safetensors trains further in linconv.   Usage: roundtrip.sh LINCONV PYTHON WORKDIR
set -eu
linconv=$1 python=$2 work=$3
interop="$(dirname "$0")/../../scripts/torch_interop.py"
images=/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz
rm -rf "$work" && mkdir -p "$work"

for activation in alpha relu linear; do
  "$linconv" train --activation "$activation" --limit 1000 --epochs 1 --out "$work/$activation" >/dev/null 2>&1
  "$linconv" predict --checkpoint "$work/$activation/model.safetensors" --images "$images" --limit 200 \
      --output "$work/$activation.npy" >/dev/null
  "$python" "$interop" to-torch --checkpoint "$work/$activation/model.safetensors" --images "$images" \
      --limit 200 --compare "$work/$activation.npy"
done

"$python" "$interop" from-torch --activation alpha --seed 1 --output "$work/torch.safetensors"
"$linconv" train --init "$work/torch.safetensors" --limit 1000 --epochs 1 --out "$work/from_torch" 2>/dev/null |
  grep "test accuracy"
echo "interop.roundtrip: passed"
