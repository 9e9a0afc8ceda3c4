#!/usr/bin/env bash
# The MADE paper's best binarized-MNIST model (its table's "2 hidden layers, 32 masks" row, 86.64 nats),
# with the settings of the authors' command in their code's README (mgermain/MADE):
#   trainMADE.py --name mnist_from_paper binarized_mnist 0.01 0 -1 32 Full 300 100 30 False 0 adagrad 0
#                [8000,8000] 1234 False Output False hinge Orthogonal 0
# i.e. AdaGrad with learning rate 0.01 and no decay, no epoch limit, 32 masks changing ordering and
# connectivity (Full), batch 100, stop after 30 epochs without a lower validation NLL ("look ahead"),
# no pre-training, no dropout, two hidden layers of 8 000 ReLU units, seed 1234, the direct input-to-output
# connection, orthogonal initial weights. "No epoch limit" is --epochs 100000 here.
# Differences from the authors' code, by design: their trainer cycles through the masks in a fixed order
# (33 of them: the first and 32 reshuffles) while this package draws one of 32 at random per minibatch;
# both validate on the mixture over all masks.
#
# Usage: scripts/paper_mnist_2x8000.sh OUT [more train flags]
#   OUT receives the run (checkpoints every epoch: re-run with --resume to continue) and test_result.json,
#   the results file (copy it into results/ under the run's name; the model is too large to commit).
#   Flags after OUT override the paper's (the last value of a flag wins), e.g. a small check on the CPU:
#   scripts/paper_mnist_2x8000.sh /tmp/paper_small --hidden 16 16 --epochs 1 --limit 200
# Paper size needs a GPU: one epoch of 500 minibatches takes minutes on a 2-core CPU (benchmarks/README.md).
set -euo pipefail
if [ $# -lt 1 ] || [[ "$1" == -* ]]; then
  echo "usage: $0 OUT [more train flags, e.g. --resume, or --hidden 16 16 --epochs 1 --limit 200]" >&2
  exit 2
fi
out=$1
shift
python=${PYTHON:-python}
"$python" -m made_helpers train --hidden 8000 8000 --masks 32 --ordering random --mask-kind full \
    --optimizer adagrad-paper --learning-rate 0.01 --init orthogonal --batch-size 100 \
    --patience 30 --epochs 100000 --seed 1234 --verbose 2 --out "$out" "$@"
result="$out/test_result.json"                # a resumed run keeps the earlier result beside the new one
n=1; while [ -e "$result" ]; do n=$((n + 1)); result="$out/test_result.$n.json"; done
"$python" -m made_helpers evaluate --model "$out" --split test --json "$result" \
    --note "the MADE paper's MNIST command (scripts/paper_mnist_2x8000.sh $*)"
