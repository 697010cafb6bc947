"""The read path of a config, stage by stage: parsed by its format's own parser, typed as its
framework's parser types it, then recognised; and the one-line refusals, whose suggested fixes
are run here and plan.

Expected rates come from the real scheduler classes stepped by hand (or their formula), never
from lrplan's output.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
import torch

from lrplan.inputs.parse import read_mapping
from lrplan.inputs.typed import typed_document


def one_line(result: Any) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output and result.stdout == ""
    return lines[0]


def rates(result: Any) -> list[float]:
    assert result.exit_code == 0, result.output
    return [row["lr"] for row in json.loads(result.stdout)["rows"]]


def stepped(make: Any, lr: float, steps: int) -> list[float]:
    """``make(optimizer)``'s scheduler stepped by hand on a real SGD: the rate of each step."""
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    scheduler = make(optimizer)
    found = []
    for _ in range(steps):
        found.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return found


# --- 1. parse: the format's own parser --------------------------------------------------------


DEEPSPEED_JSON = """{
  "optimizer": {"type": "AdamW", "params": {"lr": 1e-3}},
  "scheduler": {"type": "WarmupDecayLR", "params": {
    "warmup_min_lr": 1e-6, "warmup_max_lr": 1e-3, "warmup_num_steps": 10,
    "total_num_steps": 50}}
}"""


def test_json_is_read_with_json_its_numbers_numbers(run, tmp_path: Path) -> None:
    """YAML 1.1 reads 1e-6 as a string; DeepSpeed reads its config with json."""
    lr_schedules = pytest.importorskip("deepspeed.runtime.lr_schedules")
    path = tmp_path / "ds_config.json"
    path.write_text(DEEPSPEED_JSON)

    assert read_mapping(path, "x")["scheduler"]["params"]["warmup_min_lr"] == 1e-6
    planned = rates(run("show", "--config", str(path), "--json"))

    def make(optimizer: Any) -> Any:
        return lr_schedules.WarmupDecayLR(
            optimizer,
            warmup_min_lr=1e-6,
            warmup_max_lr=1e-3,
            warmup_num_steps=10,
            total_num_steps=50,
        )

    assert planned == pytest.approx(stepped(make, 1e-3, 50), rel=1e-12)


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("ds.json", '{"lr": 1, "lr": 2}', "not valid JSON (found duplicate key 'lr')"),
        ("ds.json", '{"lr": 1,', "not valid JSON at line 1"),
        ("train.yaml", "lr: 1\nlr: 2\n", "not valid YAML at line 2 (found duplicate key 'lr')"),
        (
            "train.yaml",
            "base: &b {lr: 1}\noptimizer:\n  <<: *b\n  epochs: 3\n  epochs: 4\n",
            "found duplicate key 'epochs'",
        ),
    ],
)
def test_duplicate_keys_and_malformed_files_are_one_line(
    run, tmp_path: Path, name: str, text: str, expected: str
) -> None:
    path = tmp_path / name
    path.write_text(text)

    assert expected in one_line(run("show", "--config", str(path)))


MERGED = """\
defaults: &DEFAULTS
  lr: 0.05
  warmup_epochs: 2
  min_lr: 1.0e-4
optimizer:
  <<: *DEFAULTS
  lr: 0.1        # set again over the merge: an override, not a duplicate
epochs: 12
"""


def test_yaml_merge_keys_and_anchors_are_read_as_safe_load_reads_them(run, tmp_path: Path) -> None:
    from tests.formula import formula_lr

    path = tmp_path / "train.yaml"
    path.write_text(MERGED)

    document = json.loads(run("show", "--config", str(path), "--json").stdout)

    assert document["config"]["lr"] == 0.1 and document["config"]["min_lr"] == 1e-4
    assert document["sources"]["warmup_epochs"] == "optimizer.warmup_epochs"
    expected = [formula_lr(k, 0.1, 1e-4, 2, 12) for k in range(12)]
    assert [row["lr"] for row in document["rows"]] == pytest.approx(expected, rel=1e-12)


# --- 2. type: the framework's own parser -------------------------------------------------------

TIMM_ARGS = """\
sched: cosine
lr: 1e-3
min_lr: 1e-5
warmup_lr: 1e-6
epochs: 10
warmup_epochs: 2
cooldown_epochs: 0
"""


