"""optax 0.2.8 schedule values for the optax schedules stepsize maps (core README, "From optax").

../shared/references holds three optax schedules; this runs optax itself on every schedule the
core README's table maps, with non-default options and edge cases (a boundary at 0, warmup 0,
an end value as a ceiling of a growing exponential, staircase with a late begin), in float32
as optax computes them, and `contrib.reduce_on_plateau` fed loss curves that fall and stall. The values are committed, since CI has no PyPI:

    python3 -m venv /tmp/optax && /tmp/optax/bin/pip install jax==0.10.2 jaxlib==0.10.2 optax==0.2.8
    /tmp/optax/bin/python tooling/goldens/optax_schedules.py          # writes the fixture
    /tmp/optax/bin/python tooling/goldens/optax_schedules.py --check  # regenerates and compares
"""

import json
import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import optax
from fixture_file import write_or_check

ROOT = pathlib.Path(__file__).resolve().parents[2]
TARGET = ROOT / "packages" / "core" / "src" / "schedules" / "test-support" / "optax-generated-schedules.json"

# (case name, optax function name, keyword arguments, steps evaluated: 0 .. steps)
CASES = [
    ("constant", "constant_schedule", {"value": 0.3}, 5),
    ("linear_begin", "linear_schedule", {"init_value": 0.0, "end_value": 1.0, "transition_steps": 10, "transition_begin": 3}, 20),
    ("polynomial_begin", "polynomial_schedule",
     {"init_value": 1.0, "end_value": 0.1, "power": 2.0, "transition_steps": 20, "transition_begin": 5}, 30),
    ("polynomial_sqrt", "polynomial_schedule", {"init_value": 0.5, "end_value": 0.0, "power": 0.5, "transition_steps": 15}, 20),
    ("exponential_staircase", "exponential_decay",
     {"init_value": 0.5, "transition_steps": 7, "decay_rate": 0.6, "transition_begin": 3, "staircase": True,
      "end_value": 0.05}, 40),
    ("exponential_growth_ceiling", "exponential_decay",
     {"init_value": 0.01, "transition_steps": 5, "decay_rate": 1.5, "end_value": 0.2}, 50),
    ("exponential_smooth", "exponential_decay", {"init_value": 2.0, "transition_steps": 3, "decay_rate": 0.9}, 30),
    ("piecewise_constant", "piecewise_constant_schedule", {"init_value": 0.5, "boundaries_and_scales": {"3": 0.5, "8": 0.1}}, 12),
    ("piecewise_interpolate_cosine", "piecewise_interpolate_schedule",
     {"interpolate_type": "cosine", "init_value": 0.2, "boundaries_and_scales": {"5": 0.5, "12": 3.0, "20": 0.1}}, 30),
    ("piecewise_interpolate_linear_zero", "piecewise_interpolate_schedule",
     {"interpolate_type": "linear", "init_value": 1.0, "boundaries_and_scales": {"0": 0.5, "4": 2.0, "9": 0.25}}, 14),
    ("cosine_decay_alpha_exponent", "cosine_decay_schedule",
     {"init_value": 0.1, "decay_steps": 50, "alpha": 0.1, "exponent": 1.5}, 60),
    ("cosine_decay_plain", "cosine_decay_schedule", {"init_value": 1.0, "decay_steps": 30}, 40),
    ("warmup_cosine_sqrt", "warmup_cosine_decay_schedule",
     {"init_value": 0.01, "peak_value": 0.5, "warmup_steps": 7, "decay_steps": 40, "end_value": 0.02, "exponent": 0.5}, 50),
    ("warmup_cosine_no_warmup", "warmup_cosine_decay_schedule",
     {"init_value": 0.0, "peak_value": 0.3, "warmup_steps": 0, "decay_steps": 25, "end_value": 0.0}, 30),
    ("warmup_exponential", "warmup_exponential_decay_schedule",
     {"init_value": 0.0, "peak_value": 0.4, "warmup_steps": 5, "transition_steps": 4, "decay_rate": 0.5,
      "transition_begin": 2, "staircase": False, "end_value": 0.01}, 40),
    ("cosine_onecycle", "cosine_onecycle_schedule",
     {"transition_steps": 40, "peak_value": 0.3, "pct_start": 0.25, "div_factor": 10.0, "final_div_factor": 100.0}, 50),
    ("cosine_onecycle_defaults", "cosine_onecycle_schedule", {"transition_steps": 33, "peak_value": 1.0}, 40),
    ("linear_onecycle", "linear_onecycle_schedule",
     {"transition_steps": 50, "peak_value": 0.2, "pct_start": 0.3, "pct_final": 0.8, "div_factor": 20.0,
      "final_div_factor": 1000.0}, 60),
    ("linear_onecycle_defaults", "linear_onecycle_schedule", {"transition_steps": 37, "peak_value": 0.5}, 45),
    ("sgdr_uneven", "sgdr_schedule",
     {"cosine_kwargs": [
         {"init_value": 0.0, "peak_value": 0.2, "warmup_steps": 2, "decay_steps": 10, "end_value": 0.01},
         {"init_value": 0.01, "peak_value": 0.1, "warmup_steps": 3, "decay_steps": 15, "end_value": 0.0, "exponent": 2.0},
     ]}, 35),
    ("join", "join_schedules",
     {"schedules": [
         ["constant_schedule", {"value": 0.1}],
         ["linear_schedule", {"init_value": 0.1, "end_value": 0.0, "transition_steps": 10}],
         ["cosine_decay_schedule", {"init_value": 0.05, "decay_steps": 8}],
     ], "boundaries": [5, 15]}, 30),
]


