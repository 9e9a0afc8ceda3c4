"""``python -m made_helpers train|evaluate|sample`` (see ``made_helpers.experiments.cli``)."""

import sys

from .experiments.cli import main

sys.exit(main())
