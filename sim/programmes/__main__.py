"""`python -m sim.programmes [path]`: write the reference of every programme kind (default
docs/PROGRAMMES.md), generated from the classes the registry finds, so it cannot fall behind."""

import sys
from pathlib import Path

from sim.programmes.docs import reference

if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "docs" / "PROGRAMMES.md"
    target.write_text(reference())
    print(f"wrote {target}")
