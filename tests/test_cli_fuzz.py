"""Random command lines and config files: lrplan never shows a traceback and never writes a
file it then calls an error.

The commands and their options are discovered from the typer app, so every command added
later is fuzzed too. Values come from a pool of what users mistype or paste: empty, huge,
negative, NaN, unicode and path-like strings; and, so that lines get past the parser and
plan, from what users really give: torch built-ins with their ``--param`` arguments,
framework schedules (``hf:``, ``timm:``, ``deepspeed:``), import paths, and the real config
files and training logs of ``tests/data`` and ``examples``. Every command also runs once with
each kind of scheduler (:func:`test_every_command_plans_every_kind_of_scheduler`).

The property: no traceback, an exit code of :data:`ALLOWED_EXIT`, and a user's mistake (2)
is one ``lrplan: error:`` line on stderr that leaves no file behind.

CI runs a few hundred examples with hypothesis' default seed handling. For a longer hunt,
raise the count and vary the seed::

    LRPLAN_FUZZ_EXAMPLES=5000 pytest tests/test_cli_fuzz.py --hypothesis-seed=7

``LRPLAN_FUZZ_EXAMPLES`` sets the number of command lines (the config-file test runs
two-fifths as many); ``--hypothesis-seed`` is hypothesis' own pytest option.
"""

from __future__ import annotations

import enum
import os
import re
import tempfile
from pathlib import Path

import pytest
import typer.main
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from lrplan.cli import app
from lrplan.core.registry import BUILTINS

GROUP = typer.main.get_command(app)
COMMANDS = dict(sorted(GROUP.commands.items()))  # type: ignore[attr-defined]
HELP_OPTIONS = {"-h", "--help"}

#: Exit codes a command may end with: 0, 2 for a user error, 1 only for `check` with findings
#: (3 is a bug in lrplan: never allowed).
ALLOWED_EXIT = {name: {0, 2} | ({1} if name == "check" else set()) for name in COMMANDS}

NUMBERS = [
    *("", " ", "0", "1", "2", "3", "7", "25", "-1", "-0", "0.5", "2.5", "1e-3", "1e-5", "1e-2"),
    *("nan", "NaN", "inf", "-inf", "1e309", "1e-400", str(10**20), str(2**63), "0x10", "1_000"),
    *("١٢", "\N{MINUS SIGN}1", "1,5", "3.0", "1e3"),
]
PATHS = [
    *("-", ".", "..", "/", "~/x.csv", "C:\\temp\\x.csv", "NUL", "out.csv", "out.png", "out.svg"),
    *("out.pdf", "out.gif", "out.PNG", "out", "sub/out.csv", "sub", "no/such/folder/x.png"),
    *("a" * 300 + ".csv", "a" * 300 + ".png", "sub/" + "b" * 5000, "x.yaml", "train.yaml"),
    *("sub/", "out.csv/x"),
]
TEXT = [
    "é",
    "日本語",
    "☃",
    "\u200b",
    "%s",
    "{0}",
    "[bold]x[/bold]",
    "$HOME",
    "'",
    '"',
    "\\",
    "--lr",
]
VALUES = NUMBERS + PATHS + TEXT

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
EXAMPLES_DIR = ROOT / "examples"

#: Real config files: the collected ones (MANIFEST.yaml records their sources), the shipped
#: examples, and the configs of the example logs. Absolute: the lines run in a temp folder.
CONFIG_FILES = sorted(
    str(path)
    for folder in (DATA / "configs", EXAMPLES_DIR, EXAMPLES_DIR / "logs")
    for path in folder.iterdir()
    if path.suffix in (".yaml", ".yml", ".json")
)
#: Real training logs, readable and not.
LOG_FILES = sorted(
    str(path)
    for folder in (EXAMPLES_DIR / "logs", DATA / "logs", DATA / "bad_logs")
    for path in folder.iterdir()
    if path.is_file() and path.suffix not in (".yaml", ".md")
)[::3]

