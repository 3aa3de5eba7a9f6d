"""Run one simulation (or a sweep with -m) from a checkout: `python run.py [overrides]`.

The same command as the installed `migration-sim`; usage and behaviour are in sim/cli.py.
"""

from sim.cli import entry

if __name__ == "__main__":
    entry()
