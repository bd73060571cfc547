"""`python -m alphabet_site`: the same as the `alphabet-site` command."""

import sys

from alphabet_site.cli import main

sys.exit(main())