#: Scheduler names as users give them: every torch built-in, frameworks' schedule names,
#: import paths, and names that are nearly right.
SCHEDULERS = [
    *BUILTINS,
    *("hf:cosine", "hf:linear", "hf:constant_with_warmup", "hf:cosine_with_restarts"),
    *("hf:polynomial", "hf:inverse_sqrt", "hf:warmup_stable_decay", "hf:reduce_lr_on_plateau"),
    *("timm:cosine", "timm:step", "timm:multistep", "timm:plateau", "timm:tanh", "timm:poly"),
    *("deepspeed:WarmupLR", "deepspeed:WarmupDecayLR", "deepspeed:WarmupCosineLR"),
    *("deepspeed:OneCycle", "deepspeed:LRRangeTest"),
    *("torch.optim.lr_scheduler:StepLR", "torch.optim.lr_scheduler.CosineAnnealingLR"),
    *("torch.optim.lr_scheduler:ReduceLROnPlateau", "torch.optim.lr_scheduler:LambdaLR"),
    *("transformers:get_cosine_schedule_with_warmup", "lrplan.optim:WarmupCosLR"),
    *("hf:nope", "timm:", "deepspeed:warmuplr", "Cosine", "cosine ", "os:system", "no.such:X"),
]
#: ``--param NAME=VALUE`` as the schedulers above take them, and as users get them wrong.
PARAMS = [
    *("T_max=8", "T_0=5", "T_mult=2", "eta_min=1e-5", "step_size=3", "gamma=0.5", "gamma=1"),
    *("milestones=[2,4]", "milestones=[]", "power=2.0", "factor=0.5", "total_iters=4"),
    *(
        "start_factor=0.1",
        "end_factor=1.0",
        "max_lr=0.1",
        "pct_start=0.3",
        "anneal_strategy=linear",
    ),
    *("num_warmup_steps=2", "num_cycles=0.5", "lr_end=1e-7", "scheduler_specific_kwargs={}"),
    *("warmup_num_steps=2", "warmup_type=linear", "total_num_steps=10", "warmup_max_lr=0.01"),
    *("cycle_min_lr=1e-4", "cycle_max_lr=1e-2", "decay_epochs=3", "warmup_epochs=1"),
    *("warmup_lr=1e-6", "cycle_limit=2", "min_lr=1e-6", "decay_rate=0.5", "lr_lambda=1"),
    *("T_max=", "=3", "T_max=nan", "T_max=-1", "T_max=1e309", "milestones=[", "bogus=1"),
    *("last_epoch=3", "optimizer=1", "verbose=true", "T_max=8=9", "T max=8"),
]
#: ``--set KEY=VALUE`` over a config file.
SETS = [
    *("lr=1e-3", "epochs=5", "warmup_epochs=1", "min_lr=0", "scheduler=cosine", "interval=step"),
    *("steps_per_epoch=10", "param.T_max=8", "scheduler=hf:cosine", "trainer.max_epochs=3"),
    *("optimizer.lr=1e-4", "lr=", "=1", "lr=abc", "a.b.c=1"),
]
#: compare's SPECs: settings, schedulers with params, config files with settings after them.
SPECS = [
    *("lr=1e-3", "lr=5e-4,warmup_epochs=5,label=gentle", "scheduler=cosine,epochs=10"),
    *("scheduler=step,param.step_size=3", "scheduler=cosine,param.T_max=8,min_lr=1e-6"),
    *("scheduler=onecycle", "scheduler=hf:cosine,param.num_warmup_steps=2"),
    *("scheduler=timm:cosine,epochs=10", "scheduler=deepspeed:WarmupLR,interval=step"),
    *("scheduler=deepspeed:WarmupDecayLR,param.warmup_num_steps=2", "scheduler=nope"),
    *("param.T_max=8", "label=a,label=b", "lr=1e-3,,epochs=3"),
    *(f"{path},lr=5e-4" for path in CONFIG_FILES[::4]),
    *CONFIG_FILES[1::4],
]
#: Values by option name, for options whose values have a form of their own.
POOLS = {
    "--scheduler": SCHEDULERS,
    "--param": PARAMS,
    "--config": CONFIG_FILES,
    "--config-key": ["optim", "model.optimizer", "trainer", "lr_scheduler", "scheduler", "x.y"],
    "--set": SETS,
    "--allow-import": ["torch", "transformers", "lrplan", "os", "no_such_module", ""],
    "--optimizer": ["adamw", "sgd", "adam", "AdamW", "torch.optim.SGD", "lion"],
    "--loss-column": ["loss", "train_loss", "val_loss", "eval_loss", "nope"],
    "--lr-column": ["lr", "learning_rate", "lr-AdamW", "nope"],
}
#: Values by argument, for the commands that take one.
ARGUMENTS = {
    "specs": SPECS,
    "log": LOG_FILES + CONFIG_FILES[:3],
    "symptom": ["diverging", "slow", "plateau", "overfitting", "Slow", "nan"],
    # resume CHECKPOINT: the real trainers' checkpoints of examples/checkpoints, and files
    # that are none.
    "checkpoint": [
        *(str(path) for path in sorted((ROOT / "examples" / "checkpoints").glob("*/*"))),
        *LOG_FILES[:2],
        *CONFIG_FILES[:2],
    ],
}

