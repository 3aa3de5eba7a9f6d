"""Calibration of ranged numbers to observed figures: the targets of validation/targets/ marked
`calibration: true` (or named), fitted by Optuna (point estimate) or pyabc's ABC-SMC (posterior),
saved as a calibration file (analysis.calibrated) that runs and analyses can apply.

    python -m analysis calibrate --scenario demo --disease covid19 --parameters arrivals.per_day
    python -m analysis posterior calibration/demo.yaml --policies baseline,vaccinate_at_entry

Likelihood (Optuna). Each parameter set runs on the same seeds (0 .. seeds-1: common random
numbers, so the surface moves with the parameters, not the seeds). An observed count (a metric's
total) is scored by the negative binomial log-probability of the observed count given the mean of
the runs, with the variance of the runs over seeds plus the observation's own error (the target's
relative tolerance taken as the half-width of its 95% band: sd = tolerance x mean / 1.96);
Poisson where that variance does not exceed the mean. Any other figure (a rate, a share, a
published range taken as a 95% interval around its middle) is scored by a normal log-density with
the same two variances. The objective adds the log-density of each parameter's declared
distribution (its prior): the estimate is the maximum a posteriori, the maximum likelihood under
uniform ranges. The 95% interval of each parameter spans the trials whose log-likelihood lies
within chi2(0.95, d) / 2 of the best (a likelihood-ratio region, read off the trials: as wide as
the trials that fell in it; more trials widen it towards the true region).

ABC-SMC (pyabc, the `calibration` extra). Each particle runs once on a seed of its own; the
distance is pyabc's adaptive (scaled) Euclidean distance between the runs' target values and the
observed ones; the priors are the declared distributions; the posterior's weighted particles are
resampled into draws saved with the file, which `posterior` runs under each policy (paired: one
seed per draw, the same under every policy).
"""

import math
from datetime import date
from pathlib import Path

import numpy as np
import optuna
import pandas as pd
from scipy import stats

from analysis.batch import RunStore, Space, Totals, run_points
from analysis.calibrated import Calibration, default_path, load_calibration, save_calibration
from analysis.sensitivity import TOTALS
from analysis.validation import TARGETS_DIR, Target, load_targets, model_value
from sim.config import PROJECT_ROOT
from sim.uncertainty import Uncertain, select

LEAST_MEAN = 0.1  # a count's model mean is at least this: a run of zeros scores low, not minus infinity
LIKELIHOOD = ("negative binomial for observed counts, normal for other figures and ranges; variance of the runs "
              "over seeds plus the observation's (tolerance / 1.96 as its relative sd)")


class TargetValues:
    """Keep each target's model quantity of a run (analysis.validation.model_value)."""

    def __init__(self, targets: list[Target]):
        self.targets = targets

    def __call__(self, result, graph) -> dict:
        return {target.name: model_value(target.model, result, graph) for target in self.targets}


def chosen_targets(scenario: str, path: Path | None = None, names=()) -> list[Target]:
    """The targets of a scenario to fit: those named, else those marked `calibration: true`."""
    targets = load_targets(path or TARGETS_DIR / f"{scenario}.yaml").targets
    chosen = [t for t in targets if t.name in names] if names else [t for t in targets if t.calibration]
    missing = set(names) - {t.name for t in chosen}
    if missing or not chosen:
        raise ValueError(f"targets {sorted(missing) or ''}: none to fit; give names among "
                         f"{[t.name for t in targets]} or mark targets `calibration: true`")
    return chosen


def is_count(target: Target) -> bool:
    return (target.observed is not None and target.model.metric is not None and target.model.statistic == "total"
            and float(target.observed).is_integer())


def log_likelihood(target: Target, values) -> float:
    """The log-likelihood of the target's observed figure given the model's values over seeds."""
    values = np.asarray(values, dtype=float)
    mean = float(values.mean())
    spread = float(values.var(ddof=1)) if len(values) > 1 else 0.0
    if target.observed is not None:
        observed, relative = target.observed, target.tolerance.relative / 1.96
    else:
        low, high = target.bounds
        observed, relative = (low + high) / 2, None
    if is_count(target):
        mean = max(mean, LEAST_MEAN)
        variance = spread + (relative * mean) ** 2
        if variance <= mean:
            return float(stats.poisson.logpmf(round(observed), mean))
        size = mean ** 2 / (variance - mean)
        return float(stats.nbinom.logpmf(round(observed), size, size / (size + mean)))
    error = relative * abs(observed) if relative is not None else (target.bounds[1] - target.bounds[0]) / (2 * 1.96)
    sd = math.sqrt(spread + error ** 2) or 1e-9
    return float(stats.norm.logpdf(observed, mean, sd))


