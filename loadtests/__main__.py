"""``python -m loadtests``: the same as ``gridhub-load`` (see loadtests/cli.py)."""

from __future__ import annotations

import sys

from loadtests.cli import main

sys.exit(main())
