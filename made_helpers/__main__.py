"""``python -m made_helpers train|evaluate|sample`` (see ``made_helpers.cli``)."""

import sys

from .cli import main

sys.exit(main())
