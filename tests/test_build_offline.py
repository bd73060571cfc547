"""The site the tests check was built with no network but loopback, and left no temporary
file.

`make docs` (tooling/build_docs.sh) runs the build in a network namespace of its own where
only loopback is up (`unshare -n`), wherever this user may make one: root or
CAP_SYS_ADMIN, as in CI. It gives the build a temporary directory of its own and fails
if anything is left there. Its stamp says which network the build had;
tests/test_make_docs.py shows that the stamp tells the truth, on a one-page build that
probes the network. So the build the tests check is the offline build, and no second
build is made. (That the chapters' figures come out the same from run to run is checked
against a reader's run of every notebook, in tests/test_notebooks.py.)
"""

from __future__ import annotations

import pytest
from helpers import cannot_run_here

pytestmark = pytest.mark.site


def test_the_build_had_loopback_only_and_left_no_temporary_file(built_site):
    stamp = (built_site / ".built").read_text()
    if stamp.startswith("network: this machine's"):
        cannot_run_here("the site was built with the network: unshare -n is not permitted here")
    assert stamp == "network: loopback only (unshare -n)\ntemporary files left: none\n"
