"""Entry point: ``python -m loadtests.realtime``."""

from loadtests.realtime.cli import main

main()
