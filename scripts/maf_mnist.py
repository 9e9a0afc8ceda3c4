"""Train one model of the MAF paper's MNIST table.

``python scripts/maf_mnist.py MODEL --out results/maf_mnist/MODEL.json``

MODEL is one of gaussian, made, made_mog, realnvp, maf, maf_mog; see ``made_helpers.experiments.maf_mnist`` and
``--help``.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))      # this checkout's made_helpers
from made_helpers.experiments.maf_mnist import main

if __name__ == "__main__":
    sys.exit(main())