def timm_cosine(lr: float, min_lr: float, warmup_lr: float, warmup: int, epochs: int) -> list:
    """timm's CosineLRScheduler as train.py steps it (step(epoch + 1) after each epoch): a
    linear warm-up from warmup_lr, then lr_min + (lr - lr_min)(1 + cos(pi t / t_initial)) / 2."""
    return [
        warmup_lr + t * (lr - warmup_lr) / warmup
        if t < warmup
        else min_lr + 0.5 * (lr - min_lr) * (1 + math.cos(math.pi * t / epochs))
        for t in range(epochs)
    ]


def test_timm_args_are_typed_as_train_py_types_them(run, tmp_path: Path) -> None:
    """min_lr: 1e-5 is a string to YAML 1.1; train.py's argparse type=float makes it a float."""
    path = tmp_path / "args.yaml"
    path.write_text(TIMM_ARGS)

    typed = typed_document(read_mapping(path, "x"), "x")
    assert (typed["min_lr"], typed["warmup_lr"], typed["lr"]) == (1e-5, 1e-6, 1e-3)
    planned = rates(run("show", "--config", str(path), "--json"))

    assert planned == pytest.approx(timm_cosine(1e-3, 1e-5, 1e-6, 2, 10), rel=1e-12)


def test_timm_args_in_a_section_with_lr_base_scale_with_the_batch(run, tmp_path: Path) -> None:
    """lr: null and lr_base: train.py's lr = lr_base × global batch / lr_base_size."""
    path = tmp_path / "config.yaml"
    path.write_text(
        "model: {name: resnet18}\n"
        "train:\n  sched: cosine\n  lr: null\n  lr_base: 0.1\n  lr_base_size: 256\n"
        "  batch_size: 64\n  opt: sgd\n  epochs: 10\n  warmup_epochs: 2\n"
        "  warmup_lr: 1e-5\n  min_lr: 1e-6\n"
    )

    result = run("show", "--config", str(path), "--devices", "2", "--json")
    document = json.loads(result.stdout)

    lr = 0.1 * (64 * 2) / 256
    assert document["config"]["lr"] == pytest.approx(lr, rel=1e-15)
    assert document["sources"]["lr"].startswith("no lr: train.lr_base 0.1 × (train.batch_size 64")
    assert rates(result) == pytest.approx(timm_cosine(lr, 1e-6, 1e-5, 2, 10), rel=1e-12)


def test_training_arguments_are_typed_by_hf_argument_parser(run, tmp_path: Path) -> None:
    pytest.importorskip("transformers")
    path = tmp_path / "sft.yaml"
    path.write_text(
        "learning_rate: 2e-5\nlr_scheduler_type: linear\nmax_steps: 20\nwarmup_steps: 4\n"
        "dataloader_drop_last: 'true'\nmodel_name_or_path: tiny\n"
    )

    typed = typed_document(read_mapping(path, "x"), "x")
    assert typed["learning_rate"] == 2e-5 and typed["dataloader_drop_last"] is True
    assert typed["model_name_or_path"] == "tiny"  # another dataclass's key: left as it is
    planned = rates(run("show", "--config", str(path), "--json"))

    from transformers import get_linear_schedule_with_warmup

    expected = stepped(lambda o: get_linear_schedule_with_warmup(o, 4, 20), 2e-5, 20)
    assert planned == pytest.approx(expected, rel=1e-12)
    path.write_text("learning_rate: fast\nlr_scheduler_type: linear\nmax_steps: 20\n")
    line = one_line(run("show", "--config", str(path)))
    assert "learning_rate: 'fast' is not valid for transformers 5." in line


def test_transformers_5_decides_which_keys_exist(run, tmp_path: Path) -> None:
    """transformers 5's TrainingArguments has no warmup_ratio: said in one line, not planned
    with transformers 4's meaning; renamed as the line says, it plans."""
    transformers = pytest.importorskip("transformers")
    if int(transformers.__version__.split(".")[0]) < 5:
        pytest.skip("transformers 4 reads warmup_ratio")
    path = tmp_path / "sft.yaml"
    text = "learning_rate: 1.0e-4\nlr_scheduler_type: cosine\nmax_steps: 100\nwarmup_ratio: 0.1\n"
    path.write_text(text)

    line = one_line(run("show", "--config", str(path)))
    assert "warmup_ratio is not an argument of TrainingArguments in the installed" in line
    assert line.endswith("rename it warmup_steps (transformers 5 reads a warmup_steps below 1 as"
                         " that share)")  # fmt: skip
    path.write_text(text.replace("warmup_ratio:", "warmup_steps:"))
    planned = rates(run("show", "--config", str(path), "--json"))

    from transformers import get_cosine_schedule_with_warmup

    expected = stepped(lambda o: get_cosine_schedule_with_warmup(o, 10, 100), 1e-4, 100)
    assert planned == pytest.approx(expected, rel=1e-12)


