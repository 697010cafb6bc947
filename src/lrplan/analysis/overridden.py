"""A config that gives lrplan's own setting (``min_lr``, ``warmup_epochs``) and the scheduler
argument that setting would fill (``eta_min``): the argument applies and the setting is not
used. A warning that ``show`` prints before the table and that fails ``check``, saying which
one applies.

Both for a short name (``scheduler: cosine`` with ``scheduler_params.eta_min``) and for the
class a short name stands for, named by its import path (``class_path:
torch.optim.lr_scheduler.CosineAnnealingLR`` with ``init_args.eta_min``), which lrplan passes
only its own arguments. (``--min-lr`` with a file's ``eta_min`` is refused when the settings
are read: two values given for one argument; here both come from the file, or ``--set``.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lrplan.analysis.summary import Insight, fmt_lr
from lrplan.core.planner import Schedule

#: The source of a value nothing gave (:data:`lrplan.inputs.naming.DEFAULT`).
DEFAULT = "default"


def overridden_findings(
    schedule: Schedule, sources: Mapping[str, str] | None, found: Any = None
) -> list[Insight]:
    """One warning per setting the config gives whose scheduler argument it also gives.
    ``found`` (:class:`lrplan.inputs.training_config.ConfigValues`) holds what the file gave,
    for a scheduler named by its class, which takes no ``min_lr``."""
    from lrplan.core.registry import BUILTINS, KEY_OF_ATTRIBUTE, normal_name
    from lrplan.core.schedulers import filled_argument

    if not sources:
        return []
    config = schedule.config
    params = dict(config.params)
    same_class = next(
        (
            known
            for known in BUILTINS.values()
            if normal_name(known.target) == config.scheduler and known.name != config.scheduler
        ),
        None,
    )
    warnings = []
    for key in ("min_lr", "warmup_epochs"):
        value, source = getattr(config, key), sources.get(key, DEFAULT)
        argument = filled_argument(config, key)
        if argument is None and same_class is not None and found is not None:
            # The class of a short name: the file's setting is not passed to it at all.
            value = _number(found.values.get(key))
            source = found.sources.get(key, DEFAULT)
            argument = next(
                (arg for arg, attr in same_class.options if KEY_OF_ATTRIBUTE[attr] == key), None
            )
        if value is None or source == DEFAULT or argument is None or argument not in params:
            continue
        given = params[argument]
        shown = fmt_lr(value) if key == "min_lr" and _is_number(value) else repr(value)
        applied = fmt_lr(given) if key == "min_lr" and _is_number(given) else repr(given)
        where = sources.get(f"param.{argument}", argument)
        warnings.append(
            Insight(
                "setting-overridden",
                "warning",
                f"The config gives {key} {shown} ({source}) and {config.class_name}'s"
                f" {argument} {applied} ({where}): {argument} applies, and {key} is not used.",
                f"Keep one: drop {source}, or give the value you want as {where}; lrplan"
                f" plans {argument}={applied}.",
            )
        )
    return warnings


def _number(value: Any) -> Any:
    """A raw value as the number it spells (YAML 1.1 reads ``1e-5`` as a string)."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
