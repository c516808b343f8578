"""Sampling the posterior of BG/NBD (or MBG/NBD) and Gamma-Gamma with PyMC.

The likelihoods are PyMC-Marketing's (``BetaGeoNBD`` / ``ModifiedBetaGeoNBD``, and the
Gamma-Gamma likelihood of Fader, Hardie & Lee 2005, "RFM and CLV", eq. 1a, as
PyMC-Marketing writes it), evaluated on **compressed** histories: customers with identical
(frequency, recency, T), or identical (frequency, mean spend), share one row whose
log-likelihood is multiplied by its count. The posterior is exactly the one of the
per-customer model, at a fraction of the work: 100,000 synthetic customers collapse to
about 10,000 rows (``bench/clv_bayes.py``). PyMC-Marketing's own model classes take one row
per customer, so crmlab builds the PyMC model itself from their pieces.

Default priors are weak (``DEFAULT_PRIORS``): flat on r, alpha, p, q, v (PyMC-Marketing's
default for Gamma-Gamma; a flat prior on a rate's scale does not depend on the time unit)
and PyMC-Marketing's default for dropout, a = phi kappa, b = (1 - phi) kappa with
phi ~ Uniform(0, 1) and kappa ~ Pareto(1, 1). Pass ``priors`` (PyMC-Marketing's ``Prior``
objects by the same names) to change any of them.

PyMC is imported here only: ``import crmlab`` stays light, and without the ``bayes`` extra
everything else works.
"""

from __future__ import annotations

import contextlib
import logging
import time
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ModelFitError, ParameterError, whole_number
from .likelihood import PARAMETERS

BAYES_MODELS = ("bgnbd", "mbgnbd")
PURCHASE_PRIORS = ("r", "alpha", "phi_dropout", "kappa_dropout")
SPEND_PRIORS = ("p", "q", "v")


def _require_pymc():
    """PyMC and PyMC-Marketing, or a clear error naming the extra to install."""
    try:
        # tqdm warns inside notebooks without ipywidgets when PyMC imports it: crmlab shows
        # no progress bars, so the warning would only reach the report as noise
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pymc
            from pymc_marketing.clv import distributions
            from pymc_marketing.prior import Prior
    except ImportError as exc:
        raise ParameterError(
            "method='bayes' needs PyMC-Marketing: pip install 'crmlab[bayes]' "
            f"({exc.name} is missing)."
        ) from exc
    return pymc, distributions, Prior


def default_priors() -> dict:
    """The weak default priors, as PyMC-Marketing ``Prior`` objects (see the module doc)."""
    _, _, Prior = _require_pymc()
    return {
        "r": Prior("HalfFlat"),
        "alpha": Prior("HalfFlat"),
        "phi_dropout": Prior("Uniform", lower=0, upper=1),
        "kappa_dropout": Prior("Pareto", alpha=1, m=1),
        "p": Prior("HalfFlat"),
        "q": Prior("HalfFlat"),
        "v": Prior("HalfFlat"),
    }


# NUTS evaluates the likelihood's gradient some 16,000 times per chain, at about 70 ns
# per compressed row (100k customers at daily resolution: 124k rows, 4.9 ms a gradient):
# 20,000 rows take about 25 s per chain. Beyond, the Laplace approximation.
NUTS_LIMIT = 20_000
METHODS = ("auto", "nuts", "laplace")


@dataclass(frozen=True)
class Sampling:
    """How the posterior is drawn.

    method: "nuts" (PyMC's NUTS sampler: exact up to Monte Carlo error), "laplace" (a
        normal approximation around the posterior mode in the unconstrained parameters,
        log and logit scales, from PyMC's log density and gradient; accurate when many
        customers pin the parameters down, and seconds instead of minutes) or "auto" (default: NUTS
        up to ``NUTS_LIMIT`` compressed histories, Laplace beyond; ``Posterior.method``
        says which ran).
    draws / tune: kept and warm-up draws per chain (Laplace draws chains x draws).
    chains: independent NUTS chains (at least 2, so convergence can be checked). cores:
    chains run in parallel on this many processes. target_accept: NUTS's target
    acceptance rate (raise towards 0.99 on divergences). random_state: seeds everything:
    the same seed gives the same draws.
    """

    method: str = "auto"
    draws: int = 1000
    tune: int = 1000
    chains: int = 2
    cores: int = 2
    target_accept: float = 0.9
    random_state: int = 0

    def __post_init__(self):
        if self.method not in METHODS:
            raise ParameterError(f"method={self.method!r}: use 'auto', 'nuts' or 'laplace'.")
        whole_number("draws", self.draws, low=50)
        whole_number("tune", self.tune, low=50)
        whole_number("chains", self.chains, low=2)
        whole_number("cores", self.cores, low=1)
        whole_number("random_state", self.random_state, low=0)
        if not 0.5 <= self.target_accept < 1:
            raise ParameterError(
                f"target_accept={self.target_accept!r}: give a rate in [0.5, 1), e.g. 0.9."
            )