def test_init_args_are_typed_by_the_schedulers_signature(run, tmp_path: Path) -> None:
    """eta_min: 1e-5 is a string to YAML 1.1; jsonargparse makes it CosineAnnealingLR's float."""
    path = tmp_path / "cli.yaml"
    path.write_text(
        "trainer: {max_epochs: 8}\n"
        "optimizer: {class_path: torch.optim.SGD, init_args: {lr: 1e-2}}\n"
        "lr_scheduler:\n  class_path: torch.optim.lr_scheduler.CosineAnnealingLR\n"
        "  init_args: {T_max: 8, eta_min: 1e-5}\n"
    )

    typed = typed_document(read_mapping(path, "x"), "x")
    assert typed["lr_scheduler"]["init_args"]["eta_min"] == 1e-5
    result = run("show", "--config", str(path), "--json")
    document = json.loads(result.stdout)

    assert document["config"]["params"] == {"T_max": 8, "eta_min": 1e-5}
    assert document["sources"]["interval"].endswith("(LightningCLI steps it once per epoch)")
    expected = stepped(
        lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=8, eta_min=1e-5), 1e-2, 8
    )
    assert rates(result) == pytest.approx(expected, rel=1e-12)


# --- 3. the name + kwargs dialect wherever it sits --------------------------------------------


@pytest.mark.parametrize("interval", [None, "epoch", "step"])
def test_name_and_kwargs_nested_in_a_section(run, tmp_path: Path, interval: str | None) -> None:
    """rl4co's style: model.lr_scheduler names the class, model.lr_scheduler_kwargs its
    arguments, model.lr_scheduler_interval how Lightning steps it (default: epoch)."""
    path = tmp_path / "experiment.yaml"
    path.write_text(
        "model:\n  optimizer_kwargs: {lr: 1e-4}\n  lr_scheduler: MultiStepLR\n"
        "  lr_scheduler_kwargs: {milestones: [4, 6], gamma: 0.1}\n"
        + (f"  lr_scheduler_interval: {interval}\n" if interval else "")
        + "trainer: {max_epochs: 8}\n"
    )
    extra = ["--steps-per-epoch", "1"] if interval == "step" else []

    result = run("show", "--config", str(path), *extra, "--json")
    document = json.loads(result.stdout)

    assert document["sources"]["scheduler"] == "model.lr_scheduler"
    assert document["sources"]["param.milestones"] == "model.lr_scheduler_kwargs.milestones"
    assert document["sources"]["lr"] == "model.optimizer_kwargs.lr"
    assert document["config"]["interval"] == (interval or "epoch")
    expected = stepped(
        lambda o: torch.optim.lr_scheduler.MultiStepLR(o, milestones=[4, 6], gamma=0.1), 1e-4, 8
    )
    assert rates(result) == pytest.approx(expected, rel=1e-12)


# --- 4. a config naming no scheduler -----------------------------------------------------------


@pytest.mark.parametrize("command", ["show", "check"])
def test_a_config_naming_no_scheduler_is_one_line_and_no_table(
    run, tmp_path: Path, command: str
) -> None:
    path = tmp_path / "finetune.yaml"
    path.write_text("optimizer:\n  class_path: torch.optim.AdamW\n  init_args: {lr: 3e-4}\n"
                    "trainer: {max_epochs: 4}\n")  # fmt: skip

    line = one_line(run(command, "--config", str(path)))

    assert (
        "names no scheduler and none of WarmupCosLR's keys (warmup_epochs, min_lr); it gives"
        " lr = 0.0003 at optimizer.init_args.lr and epochs = 4 at trainer.max_epochs; name the"
        " scheduler the training code builds with --scheduler NAME"
    ) in line
    planned = rates(run("show", "--config", str(path), "--scheduler", "constant", "--json"))
    assert planned == [pytest.approx(3e-4, rel=1e-15)] * 4


