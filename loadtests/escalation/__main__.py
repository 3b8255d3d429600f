"""Entry point: ``python -m loadtests.escalation``."""

from loadtests.escalation.bench import main

main()
