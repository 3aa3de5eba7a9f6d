"""`python -m sim.viz [--port N]`: serve the browser page (the same as `migration-sim view`)."""

import sys

from sim.viz.serve import main

sys.exit(main())