#: Command lines per run: 250 unless raised from the environment for a longer hunt.
EXAMPLES = int(os.environ.get("LRPLAN_FUZZ_EXAMPLES") or 250)


def _typed_values(param: object) -> list[str]:
    """Values of the option's own kind: its form (a scheduler, a config file, ...), its
    choices, numbers, or paths (any value otherwise)."""
    for name in getattr(param, "opts", []):
        if name in POOLS:
            return POOLS[name]
    annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return [str(member.value) for member in annotation] + TEXT
    choices = getattr(getattr(param, "type", None), "choices", None)
    if choices:
        return [str(choice) for choice in choices] + TEXT
    if annotation in (int, float):
        return NUMBERS
    if annotation in (str, Path):
        return PATHS
    return VALUES


@st.composite
def command_lines(draw: st.DrawFn) -> tuple[str, list[str]]:
    name = draw(st.sampled_from(sorted(COMMANDS)))
    options = [
        param
        for param in COMMANDS[name].params
        if param.param_type_name == "option" and not set(param.opts) & HELP_OPTIONS
    ]
    arguments = [param for param in COMMANDS[name].params if param.param_type_name == "argument"]
    line = [name]
    # A value for each argument the command takes, and now and then one too many.
    extra = draw(st.sampled_from([0, 0, 0, 0, 1]))
    for argument in arguments:
        line.append(draw(_argument_values(argument)))
    for _ in range(extra):
        line.append(draw(st.sampled_from(VALUES)))
    line += draw(_options(options, max_size=5))
    return name, line


def _argument_values(argument: object) -> st.SearchStrategy[str]:
    typed = _typed_values(argument) + ARGUMENTS.get(getattr(argument, "name", ""), [])
    return st.one_of(st.sampled_from(typed), st.sampled_from(typed), st.sampled_from(VALUES))


@st.composite
def _options(draw: st.DrawFn, options: list, max_size: int) -> list[str]:  # type: ignore[type-arg]
    """Up to ``max_size`` of ``options``, each with a value mostly of its own kind."""
    line: list[str] = []
    for param in draw(st.lists(st.sampled_from(options), max_size=max_size)) if options else []:
        line.append(draw(st.sampled_from(param.opts)))
        if not getattr(param, "is_flag", False):
            # Mostly values of the option's kind, so that lines get past the parser.
            typed = st.sampled_from(_typed_values(param))
            value = st.one_of(typed, typed, st.sampled_from(VALUES))
            # Now and then the value is missing: the option is the last word.
            line.extend(draw(st.lists(value, max_size=1)))
    return line


def _option_params(name: str) -> list:  # type: ignore[type-arg]
    return [
        param
        for param in COMMANDS[name].params
        if param.param_type_name == "option" and not set(param.opts) & HELP_OPTIONS
    ]


@st.composite
def planned_lines(draw: st.DrawFn) -> tuple[str, list[str]]:
    """Lines that get past the parser and plan: any command with a scheduler by name (and
    its params) or a real config file, a few more options, values of their kinds."""
    name = draw(st.sampled_from(sorted(COMMANDS)))
    options = _option_params(name)
    takes = {opt for param in options for opt in param.opts}
    line = [name]
    if name == "compare":
        line += draw(st.lists(st.sampled_from(SPECS), min_size=1, max_size=3))
    for argument in COMMANDS[name].params:
        if argument.param_type_name == "argument" and argument.name != "specs":
            line.append(draw(st.sampled_from(ARGUMENTS[argument.name])))
    kinds = [kind for kind in ("--scheduler", "--config") if kind in takes]
    kind = draw(st.sampled_from(kinds)) if kinds else None
    if kind == "--scheduler":
        line += ["--scheduler", draw(st.sampled_from(SCHEDULERS))]
        for param in draw(st.lists(st.sampled_from(PARAMS), max_size=3)):
            line += ["--param", param]
    elif kind == "--config":
        line += ["--config", draw(st.sampled_from(CONFIG_FILES))]
    line += draw(_options(options, max_size=2))
    return name, line