# --- 5. every fix an error message suggests works ----------------------------------------------

NUPLAN_ONE_CYCLE = """\
_target_: torch.optim.lr_scheduler.OneCycleLR
_convert_: 'all'
max_lr: 1e-4
epochs: ${lightning.trainer.params.max_epochs}
steps_per_epoch: null
pct_start: 0.25
"""


def test_each_suggested_fix_is_followed_until_it_plans(run, tmp_path: Path) -> None:
    """A group file (nuPlan's one_cycle_lr.yaml) whose epochs interpolate another group's
    value and whose steps_per_epoch the code fills: each error's own fix, with a value put in
    for VALUE / N, leads to the next, and the last plans OneCycleLR as torch steps it."""
    pytest.importorskip("omegaconf")
    path = tmp_path / "one_cycle_lr.yaml"
    path.write_text(NUPLAN_ONE_CYCLE)
    values = {"epochs": "3", "steps_per_epoch": "5"}
    args: list[str] = []
    lines = []
    for _ in range(5):
        result = run("show", "--config", str(path), *args, "--json")
        if result.exit_code == 0:
            break
        line = one_line(result)
        lines.append(line)
        if match := re.search(r"--set (\w+)=VALUE", line):
            args += ["--set", f"{match[1]}={values[match[1]]}"]
        elif "add --interval step" in line:
            args += ["--interval", "step"]
        else:
            pytest.fail(f"no fix to follow in: {line}")
    assert len(lines) == 3, lines
    assert "cannot resolve epochs = '${lightning.trainer.params.max_epochs}'" in lines[0]
    assert "steps_per_epoch is null, a value the training code fills in" in lines[1]
    expected = stepped(
        lambda o: torch.optim.lr_scheduler.OneCycleLR(
            o, max_lr=1e-4, epochs=3, steps_per_epoch=5, pct_start=0.25
        ),
        1e-3,
        15,
    )
    assert rates(result) == pytest.approx(expected, rel=1e-12)


# --- 6. a scheduler's own length against the run's --------------------------------------------

HYDRA_ONE_CYCLE = """\
optimizer: {_target_: torch.optim.SGD, lr: 0.01}
scheduler:
  _target_: torch.optim.lr_scheduler.OneCycleLR
  max_lr: 0.01
  total_steps: 40
trainer: {max_epochs: 5}
"""


def test_a_length_unlike_the_run_is_a_warning_before_the_table(run, tmp_path: Path) -> None:
    """OneCycleLR(total_steps=40) over 5 epochs: per epoch it is stepped 5 times, an
    assumption of lrplan's (the file cannot say how the loop steps it)."""
    path = tmp_path / "train.yaml"
    path.write_text(HYDRA_ONE_CYCLE)

    shown = run("show", "--config", str(path))
    checked = run("check", "--config", str(path), "--json")

    text = " ".join(shown.stdout.split())
    assert shown.exit_code == 0
    assert text.index("OneCycleLR has total_steps=40, but the run steps it only 5 times") < (
        text.index("┏")
    )
    assert "by lrplan's assumption: the config does not say how the training loop steps" in text
    assert "give --interval step and --steps-per-epoch N" in text
    assert checked.exit_code == 1
    codes = [finding["code"] for finding in json.loads(checked.stdout)["findings"]]
    assert "length-longer-than-run" in codes
    # The fix it names: 8 optimizer steps per epoch make the 40 steps; nothing left to warn.
    fixed = run("check", "--config", str(path), "--interval", "step", "--steps-per-epoch", "8")
    assert fixed.exit_code == 0, fixed.output


def test_a_length_given_with_its_interval_warns_without_the_assumption(run, tmp_path: Path) -> None:
    path = tmp_path / "cli.yaml"
    path.write_text(
        "trainer: {max_epochs: 6}\n"
        "optimizer: {class_path: torch.optim.SGD, init_args: {lr: 0.1}}\n"
        "lr_scheduler:\n  class_path: torch.optim.lr_scheduler.OneCycleLR\n"
        "  init_args: {max_lr: 0.1, total_steps: 48}\n"
    )

    result = run("check", "--config", str(path), "--json")

    assert result.exit_code == 1
    finding = json.loads(result.stdout)["findings"][0]
    assert finding["message"].startswith(
        "OneCycleLR has total_steps=48, but the run steps it only 6 times"
    )
    assert "assumption" not in finding["message"]


