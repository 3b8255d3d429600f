"""Entry point: ``python -m loadtests.media``."""

from loadtests.media.bench import main

main()