def _files(folder: Path) -> set[Path]:
    return {path.relative_to(folder) for path in folder.rglob("*")}


def _check(name: str, line: list[str], folder: Path) -> int:
    before = _files(folder)
    result = CliRunner().invoke(app, line, env={"COLUMNS": "100", "NO_COLOR": "1"}, input="")
    shown = f"lrplan {' '.join(map(repr, line))}\n{result.output}"
    assert result.exception is None or isinstance(result.exception, SystemExit), shown
    assert "Traceback" not in result.output, shown
    assert result.exit_code in ALLOWED_EXIT.get(name, {0, 2}), shown
    if result.exit_code == 2:
        lines = [line for line in result.stderr.strip().splitlines() if not FOREIGN.match(line)]
        assert len(lines) == 1 and lines[0].startswith("lrplan: error: "), shown
        assert _files(folder) == before, shown
    return result.exit_code


#: Lines a framework logs on stderr itself, e.g. DeepSpeed's "[2026-01-01 10:00:00,000]
#: [WARNING] [lr_schedules.py:827:__init__] total_num_steps 8 is less than warmup_num_steps".
FOREIGN = re.compile(r"^\[\d{4}-\d\d-\d\d [\d:,]+\] \[(WARNING|INFO)\] \[[\w.]+:\d+:\w+\] ")


def _in_a_fresh_folder(check, *args):  # type: ignore[no-untyped-def]
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        (folder / "sub").mkdir()
        (folder / "train.yaml").write_text("lr: 1e-3\nepochs: 5\nwarmup_epochs: 1\n")
        here = Path.cwd()
        os.chdir(folder)
        try:
            return check(*args, folder)
        finally:
            os.chdir(here)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(command_lines(), planned_lines()))
def test_random_command_lines_end_cleanly(command: tuple[str, list[str]]) -> None:
    name, line = command
    _in_a_fresh_folder(_check, name, line)


def _data(name: str) -> str:
    return str(DATA / "configs" / name)


#: Each kind of scheduler a command can be given: by name (``--scheduler``), in a config file
#: (the commands without ``--scheduler``), or as compare's SPECs.
KINDS: dict[str, tuple[list[str], list[str], list[str]]] = {
    "torch built-in": (
        ["--scheduler", "cosine", "--param", "T_max=8", "--lr", "1e-3", "--epochs", "8"],
        ["--config", _data("tu__muad_unet_standard_steplr.yaml")],
        ["scheduler=cosine,param.T_max=8,epochs=8", "scheduler=step,param.step_size=3"],
    ),
    "import path": (
        ["--scheduler", "torch.optim.lr_scheduler:MultiStepLR", "--param", "milestones=[3,6]"],
        ["--config", _data("quadra__scheduler_warmrestart.yaml")],
        ["scheduler=torch.optim.lr_scheduler:StepLR,param.step_size=3", "lr=1e-3"],
    ),
    "hf:": (
        ["--scheduler", "hf:cosine", "--param", "num_warmup_steps=2", "--epochs", "8"],
        ["--config", _data("alignment_handbook__zephyr_sft_full.yaml"), "--steps-per-epoch", "10"],
        ["scheduler=hf:cosine", "scheduler=hf:linear,param.num_warmup_steps=2"],
    ),
    "timm:": (
        ["--scheduler", "timm:cosine", "--param", "warmup_epochs=2", "--epochs", "8"],
        ["--config", str(EXAMPLES_DIR / "timm_args.yaml")],
        ["scheduler=timm:cosine", "scheduler=timm:step,param.decay_epochs=3"],
    ),
    "deepspeed:": (
        ["--scheduler", "deepspeed:WarmupDecayLR", "--param", "warmup_num_steps=2"],
        [
            *("--config", _data("dsexamples__cifar_ds_config_warmuplr.json")),
            *("--epochs", "3", "--steps-per-epoch", "10"),
        ],
        ["scheduler=deepspeed:WarmupLR", "scheduler=deepspeed:WarmupCosineLR"],
    ),
    "config file": (
        ["--config", str(EXAMPLES_DIR / "train_pluto.yaml")],
        ["--config", str(EXAMPLES_DIR / "hydra_training.yaml")],
        [str(EXAMPLES_DIR / "train_pluto.yaml"), f"{EXAMPLES_DIR / 'hydra_training.yaml'},lr=5e-4"],
    ),
}
#: What a command needs besides its schedule.
NEEDS = {
    "resume": ["--at", "2"],
    "tune": ["plateau"],
    "diagnose": [str(EXAMPLES_DIR / "logs" / "healthy.csv")],
}


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_plans_every_kind_of_scheduler(name: str, kind: str) -> None:
    by_name, in_a_file, specs = KINDS[kind]
    takes = {opt for param in _option_params(name) for opt in param.opts}
    if name == "compare":
        line = [name, *specs]
    elif "--scheduler" in takes:
        line = [name, *NEEDS.get(name, []), *by_name]
    elif "--config" in takes:
        line = [name, *NEEDS.get(name, []), *in_a_file]
    else:
        line = [name, "--json"]  # schedulers: the list, whichever kind
    code = _in_a_fresh_folder(_check, name, line)
    # Planned, except where the command's help says it takes only WarmupCosLR (tune,
    # equivalent, diagnose) or only torch's LRSchedulers (resume).
    refused = (name in ("tune", "equivalent", "diagnose") and kind != "config file") or (
        name == "resume" and kind.endswith(":")
    )
    assert code == 2 if refused else code in (0, 1), line