@pytest.mark.parametrize("given", [True, False], ids=["length given", "length defaulted"])
def test_a_length_warning_says_when_the_runs_length_is_lrplans_default(
    run, tmp_path: Path, given: bool
) -> None:
    # "The run steps it only 25 times" where 25 is nobody's number but lrplan's default.
    path = tmp_path / "train.yaml"
    path.write_text(
        "optimizer: {lr: 0.1}\n"
        "scheduler: {_target_: torch.optim.lr_scheduler.CosineAnnealingLR, T_max: 100}\n"
        + ("trainer: {max_epochs: 40}\n" if given else "")
    )

    result = run("check", "--config", str(path), "--json")

    assert result.exit_code == 1
    finding = json.loads(result.stdout)["findings"][0]
    runs = 40 if given else 25
    assert finding["message"].startswith(
        f"CosineAnnealingLR has T_max=100, but the run steps it only {runs} times"
    )
    said = "The run's length, epochs=25, is lrplan's default: the config does not give it."
    assert (said in finding["message"]) is not given
    assert ("Give the run's length with --epochs N." in finding["fix"]) is not given


# --- 7. DeepSpeed OneCycle, refusals that quote the file ---------------------------------------


def test_deepspeed_one_cycle_without_an_optimizer_block(run, tmp_path: Path) -> None:
    """OneCycle writes cycle_min_lr into the optimizer when built: its own lr is not needed."""
    lr_schedules = pytest.importorskip("deepspeed.runtime.lr_schedules")
    params = {
        "cycle_first_step_size": 10,
        "cycle_second_step_size": 10,
        "cycle_min_lr": 1e-4,
        "cycle_max_lr": 1e-3,
        "decay_lr_rate": 0.001,
        "decay_step_size": 5,
        "cycle_momentum": False,
    }
    path = tmp_path / "ds_config.json"
    path.write_text(json.dumps({"scheduler": {"type": "OneCycle", "params": params}}))

    result = run("show", "--config", str(path), "--epochs", "1", "--steps-per-epoch", "30",
                 "--json")  # fmt: skip

    sources = json.loads(result.stdout)["sources"]
    assert sources["lr"].startswith("scheduler.params.cycle_min_lr (OneCycle sets the optimizer")
    # Any lr of the client's optimizer gives the same rates.
    expected = stepped(lambda o: lr_schedules.OneCycle(o, **params), 0.5, 30)
    assert rates(result) == pytest.approx(expected, rel=1e-12)


def test_a_refusal_quotes_what_the_file_says(run, tmp_path: Path) -> None:
    pytest.importorskip("transformers")
    path = tmp_path / "sft.yaml"
    path.write_text("lr_scheduler_type: reduce_lr_on_plateau\nlearning_rate: 1.0e-4\n"
                    "max_steps: 100\n")  # fmt: skip

    line = one_line(run("show", "--config", str(path)))

    assert "lr_scheduler_type: reduce_lr_on_plateau: Trainer steps ReduceLROnPlateau" in line
    assert "--scheduler" not in line and "hf:" not in line


def test_check_of_a_scheduler_without_min_lr_per_step(run) -> None:
    """--scheduler cosine without --min-lr keeps eta_min's default: check shows it as the
    constructor's default (it raised a TypeError formatting None); T_max is the run's 50
    steps, nothing to warn."""
    result = run("check", "--scheduler", "cosine", "--interval", "step", "--steps-per-epoch",
                 "10", "--epochs", "5")  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "CosineAnnealingLR(optimizer, T_max=50)" in result.stdout
    assert re.search(r"min_lr +0 +CosineAnnealingLR's default eta_min", result.stdout)
    assert "None" not in result.stdout