def total_log_likelihood(targets: list[Target], rows: list[dict]) -> float:
    return sum(log_likelihood(target, [row[target.name] for row in rows]) for target in targets)


def log_prior(parameters: list[Uncertain], point: dict) -> float:
    return float(sum(p.frozen().logpdf(p.to_draw(point[p.label])) for p in parameters))


def suggest(trial: optuna.Trial, parameter: Uncertain) -> float:
    """A trial's value of a parameter, over its range (whole numbers as integers, logarithmic
    distributions on a log scale)."""
    if parameter.whole:
        return trial.suggest_int(parameter.label, math.ceil(parameter.low), math.floor(parameter.high))
    logarithmic = parameter.distribution in ("lognormal", "log_uniform")
    return trial.suggest_float(parameter.label, parameter.low, parameter.high, log=logarithmic)


def likelihood_interval(trials: pd.DataFrame, labels: list[str]) -> dict[str, list[float]]:
    """Per parameter, the span of the trials within the 95% likelihood-ratio bound of the best."""
    bound = stats.chi2.ppf(0.95, len(labels)) / 2
    inside = trials[trials["log_likelihood"] >= trials["log_likelihood"].max() - bound]
    return {label: [float(inside[label].min()), float(inside[label].max())] for label in labels}


def fit_optuna(space: Space, parameters: list[Uncertain], targets: list[Target], seeds: int, trials: int,
               folder: Path, policy: str = "baseline", seed: int = 0, progress: bool | None = None) -> dict:
    """Maximum a posteriori by Optuna's TPE sampler over the ranges; the study is stored in
    folder/study.db, so a rerun adds only the trials missing. Returns estimate, intervals and the
    trials (one row each: parameters, log_likelihood, log_posterior)."""
    folder.mkdir(parents=True, exist_ok=True)
    keep = TargetValues(targets)
    runs = [(policy, s) for s in range(seeds)]
    space.check([{p.label: p.value for p in parameters}])
    space.warm_up()

    def objective(trial: optuna.Trial) -> float:
        point = {p.label: suggest(trial, p) for p in parameters}
        rows = space.run(point, runs, keep, f" (trial {trial.number})")
        likelihood = total_log_likelihood(targets, rows)
        trial.set_user_attr("log_likelihood", likelihood)
        return likelihood + log_prior(parameters, point)

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(study_name="calibration", storage=f"sqlite:///{(folder / 'study.db').resolve()}",
                                load_if_exists=True, direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    design = {"scenario": space.scenario_data["name"], "policy": policy, "seeds": seeds,
              "days": space.configs[policy]["days"], "parameters": [[p.label, p.low, p.high] for p in parameters],
              "targets": [t.model_dump(mode="json") for t in targets]}
    if study.user_attrs.get("design", design) != design:
        raise ValueError(f"{folder / 'study.db'} holds another calibration: choose another --work folder, or remove it")
    study.set_user_attr("design", design)
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if trials > len(complete):
        study.optimize(objective, n_trials=trials - len(complete), show_progress_bar=progress is not False)
    table = pd.DataFrame([{**t.params, "log_likelihood": t.user_attrs["log_likelihood"], "log_posterior": t.value}
                          for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE])
    labels = [p.label for p in parameters]
    best = table.loc[table["log_posterior"].idxmax()]
    return {"estimate": {label: float(best[label]) for label in labels},
            "intervals": likelihood_interval(table, labels), "trials": table,
            "method": f"optuna (TPE, {len(table)} trials of {seeds} seeds each, maximum a posteriori)"}


def fit_abc(space: Space, parameters: list[Uncertain], targets: list[Target], population: int, generations: int,
            folder: Path, policy: str = "baseline", seed: int = 0, draws: int = 200) -> dict:
    """ABC-SMC with pyabc (the `calibration` extra): the posterior's particles, resampled by weight
    into `draws` points; the estimate is their median and the intervals their 2.5th and 97.5th
    percentiles."""
    try:
        import pyabc
    except ImportError:
        raise ValueError("ABC-SMC needs pyabc: pip install -e '.[calibration]'") from None
    folder.mkdir(parents=True, exist_ok=True)
    names = {f"p{i}": p for i, p in enumerate(parameters)}  # plain names for pyabc's database
    prior = pyabc.Distribution(**{name: abc_prior(pyabc, p) for name, p in names.items()})
    keep = TargetValues(targets)
    rng = np.random.default_rng(seed)
    space.check([{p.label: p.value for p in parameters}])
    space.warm_up()

    def model(drawn: dict) -> dict:
        point = {p.label: p.from_draw(drawn[name]) for name, p in names.items()}
        row = space.run(point, [(policy, int(rng.integers(2**31)))], keep)[0]
        return {target.name: row[target.name] for target in targets}

    observed = {t.name: t.observed if t.observed is not None else sum(t.bounds) / 2 for t in targets}
    np.random.seed(seed)  # pyabc's own draws
    abc = pyabc.ABCSMC(model, prior, pyabc.AdaptivePNormDistance(p=2), population_size=population,
                       sampler=pyabc.sampler.SingleCoreSampler())
    database = folder / "abc.db"
    database.unlink(missing_ok=True)  # ABC-SMC starts afresh: a half-run database is not a posterior
    abc.new(f"sqlite:///{database.resolve()}", observed)
    history = abc.run(max_nr_populations=generations)
    particles, weights = history.get_distribution()
    chosen = rng.choice(len(particles), size=draws, p=weights / weights.sum())
    values = {p.label: [float(p.from_draw(x)) for x in particles[name].to_numpy()[chosen]] for name, p in names.items()}
    return {"estimate": {label: float(np.median(v)) for label, v in values.items()},
            "intervals": {label: [float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5))] for label, v in values.items()},
            "draws": values, "simulations": int(history.total_nr_simulations),
            "method": f"pyabc ABC-SMC ({generations} generations of {population} particles, "
                      f"{history.total_nr_simulations} runs; final epsilon {history.get_all_populations()['epsilon'].iloc[-1]:.3g})"}