@dataclass(frozen=True)
class Posterior:
    """Posterior draws of a purchase model and, optionally, Gamma-Gamma.

    method: "nuts" or "laplace" (see ``Sampling``). rows: compressed histories the
    likelihood was evaluated on. purchase / spend: one row per draw (chains one after the
    other), one column per parameter (lifetimes' names: r, alpha, a, b; p, q, v).
    convergence: per parameter, R-hat (close to 1 when the chains agree; above 1.01 is
    suspect) and the effective sample sizes of the bulk and tails (NaN for Laplace, which
    draws independently). divergences: NUTS's divergent transitions (should be 0).
    seconds: wall time of compiling and drawing.
    """

    method: str
    rows: int
    purchase: pd.DataFrame
    spend: pd.DataFrame | None
    convergence: pd.DataFrame
    divergences: int
    seconds: float
    sampling: Sampling

    @property
    def converged(self) -> bool:
        """NUTS: every R-hat below 1.01 and no divergence; Laplace: every draw finite (the
        mode was found and its curvature is a proper covariance)."""
        if self.method == "laplace":
            frames = [self.purchase] + ([self.spend] if self.spend is not None else [])
            return all(bool(np.isfinite(f.to_numpy()).all()) for f in frames)
        return bool((self.convergence["r_hat"] < 1.01).all()) and self.divergences == 0


def _priors(priors: dict | None, names: tuple[str, ...]) -> dict:
    chosen = default_priors()
    unknown = set(priors or {}) - set(chosen)
    if unknown:
        raise ParameterError(
            f"priors for {sorted(unknown)}: give priors for {', '.join(chosen)} "
            "(PyMC-Marketing Prior objects)."
        )
    chosen.update(priors or {})
    return {name: chosen[name] for name in names}


def build_model(
    model: str, patterns: pd.DataFrame, spend_patterns: pd.DataFrame | None, priors=None
):
    """The PyMC model: priors plus one weighted likelihood term per compressed row.

    model: "bgnbd", "mbgnbd", or "nbd", their no-dropout limit (r and alpha only), which
    ``clv.fit`` chooses where the maximum-likelihood fit finds no evidence of customers
    leaving: there the dropout parameters are the prior's alone and NUTS wanders along a
    ridge (a wholesaler's year: R-hat in the millions after 50 s).
    patterns: frequency, recency, T, weight (``likelihood.compress``). spend_patterns:
    frequency, monetary_value, weight of the repeat buyers, or None for no spend model.
    """
    if model not in (*BAYES_MODELS, "nbd"):
        raise ParameterError(
            f"method='bayes' fits model='bgnbd' or 'mbgnbd', not {model!r} (Pareto/NBD: "
            "use the maximum-likelihood fit)."
        )
    pm, distributions, _ = _require_pymc()
    import pytensor.tensor as pt

    chosen = _priors(priors, PURCHASE_PRIORS + (SPEND_PRIORS if spend_patterns is not None else ()))
    f, rec, T, w = (patterns[c].to_numpy(float) for c in ("frequency", "recency", "T", "weight"))
    with pm.Model() as pymc_model:
        r = chosen["r"].create_variable("r")
        alpha = chosen["alpha"].create_variable("alpha")
        if model == "nbd":  # Gamma-Poisson: likelihood.nbd_loglik
            per_row = (
                pt.gammaln(r + f) - pt.gammaln(r) + r * pt.log(alpha) - (r + f) * pt.log(alpha + T)
            )
        else:
            dist = {"bgnbd": distributions.BetaGeoNBD, "mbgnbd": distributions.ModifiedBetaGeoNBD}
            phi = chosen["phi_dropout"].create_variable("phi_dropout")
            kappa = chosen["kappa_dropout"].create_variable("kappa_dropout")
            a = pm.Deterministic("a", phi * kappa)
            b = pm.Deterministic("b", (1.0 - phi) * kappa)
            purchases = dist[model].dist(a=a, b=b, r=r, alpha=alpha, T=T)
            per_row = pm.logp(purchases, np.column_stack([rec, f]))
        pm.Potential("purchases", pt.sum(w * per_row))
        if spend_patterns is not None:
            x, z, n = (
                spend_patterns[c].to_numpy(float) for c in ("frequency", "monetary_value", "weight")
            )
            p, q, v = (chosen[name].create_variable(name) for name in SPEND_PRIORS)
            pm.Potential("spend", pt.sum(n * _gamma_gamma_logp(pt, p, q, v, x, z)))
    return pymc_model


