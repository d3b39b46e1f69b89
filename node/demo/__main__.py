"""``python -m node.demo`` (``make demo``)."""

from . import main

main()