def abc_prior(pyabc, parameter: Uncertain):
    """The declared distribution as a pyabc prior (by scipy name and arguments, in the draw space)."""
    frozen = parameter.frozen()
    return pyabc.RV(frozen.dist.name, *frozen.args, **frozen.kwds)


def calibrate(scenario: str, disease: str, parameters, method: str = "optuna", targets_path: Path | None = None,
              target_names=(), seeds: int = 3, days: int = 365, trials: int = 60, population: int = 100,
              generations: int = 4, policy: str = "baseline", overrides=(), out: Path | None = None,
              work: Path | None = None, seed: int = 0, progress: bool | None = None) -> tuple[Path, dict]:
    """Fit the parameters to the targets and save the calibration file (default
    calibration/<scenario>.yaml). Returns its path and the fit."""
    space = Space(scenario, disease, [policy], days, overrides)
    chosen = select(space.parameters, parameters)
    targets = chosen_targets(scenario, targets_path, target_names)
    work = work or PROJECT_ROOT / "multirun" / "calibration" / scenario / disease
    if method == "optuna":
        fit = fit_optuna(space, chosen, targets, seeds, trials, work, policy, seed, progress)
    elif method == "abc":
        fit = fit_abc(space, chosen, targets, population, generations, work, policy, seed)
    else:
        raise ValueError(f"method {method!r}: optuna or abc")
    calibration = Calibration(scenario=space.scenario_data["name"], disease=disease, date=date.today(),
                              method=fit["method"], likelihood=LIKELIHOOD if method == "optuna" else
                              "ABC: adaptive scaled Euclidean distance of the runs' target values to the observed",
                              targets=[t.name for t in targets], days=days, seeds=seeds if method == "optuna" else 1,
                              parameters=fit["estimate"], intervals=fit["intervals"], draws=fit.get("draws", {}))
    return save_calibration(calibration, out or default_path(calibration.scenario)), fit


def compare_over_draws(calibration_path: Path, policies, draws: int | None, folder: Path, jobs: int = 1,
                       days: int | None = None, progress: bool | None = None) -> pd.DataFrame:
    """Every policy on each posterior draw of a calibration file (each draw on a seed of its own,
    the same under every policy): one row per run, as analysis.load_summaries gives, with `draw`
    among the parameters, for analysis.compare and analysis.decide."""
    calibration = load_calibration(calibration_path)
    points = calibration.draw_points()[:draws]
    days = days or calibration.days
    space = Space(calibration.scenario, calibration.disease, policies, days)
    record = {"calibration": str(calibration_path), "policies": list(policies), "days": days, "points": points}
    store = RunStore(folder, record)
    run_points(space, points, [0], Totals(TOTALS), store, jobs, progress=progress, seed_per_point=True)
    runs = store.rows().rename(columns={"point": "draw"}).assign(scenario=calibration.scenario, disease=calibration.disease)
    runs.attrs["parameters"] = ["scenario", "disease", "policy", "seed", "draw"]
    return runs
