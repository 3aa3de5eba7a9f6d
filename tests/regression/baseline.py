"""Regression baseline: summaries of each shipped scenario on fixed seeds.

A change that moves any of these numbers must update the stored file in the same commit, and say
why in the commit message:

    python -m tests.regression.baseline --update
"""

import argparse
import json
from pathlib import Path

from sim import compose, simulate
from sim.config import SCENARIO_DIR

STORED = Path(__file__).with_name("summaries.json")
CASES = [(scenario, disease, policy) for scenario in sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))
         for disease, policy in (("measles", "baseline"), ("covid19", "baseline"), ("covid19", "combined"))]
DAYS, SEEDS = 120, (0,)
VOLATILE = {"runtime_seconds", "scenario_file"}


def key(scenario: str, disease: str, policy: str, seed: int) -> str:
    return f"{scenario}/{disease}/{policy}/seed={seed}"


def summary(scenario: str, disease: str, policy: str, seed: int) -> dict:
    overrides = [f"scenario={scenario}", f"disease={disease}", f"policy={policy}", f"seed={seed}", f"days={DAYS}",
                 "progress=false", "compare_to_baseline=false"]
    result = simulate(compose(overrides))
    return {k: v for k, v in result.summary.items() if k not in VOLATILE}


def all_summaries() -> dict:
    return {key(*case, seed): summary(*case, seed) for case in CASES for seed in SEEDS}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--update", action="store_true", help="rewrite the stored summaries")
    if parser.parse_args().update:
        STORED.write_text(json.dumps(all_summaries(), indent=1, sort_keys=True) + "\n")
        print(f"wrote {STORED}")
