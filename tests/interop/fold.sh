#!/bin/sh
# interop.fold (label torch): `linconv fold` writes a network that PyTorch builds from the
# architecture string alone (scripts/linconv_torch.py) and loads strictly, with linconv's logits
# (max |difference| / max |logit| <= 1e-5, as interop.roundtrip). For each suffix a trained
# checkpoint's alphas are set to 0 (conv3: act3; conv2+conv3: act2 and act3; all three), fold
# must find the folded architecture, and PyTorch's logits for the folded module must be those of
# the unfolded module with the same alphas. Last, `fold --merge-convs` with every alpha 0, then with
# act1's alone (act2 and act3 kept): PyTorch builds the merged network (one 11x11 convolution; a
# 9x9 one and conv3) from its architecture string alone and gives linconv's logits for it (it is
# not the unfolded network: the outer ring's padding differs).
#   Usage: fold.sh LINCONV PYTHON WORKDIR
set -eu
linconv=$1 python=$2 work=$3
scripts="$(dirname "$0")/../../scripts"
images=/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz
rm -rf "$work" && mkdir -p "$work"

"$linconv" train --limit 1000 --epochs 1 --out "$work/run" >/dev/null 2>&1

# folds NAME ALPHAS ARCHITECTURE [FOLD-OPTION...]: the trained checkpoint with act<i>.alpha set
# to 0 for each i in ALPHAS, folded (with the options) to ARCHITECTURE; PyTorch's logits for the
# folded module against linconv's, and, for an exact fold (no options), against the unfolded
# module's.
folds() {
  name=$1 alphas=$2 architecture=$3
  shift 3
  "$python" - "$scripts" "$work/run/model.safetensors" "$work/$name.safetensors" "$alphas" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import linconv_torch as lt
tensors, metadata = lt.read_safetensors(sys.argv[2])
for i in sys.argv[4].split(","):
    tensors[f"act{i}.alpha"][:] = 0
lt.write_safetensors(sys.argv[3], tensors, metadata)
PY
  "$linconv" fold "$@" --checkpoint "$work/$name.safetensors" --out "$work/$name-folded.safetensors" --limit 200 \
      >"$work/$name-fold.txt"
  grep -q "^after .*  $architecture\$" "$work/$name-fold.txt" ||
      { cat "$work/$name-fold.txt"; echo "interop.fold: $name: expected $architecture"; exit 1; }
  "$linconv" predict --checkpoint "$work/$name-folded.safetensors" --images "$images" --limit 200 \
      --output "$work/$name-folded.npy" >/dev/null
  "$python" "$scripts/torch_interop.py" to-torch --checkpoint "$work/$name-folded.safetensors" --images "$images" \
      --limit 200 --compare "$work/$name-folded.npy"
  [ $# -gt 0 ] ||
      "$python" "$scripts/torch_interop.py" to-torch --checkpoint "$work/$name.safetensors" --images "$images" \
          --limit 200 --compare "$work/$name-folded.npy"
}

folds conv3 3 "Input<1,28,28>,Conv<8,5,1,2>,ReLUAlpha,Conv<16,5,1,2>,ReLUAlpha,Flatten,Dense<10>"
folds conv2+conv3 2,3 "Input<1,28,28>,Conv<8,5,1,2>,ReLUAlpha,Flatten,Dense<10>"
folds all 1,2,3 "Input<1,28,28>,Flatten,Dense<10>"
folds merged 1,2,3 "Input<1,28,28>,Conv<32,11,1,5>,Identity,Flatten,Dense<10>" --merge-convs
folds merged-conv1+conv2 1 "Input<1,28,28>,Conv<16,9,1,4>,ReLUAlpha,Conv<32,3,1,1>,ReLUAlpha,Flatten,Dense<10>" --merge-convs
echo "interop.fold: passed"