def _gamma_gamma_logp(pt, p, q, v, x, z):
    """Gamma-Gamma log-likelihood of mean spend z over x purchases (Fader, Hardie & Lee
    2005, eq. 1a, spend per purchase marginalized), as PyMC-Marketing's GammaGammaModel
    writes it."""
    return (
        pt.gammaln(p * x + q)
        - pt.gammaln(p * x)
        - pt.gammaln(q)
        + q * pt.log(v)
        + (p * x - 1) * pt.log(z)
        + (p * x) * pt.log(x)
        - (p * x + q) * pt.log(x * z + v)
    )


@contextlib.contextmanager
def _quiet_sampler():
    """PyMC logs its progress ("Auto-assigning NUTS sampler...") to stderr: keep it out of
    reports; crmlab reports convergence itself."""
    loggers = [logging.getLogger(name) for name in ("pymc", "pytensor")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", UserWarning)
            yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def sample_posterior(
    model: str,
    patterns: pd.DataFrame,
    spend_patterns: pd.DataFrame | None,
    priors: dict | None = None,
    sampling: Sampling | None = None,
) -> Posterior:
    """Draw from the posterior of ``model`` (and Gamma-Gamma) by NUTS or the Laplace
    approximation (``Sampling.method``); see ``build_model``."""
    sampling = sampling or Sampling()
    rows = len(patterns) + (0 if spend_patterns is None else len(spend_patterns))
    method = sampling.method
    if method == "auto":
        method = "nuts" if rows <= NUTS_LIMIT else "laplace"
    started = time.perf_counter()
    _require_pymc()  # imported first: PyMC sets its logger's level on import
    names = list(PARAMETERS[model]) + (list(SPEND_PRIORS) if spend_patterns is not None else [])
    with _quiet_sampler(), build_model(model, patterns, spend_patterns, priors) as pymc_model:
        if method == "nuts":
            trace = _nuts(sampling, pymc_model)
            values = {c: trace.posterior[c].to_numpy().reshape(-1) for c in names}
            divergences = int(trace.sample_stats["diverging"].to_numpy().sum())
        else:
            trace, divergences = None, 0
            values = _laplace(sampling, pymc_model)
    seconds = time.perf_counter() - started
    convergence = _convergence(trace, names)

    def draws(columns) -> pd.DataFrame:
        return pd.DataFrame({c: values[c] for c in columns})

    return Posterior(
        method=method,
        rows=rows,
        purchase=draws(PARAMETERS[model]),
        spend=draws(SPEND_PRIORS) if spend_patterns is not None else None,
        convergence=convergence,
        divergences=divergences,
        seconds=seconds,
        sampling=sampling,
    )


def _nuts(sampling: Sampling, model):
    """NUTS, started where the Laplace approximation says the posterior lies: each chain
    from its own draw of that normal (dispersed starts, so R-hat still means something),
    with its covariance as the first mass matrix, which adaptation then refines.

    Started at PyMC's default point with an identity mass matrix, the warm-up spent most
    of the run finding the posterior: on 1,200 synthetic customers 62,000 gradient
    evaluations (41 per iteration) for 750 iterations per chain.
    """
    pm, _, _ = _require_pymc()
    from pymc.step_methods.hmc.quadpotential import QuadPotentialFullAdapt

    value_and_gradient = _value_and_gradient(model)
    mode, covariance = _mode_and_curvature(model, value_and_gradient)
    rng = np.random.default_rng(sampling.random_state)
    names = [v.name for v in model.value_vars]
    starts = [
        dict(zip(names, rng.multivariate_normal(mode, covariance), strict=True))
        for _ in range(sampling.chains)
    ]
    # a dense mass matrix: Gamma-Gamma's q and v are strongly correlated, which a diagonal
    # one answers with 4x longer trajectories (CDNOW: 15.5 s -> 7.7 s)
    potential = QuadPotentialFullAdapt(len(mode), mode, covariance, initial_weight=10)
    step = pm.NUTS(
        potential=potential,
        target_accept=sampling.target_accept,
        logp_dlogp_func=value_and_gradient,  # compiled once: the mode search used it already
    )
    return pm.sample(
        draws=sampling.draws,
        tune=sampling.tune,
        chains=sampling.chains,
        cores=min(sampling.cores, sampling.chains),
        step=step,
        initvals=starts,
        random_seed=sampling.random_state,
        progressbar=False,
        compute_convergence_checks=False,
    )


def _value_and_gradient(model):
    """The log density with the transforms' Jacobian and its gradient, one compiled function
    of the raveled unconstrained parameters (``model.value_vars`` in order): what NUTS
    evaluates, compiled once for the mode search and the sampler (a compile takes ~1.3 s,
    as long as 1,000 NUTS draws on a few thousand customers)."""
    function = model.logp_dlogp_function(model.value_vars, ravel_inputs=True)
    function.set_extra_values({})
    function.trust_input = True  # as NUTS sets it: inputs are float64 arrays of the right size
    return function


def _mode_and_curvature(model, value_and_gradient) -> tuple[np.ndarray, np.ndarray]:
    """The mode of the posterior density of the unconstrained parameters (log, logit) and
    the inverse of its curvature there: the Laplace approximation's mean and covariance.

    The mode is taken with the transforms' Jacobian, as Stan's ``laplace`` does by default,
    because that is the density the normal approximates. (PyMC-Extras' ``fit_laplace``
    centres at the mode without it: with PyMC-Marketing's dropout prior, whose density is
    highest at kappa = 1, that mode sits at a + b = 1 on CDNOW's 2,357 customers, far from
    the posterior: a 0.29 where NUTS finds 0.78.)
    """
    from scipy import optimize

    names = [v.name for v in model.value_vars]

    def loss(x):
        value, gradient = value_and_gradient(np.asarray(x, float))
        return -float(value), -np.asarray(gradient, float)

    start = np.array([float(v) for v in model.initial_point().values()])
    found = optimize.minimize(loss, start, jac=True, method="L-BFGS-B")
    if not found.success:
        raise ModelFitError(f"the posterior mode was not found ({found.message}).")
    step = 1e-5
    hessian = np.empty((len(names), len(names)))
    for j in range(len(names)):
        shift = np.zeros(len(names))
        shift[j] = step
        hessian[:, j] = (loss(found.x + shift)[1] - loss(found.x - shift)[1]) / (2 * step)
    hessian = (hessian + hessian.T) / 2
    try:
        covariance = np.linalg.inv(hessian)
        np.linalg.cholesky(covariance)
    except np.linalg.LinAlgError as exc:
        raise ModelFitError(
            "the posterior's curvature at its mode is not that of a peak: a parameter the "
            "data do not pin down (give it a proper prior)."
        ) from exc
    return found.x, covariance


def _laplace(sampling: Sampling, model) -> dict[str, np.ndarray]:
    """Draws from the Laplace approximation (``_mode_and_curvature``), mapped back to the
    parameters (and the deterministic a, b)."""
    mode, covariance = _mode_and_curvature(model, _value_and_gradient(model))
    rng = np.random.default_rng(sampling.random_state)
    unconstrained = rng.multivariate_normal(mode, covariance, sampling.draws * sampling.chains)
    constrain = model.compile_fn(
        model.unobserved_value_vars, inputs=model.value_vars, point_fn=False
    )
    wanted = [v.name for v in model.unobserved_value_vars]
    values = np.array([[float(v) for v in constrain(*row)] for row in unconstrained])
    return dict(zip(wanted, values.T, strict=True))


def _convergence(trace, names: list[str]) -> pd.DataFrame:
    """R-hat and effective sample sizes per parameter (NaN for Laplace draws: no trace)."""
    if trace is None:
        nan = np.full(len(names), np.nan)
        return pd.DataFrame({"parameter": names, "r_hat": nan, "ess_bulk": nan, "ess_tail": nan})
    import arviz as az

    summary = az.summary(trace, var_names=names, kind="diagnostics", round_to="none")
    return pd.DataFrame(
        {
            "parameter": names,
            "r_hat": summary.loc[names, "r_hat"].to_numpy(float),
            "ess_bulk": summary.loc[names, "ess_bulk"].to_numpy(float),
            "ess_tail": summary.loc[names, "ess_tail"].to_numpy(float),
        }
    )