# optax.contrib.reduce_on_plateau: (case name, keyword arguments, loss values fed one per update).
def plateau_losses(seed, n=60):
    """A loss curve that falls, then stalls with noise, falls again and stalls (float32 values)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    curve = np.where(t < 15, 2.0 - 0.08 * t, np.where(t < 35, 0.8, np.where(t < 42, 0.8 - 0.05 * (t - 35), 0.45)))
    return [float(np.float32(v)) for v in curve + 0.01 * rng.standard_normal(n)]


PLATEAU_CASES = [
    ("plateau_defaults", {}, plateau_losses(1)),
    ("plateau_patient", {"factor": 0.5, "patience": 3, "rtol": 1e-3}, plateau_losses(2)),
    ("plateau_cooldown_floor", {"factor": 0.3, "patience": 2, "rtol": 0.0, "atol": 0.01, "cooldown": 4, "min_scale": 0.05},
     plateau_losses(3)),
    ("plateau_one", {"factor": 0.8, "patience": 1, "rtol": 0.02, "cooldown": 1}, plateau_losses(4)),
]


def plateau(kwargs, losses):
    """The scale after each update, fed `losses` one per update (updates of a zero tree)."""
    transformation = optax.contrib.reduce_on_plateau(**kwargs)
    params = {"w": jnp.zeros(1)}
    state = transformation.init(params)
    scales = []
    for loss in losses:
        _, state = transformation.update(params, state, value=jnp.asarray(loss, jnp.float32))
        scales.append(float(np.asarray(state.scale, np.float32)))
    return scales


def build(name, kwargs):
    function = getattr(optax, name)
    if name == "join_schedules":
        return function([build(n, k) for n, k in kwargs["schedules"]], kwargs["boundaries"])
    if name in ("piecewise_constant_schedule", "piecewise_interpolate_schedule"):
        kwargs = {**kwargs, "boundaries_and_scales": {int(k): v for k, v in kwargs["boundaries_and_scales"].items()}}
    return function(**kwargs)


def fixture():
    schedules = []
    for case, name, kwargs, steps in CASES:
        schedule = build(name, kwargs)
        values = [float(np.asarray(schedule(step), np.float32)) for step in range(steps + 1)]
        schedules.append({"name": case, "optax": name, "options": kwargs, "values": values})
    plateaus = [
        {"name": case, "optax": "contrib.reduce_on_plateau", "options": kwargs, "metrics": losses, "values": plateau(kwargs, losses)}
        for case, kwargs, losses in PLATEAU_CASES
    ]
    return {
        "provenance": f"generated by tooling/goldens/optax_schedules.py: optax {optax.__version__}, jax {jax.__version__}, float32",
        "schedules": schedules,
        "plateaus": plateaus,
    }


def main():
    text = json.dumps(fixture(), indent=1) + "\n"
    write_or_check(ROOT, TARGET, text, f"{len(CASES)} schedules and {len(PLATEAU_CASES)} reduce_on_plateau runs")


if __name__ == "__main__":
    main()