YAML_PIECES = [
    *("lr: ", "min_lr: ", "warmup_epochs: ", "epochs: ", "interval: ", "steps_per_epoch: "),
    *("1e-3", "1.0e-3", "-1", "0", "25", ".nan", ".inf", "true", "null", "~", "[1, 2]", "{a: 1}"),
    *("step", "epoch", "'3'", "!!python/object/apply:os.system ['true']", "&a 1", "*a", "\t"),
    *("\n", "\n", ": ", "- ", "#", "---", "...", "é", "\ufeff", "\x00", "\udcff"),
    # Other schedulers, as their frameworks' configs name them.
    *("scheduler: ", "cosine", "step", "hf:cosine", "timm:cosine", "deepspeed:WarmupLR"),
    *("torch.optim.lr_scheduler.StepLR", "param: ", "{step_size: 3}", "{T_max: 8}", "T_max: "),
    *("_target_: torch.optim.lr_scheduler.CosineAnnealingLR", "lr_scheduler: ", "  "),
    *("learning_rate: ", "num_train_epochs: ", "lr_scheduler_type: ", "warmup_steps: "),
    *(
        "sched: ",
        "decay_epochs: ",
        "warmup_lr: ",
        "{type: WarmupLR, params: {warmup_num_steps: 2}}",
    ),
    *("{type: WarmupDecayLR, params: {total_num_steps: 10}}", "optimizer: ", "adamw"),
    *("trainer: {max_epochs: 3}", "max_steps: ", "${epochs}", "${oc.env:HOME}", "${nope}"),
]
#: How each command that reads a config is given one (and what else it needs).
WITH_CONFIG = {
    "show": ["show", "--config", "fuzz.yaml", "--csv", "out.csv"],
    "check": ["check", "--config", "fuzz.yaml"],
    "resume": ["resume", "--at", "2", "--config", "fuzz.yaml"],
    "tune": ["tune", "slow", "--config", "fuzz.yaml", "--csv", "out.csv"],
    "equivalent": ["equivalent", "--config", "fuzz.yaml"],
    "diagnose": ["diagnose", str(EXAMPLES_DIR / "logs" / "healthy.csv"), "--config", "fuzz.yaml"],
    "compare": ["compare", "fuzz.yaml", "fuzz.yaml,lr=5e-4", "--csv", "out.csv"],
}


def _check_config(text: str, name: str, folder: Path) -> None:
    path = folder / "fuzz.yaml"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    _check(name, WITH_CONFIG[name], folder)


@settings(max_examples=max(1, EXAMPLES * 2 // 5), deadline=None)
@given(
    st.lists(st.sampled_from(YAML_PIECES), max_size=12).map("".join),
    st.sampled_from(sorted(WITH_CONFIG)),
)
def test_random_config_files_end_cleanly(text: str, name: str) -> None:
    _in_a_fresh_folder(_check_config, text, name)
