"""The single-population SEIR of W in Starsim (https://starsim.org), for `run.py --compare starsim`.

Matched to W with one node (K = 1): N people in one well-mixed pool (a Starsim MixingPool with one
effective contact a day), a daily step, latent and infectious periods from the same gamma
(Erlang) distributions, no deaths, 0.1% infected at the start. The daily transmission probability
is set so that an agent meeting only infectious people is infected with probability `beta`, the
transmission rate the project compiles for r0 2.5: then the daily risk is beta x prevalence in
Starsim and 1 - exp(-beta x prevalence) in this project, equal to first order. Starsim draws
continuous durations, this project rounds them to whole days, so epidemics agree closely, not
exactly: the report shows both final sizes.
"""

import math
import os
import time

import workload


def starsim_missing() -> str | None:
    """None if Starsim can be imported, else why not, and how to install it."""
    os.environ.setdefault("STARSIM_INSTALL_FONTS", "0")  # no font-cache rebuild inside a timing
    try:
        import starsim  # noqa: F401
    except ImportError as error:
        return f"Starsim is not installed ({error}); install it with `pip install starsim`"
    return None


def run_starsim(people: int, days: int, seed: int, beta: float) -> dict:
    """Build and run the matched SEIR in Starsim for `days` daily steps; time set-up and run."""
    import starsim as ss

    (latent_mean, latent_shape), (infectious_mean, infectious_shape) = workload.LATENT, workload.INFECTIOUS
    started = time.perf_counter()
    seir = ss.SEIR(
        beta=ss.perday(-math.log1p(-beta)),  # Starsim turns a rate into 1 - exp(-rate x dt) = beta
        init_prev=ss.bernoulli(p=workload.INFECTED_PER_THOUSAND / 1000),
        dur_exp=ss.gamma(a=latent_shape, scale=ss.days(latent_mean / latent_shape)),
        dur_inf=ss.gamma(a=infectious_shape, scale=ss.days(infectious_mean / infectious_shape)),
        p_death=ss.bernoulli(p=0.0),
    )
    pool = ss.MixingPool(beta=1.0, n_contacts=ss.constant(1))
    sim = ss.Sim(n_agents=people, diseases=seir, networks=pool, start=ss.days(0), stop=ss.days(days - 1),
                 dt=ss.days(1), rand_seed=seed + 1, verbose=0)
    sim.init()
    built = time.perf_counter()
    sim.run()
    simulated = time.perf_counter() - built
    steps = len(sim.results.seir.n_susceptible)
    return {
        "people": people, "days": steps, "starsim": ss.__version__,
        "setup_seconds": built - started,
        "simulated_seconds": simulated,
        "agent_days_per_second": people * steps / simulated,
        "ever_infected_share": 1.0 - float(sim.results.seir.n_susceptible[-1]) / people,
    }


def compare(people: int, days: int, seed: int) -> dict:
    """This project's W(people, 1, days) and Starsim's matched SEIR, one after the other in this
    process, each after a tiny warm-up run, and the ratio of their agent-days per second (above 1:
    this project is faster). Set-up is left out of both rates."""
    workload.run(workload.WARM_UP["people"], 1, workload.WARM_UP["days"], seed)
    ours = workload.run(people, 1, days, seed)
    run_starsim(workload.WARM_UP["people"], workload.WARM_UP["days"], seed, ours["beta"])  # Starsim's own numba
    theirs = run_starsim(people, days, seed, ours["beta"])
    return {"people": people, "days": days, "ours": ours, "starsim": theirs,
            "speed_ratio": ours["agent_days_per_second"] / theirs["agent_days_per_second"]}
