"""`python -m alphabet_tutorial` runs the command-line interface."""

import sys

from alphabet_tutorial.cli import main

sys.exit(main())
