"""The command line's names for the settings: ``--min-lr`` for ``min_lr``, and how a message's
marked parameters are worded as options (:func:`as_options`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lrplan.errors import PARAM

if TYPE_CHECKING:
    pass


#: The keys a config file or an override may set, with the option that sets each on the CLI.
OPTION_OF_KEY = {
    "lr": "--lr",
    "min_lr": "--min-lr",
    "warmup_epochs": "--warmup-epochs",
    "epochs": "--epochs",
    "interval": "--interval",
    "steps_per_epoch": "--steps-per-epoch",
}


KEYS = tuple(OPTION_OF_KEY)


#: The options of the settings that are not schedule keys of a config file.
_OPTION_OF_SETTING = {"scheduler": "--scheduler", "params": "--param"}


def as_options(name: str, value: str | None) -> str:
    """A parameter as the command line spells it (a :data:`~lrplan.errors.Naming`):
    ``--min-lr``, ``--min-lr 1e-06``, ``--param T_max=24``."""
    if name.startswith(PARAM):
        argument = name.removeprefix(PARAM)
        return f"--param {argument}" if value is None else f"--param {argument}={value}"
    # Every other option is the parameter's name in the command line's spelling.
    option = (
        OPTION_OF_KEY.get(name) or _OPTION_OF_SETTING.get(name) or "--" + name.replace("_", "-")
    )
    return option if value is None else f"{option} {value}"


DEFAULT = "default"