def test_a_transformers_schedule_function_is_typed_by_its_signature(run, tmp_path: Path) -> None:
    """num_cycles: 5e-1 (a string to YAML 1.1) is get_cosine_schedule_with_warmup's float."""
    transformers = pytest.importorskip("transformers")
    path = tmp_path / "scheduler.yaml"
    path.write_text(
        "optimizer: {_target_: torch.optim.AdamW, lr: 1e-3}\n"
        "lr_scheduler:\n  _target_: transformers.get_cosine_schedule_with_warmup\n"
        "  num_warmup_steps: 3\n  num_training_steps: 12\n  num_cycles: 5e-1\n"
        "trainer: {max_epochs: 12}\n"
    )

    typed = typed_document(read_mapping(path, "x"), "x")
    result = run("show", "--config", str(path), "--json")

    assert typed["lr_scheduler"]["num_cycles"] == 0.5
    assert typed["lr_scheduler"]["num_warmup_steps"] == 3
    assert json.loads(result.stdout)["config"]["params"]["num_cycles"] == 0.5
    expected = stepped(
        lambda o: transformers.get_cosine_schedule_with_warmup(o, 3, 12, num_cycles=0.5), 1e-3, 12
    )
    assert rates(result) == pytest.approx(expected, rel=1e-12)


#: A fix a refusal suggests, and what following it adds to the command (numbers put in for
#: N and VALUE), in the order they are tried.
FIXES = (
    # A whole command (--scheduler X --param a=N --interval step ...), every N a number.
    (re.compile(r"with (--scheduler (?!NAME\b|and\b)[\w.:]+(?: --[\w-]+(?: (?!--)[\w.:=]+)?)+)"),
     lambda m: ["10" if t == "N" else t.replace("=N", "=10") for t in m[1].split()]),
    (re.compile(r"--set ([\w.]+)=VALUE"), lambda m: ["--set", f"{m[1]}=10"]),
    (re.compile(r"--param (?!NAME=)(\w+)=(?:N|VALUE)"), lambda m: ["--param", f"{m[1]}=10"]),
    (re.compile(r"no lr where lrplan looks \(give it with --lr"), lambda m: ["--lr", "0.1"]),
    (re.compile(r"--scheduler constant"), lambda m: ["--scheduler", "constant"]),
    (re.compile(r"give --dataset-size N"), lambda m: ["--dataset-size", "1000"]),
    (re.compile(r"give --batch-size N"), lambda m: ["--batch-size", "8"]),
    (re.compile(r"give --epochs N and --steps-per-epoch N"),
     lambda m: ["--epochs", "2", "--steps-per-epoch", "10"]),
    (re.compile(r"add --interval step"), lambda m: ["--interval", "step"]),
    (re.compile(r"give --steps-per-epoch N"), lambda m: ["--steps-per-epoch", "100"]),
)  # fmt: skip

REAL = Path(__file__).parent / "data" / "configs"


def _fix_chains() -> list[Any]:
    """Each real config; one whose LRPLAN.yaml entry says ``fix_chain_fails`` (a known lrplan
    bug, with its reason) is expected to fail, strictly: once fixed, the entry must go."""
    import yaml

    known = yaml.safe_load((REAL / "LRPLAN.yaml").read_text())
    names = sorted(p.name for p in REAL.iterdir() if p.name not in ("MANIFEST.yaml", "LRPLAN.yaml"))
    return [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=reason))
        if (reason := (known.get(name) or {}).get("fix_chain_fails"))
        else name
        for name in names
    ]


@pytest.mark.parametrize("name", _fix_chains())
def test_every_fix_a_real_configs_refusal_suggests_is_followed(run, name: str) -> None:
    """Each concrete fix a refusal names (--set KEY=VALUE, --param NAME=N, --dataset-size N,
    ...), followed, gets further, never to the same line again, and ends in a plan. A refusal
    naming no concrete fix (a schedule lrplan cannot plan) ends the chain at once."""
    args: list[str] = []
    seen: list[str] = []
    for _ in range(5):
        result = run("show", "--config", str(REAL / name), *args, "--csv", "-")
        if result.exit_code == 0:
            return
        line = result.stderr.strip()
        assert result.exit_code == 2 and "\n" not in line and "Traceback" not in result.output
        assert line not in seen, f"following {args} repeats: {line}"
        seen.append(line)
        fix = next(((m, make) for pattern, make in FIXES if (m := pattern.search(line))), None)
        if fix is None:
            # A module this machine lacks (torchtune) is not the config's to fix.
            assert not args or "no module named" in line, f"{args} ends in a refusal: {line}"
            return
        args += fix[1](fix[0])
    pytest.fail(f"no plan after following {args}: {seen}")
