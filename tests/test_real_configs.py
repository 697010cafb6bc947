"""Real training configs from public repositories (tests/data/configs/): lrplan plans what the
run does, or says in one line why it cannot; never a silent default.

MANIFEST.yaml holds each file's source and what the real run does, read from that project's
code; LRPLAN.yaml what lrplan gives (and why, where the file alone does not hold a value).
The expected rates come from the real scheduler class stepped by hand on a real optimizer, or
from the formula, never from lrplan's output.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import math
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.formula import formula_lr

DATA = Path(__file__).parent / "data" / "configs"
MANIFEST = {entry["file"]: entry for entry in yaml.safe_load((DATA / "MANIFEST.yaml").read_text())}
LRPLAN = yaml.safe_load((DATA / "LRPLAN.yaml").read_text())

#: The dialects the configs are written in; each must be covered.
DIALECTS = {
    "warmup_cos",
    "lightning_cli",
    "lightning_cli_nested",
    "hydra_target",
    "hydra_partial",
    "hydra_override",
    "torchtune_component",
    "name_kwargs",
    "hf_training_args",
    "timm_args",
    "deepspeed",
    "refuse",
}


def test_the_manifest_covers_every_config_and_dialect() -> None:
    files = {path.name for path in DATA.iterdir() if path.name not in ("MANIFEST.yaml",
                                                                        "LRPLAN.yaml")}  # fmt: skip
    assert files == set(MANIFEST) == set(LRPLAN)
    assert len(files) >= 25
    assert {entry["dialect"] for entry in MANIFEST.values()} == DIALECTS
    for entry in MANIFEST.values():
        repo, _, rest = entry["source"].partition("@")
        commit, _, path = rest.partition(":")
        assert "/" in repo and len(commit) == 40 and path, entry["source"]


def importable(module: str) -> bool:
    """Whether ``module`` imports here (torchtune 0.6 is found but fails without torchao)."""
    try:
        importlib.import_module(module)
    except Exception:  # any failure to import means lrplan cannot use it either
        return False
    return True


def one_line_error(result: Any) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("lrplan: error:")
    assert "Traceback" not in result.output
    return lines[0]


def real_rates(name: str, arguments: dict[str, Any], lr: float, rows: int) -> list[float]:
    """``name``'s class (or factory) stepped by hand on a real optimizer: the rate of each row."""
    import torch

    module, _, attribute = name.rpartition(".")
    target = getattr(importlib.import_module(module), attribute)
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    scheduler = target(optimizer, **arguments)
    rates = []
    for _ in range(rows):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return rates


def timm_rates(name: str, arguments: dict[str, Any], lr: float, epochs: int) -> list[float]:
    """timm's scheduler class stepped by hand as train.py steps it (per epoch)."""
    import torch

    from lrplan.core.frameworks.timm import import_timm_module

    module, _, attribute = name.rpartition(".")
    target = getattr(import_timm_module(module), attribute)  # timm's code, without torchvision
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    scheduler = target(optimizer, **arguments)
    rates = []
    for epoch in range(epochs):
        rates.append(optimizer.param_groups[0]["lr"])
        scheduler.step(epoch + 1)
    return rates


def expected_plan(name: str) -> dict[str, Any]:
    """What the run does (MANIFEST), with LRPLAN's values where the file does not hold them."""
    truth = MANIFEST[name]["expected"]
    ours = LRPLAN[name]
    arguments = {
        key: value
        for key, value in (truth["arguments"] or {}).items()
        if not isinstance(value, str) and key != "last_epoch"
    }
    arguments.update(ours.get("arguments", {}))
    return {
        "scheduler": truth["scheduler"],
        "arguments": arguments,
        "lr": ours.get("lr", truth["lr"]),
        "epochs": ours.get("epochs", (truth["length"] or {}).get("epochs")),
        "interval": ours.get("interval", truth["interval"]),
        "steps_per_epoch": ours.get("steps_per_epoch", 1),
        "lr_key": truth["lr_key"],
        "length_key": truth.get("length_key"),
    }


def check_plan(run: Any, path: Path, args: list[str], want: dict[str, Any]) -> None:
    result = run("show", "--config", str(path), *args, "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    config = document["config"]
    rows = want["epochs"] * want["steps_per_epoch"]
    assert (config["lr"], config["epochs"], config["interval"]) == (
        pytest.approx(want["lr"], rel=1e-12),
        want["epochs"],
        want["interval"],
    )
    assert config["steps_per_epoch"] == want["steps_per_epoch"]
    planned = [row["lr"] for row in document["rows"]]
    class_name = want["scheduler"].rpartition(".")[2]
    if class_name == "WarmupCosLR":
        assert document["scheduler"] == "WarmupCosLR"
        arguments = want["arguments"]
        expected = [
            formula_lr(k, arguments["lr"], arguments["min_lr"], arguments["warmup_epochs"], rows)
            for k in range(rows)
        ]
    else:
        assert document["scheduler"] == class_name
        # What the file (or an option) sets; arguments it leaves out keep the defaults of the
        # constructor, as in the run (MANIFEST may list those defaults too).
        params = config["params"]
        assert params == {key: want["arguments"][key] for key in params}
        expected = real_rates(want["scheduler"], want["arguments"], want["lr"], rows)
    assert planned == pytest.approx(expected, rel=1e-12, abs=1e-300)
    # Where each value came from: the config's key path, as the project's code reads it.
    sources = document["sources"]
    if want["lr_key"] and " " not in want["lr_key"] and "--lr" not in args:
        assert sources["lr"] == want["lr_key"]
    if want["length_key"] and " " not in want["length_key"] and "--epochs" not in args:
        assert sources["epochs"] == want["length_key"]
    if class_name != "WarmupCosLR":
        assert all(f"param.{key}" in sources for key in config["params"])


@pytest.mark.parametrize("name", sorted(LRPLAN))
def test_each_real_config(run, tmp_path: Path, name: str) -> None:
    ours = LRPLAN[name]
    path = DATA / name
    args = [str(arg) for arg in ours.get("args", [])]
    if ours["outcome"] == "refuse":
        out = tmp_path / "out.csv"
        line = one_line_error(run("show", "--config", str(path), "--csv", str(out)))
        assert ours["message"] in line
        assert line.startswith(f"lrplan: error: --config {path}") or "ReduceLROnPlateau" in line
        assert not out.exists()
        needs = ours.get("then_needs")
        if "then" in ours and (needs is None or importable(needs)):
            result = run("show", "--config", str(path), *map(str, ours["then"]), "--json")
            assert result.exit_code == 0, result.output
        return
    if ours["outcome"] == "framework":
        check_framework_plan(run, path, ours, tmp_path)
        return
    if ours["outcome"] == "no_scheduler":
        check_no_scheduler(run, path, args)
        return
    want = expected_plan(name)
    module = ours.get("needs_module")
    if module is not None and not importable(module):
        if not importable("transformers"):
            pytest.skip(f"needs {module} or transformers")
        line = one_line_error(run("show", "--config", str(path), *args))
        assert module in line
        args = [*args, "--set", ours["stand_in"]]
        want["scheduler"] = "transformers.get_cosine_schedule_with_warmup"
    check_plan(run, path, args, want)


def check_no_scheduler(run: Any, path: Path, args: list[str]) -> None:
    """A config naming no scheduler: one line with the rate and the length it gives (at the
    keys MANIFEST names), and the fix it suggests, --scheduler constant, plans what the run
    does without a scheduler: the optimizer's rate, unchanged, for the whole run."""
    truth = MANIFEST[path.name]["expected"]
    line = one_line_error(run("show", "--config", str(path), *args))
    assert "names no scheduler and none of WarmupCosLR's keys" in line
    epochs = truth["length"]["epochs"]
    assert f"at {truth['lr_key']} and epochs = {epochs} at {truth['length_key']}" in line
    assert "--scheduler constant for a rate the code keeps constant" in line
    checked = run("check", "--config", str(path), *args)
    assert checked.exit_code == 2 and checked.stdout == ""
    result = run("show", "--config", str(path), *args, "--scheduler", "constant", "--json")
    assert result.exit_code == 0, result.output
    rows = [row["lr"] for row in json.loads(result.stdout)["rows"]]
    assert rows == [pytest.approx(float(truth["lr"]), rel=1e-12)] * epochs


def check_framework_plan(run: Any, path: Path, ours: dict[str, Any], tmp_path: Path) -> None:
    """A Hugging Face or DeepSpeed config: planned with the class or function MANIFEST names,
    stepped once per optimizer step, as Trainer and the DeepSpeed engine step it. A recipe
    written for an older framework release than the one installed is refused in one line,
    and planned once edited as the line says (``renamed``)."""
    truth = MANIFEST[path.name]["expected"]
    args = [str(arg) for arg in ours["args"]]
    if "renamed" in ours:
        line = one_line_error(run("show", "--config", str(path), *args))
        assert ours["renamed_message"] in line
        old, new = next(iter(ours["renamed"].items()))
        assert f"rename it {new}" in line
        text = path.read_text()
        assert text.count(f"{old}:") == 1
        path = tmp_path / path.name
        path.write_text(text.replace(f"{old}:", f"{new}:"))
    if "refused_with" in ours:
        line = one_line_error(run("show", "--config", str(path), *map(str, ours["refused_with"])))
        assert ours["refused_message"] in line
    result = run("show", "--config", str(path), *args, "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    config = document["config"]
    assert config["scheduler"] == ours["scheduler"]
    assert config["interval"] == ours.get("interval", "step")
    assert config["steps_per_epoch"] == ours["steps_per_epoch"]
    rows = [row["lr"] for row in document["rows"]]
    assert len(rows) == ours["rows"]
    lr = float(truth["lr"])
    assert config["lr"] == pytest.approx(lr, rel=1e-12)
    if truth["scheduler"].startswith("transformers."):
        assert document["sources"]["lr"] == truth["lr_key"]
        # The function MANIFEST names is the one lr_scheduler_type picks in transformers.
        from transformers.optimization import TYPE_TO_SCHEDULER_FUNCTION, SchedulerType

        kind = ours["scheduler"].partition(":")[2]
        function = TYPE_TO_SCHEDULER_FUNCTION[SchedulerType(kind)]
        assert function.__name__ == truth["scheduler"].rpartition(".")[2]
        assert config["params"] == ours["arguments"]
        arguments = {**ours["arguments"], "num_training_steps": ours["rows"]}
        expected = real_rates(
            f"transformers.optimization.{function.__name__}", arguments, lr, ours["rows"]
        )
    elif truth["scheduler"].startswith("timm."):
        # train.py's create_scheduler_v2 call (its arguments, not the class's) is in
        # config["params"]; the class MANIFEST names, built with MANIFEST's arguments, is
        # stepped as train.py steps it: step(epoch + 1) after each epoch.
        assert config["params"]["num_epochs"] == truth["length"]["epochs"]
        expected = timm_rates(truth["scheduler"], truth["arguments"], lr, ours["rows"])
    else:
        arguments = {
            key: value for key, value in truth["arguments"].items() if key in config["params"]
        }
        assert config["params"] == arguments
        expected = real_rates(truth["scheduler"], truth["arguments"], lr, ours["rows"])
    assert rows == pytest.approx(expected, rel=1e-12, abs=1e-300)


def test_a_refused_config_names_what_was_found_and_what_makes_it_plannable(run) -> None:
    path = DATA / "ultralytics__yolov8_args.yaml"
    line = one_line_error(run("show", "--config", str(path)))
    assert "Ultralytics' own schedule" in line
    assert "name it with --scheduler and its arguments with --param" in line


def test_the_class_left_to_the_code_is_named_on_the_command_line(run) -> None:
    """torch-uncertainty fixes MultiStepLR in Python; its file holds only the arguments."""
    path = DATA / "tu__resnet18_standard_noclasspath.yaml"
    result = run(
        "show", "--config", str(path), "--scheduler", "torch.optim.lr_scheduler.MultiStepLR",
        "--json",
    )  # fmt: skip
    document = json.loads(result.stdout)
    assert document["constructor"] == "MultiStepLR(optimizer, milestones=[25, 50], gamma=0.1)"
    assert document["sources"]["param.milestones"] == "lr_scheduler.milestones"
    assert document["sources"]["epochs"] == "trainer.max_epochs"
    assert [row["lr"] for row in document["rows"]] == pytest.approx(
        real_rates("torch.optim.lr_scheduler.MultiStepLR", {"milestones": [25, 50], "gamma": 0.1},
                   0.05, 75), rel=1e-12)  # fmt: skip


def test_steps_per_epoch_rounds_as_lightning(run, tmp_path: Path) -> None:
    path = tmp_path / "train.yaml"
    path.write_text(
        "trainer: {max_epochs: 3, devices: 2, accumulate_grad_batches: 4}\n"
        "data: {batch_size: 8}\n"
        "optimizer: {class_path: torch.optim.SGD, init_args: {lr: 0.1}}\n"
        "lr_scheduler: {class_path: torch.optim.lr_scheduler.LinearLR,"
        " init_args: {total_iters: 30}}\n"
    )

    result = run("show", "--config", str(path), "--interval", "step", "--dataset-size", "1001",
                 "--json")  # fmt: skip

    document = json.loads(result.stdout)
    # 1001 samples on 2 devices: 501 each, ceil(501 / 8) = 63 batches, ceil(63 / 4) = 16 steps.
    assert document["config"]["steps_per_epoch"] == math.ceil(math.ceil(501 / 8) / 4) == 16
    assert "ceil(batches / accumulate), as Lightning" in document["sources"]["steps_per_epoch"]
    missing = one_line_error(run("show", "--config", str(path), "--interval", "step"))
    assert "--steps-per-epoch N, or --dataset-size N" in missing


def test_a_config_may_name_only_well_known_modules(run, tmp_path: Path) -> None:
    path = tmp_path / "train.yaml"
    path.write_text("lr_scheduler:\n  _target_: my_project.sched.Custom\n  T_max: 5\n")

    line = one_line_error(run("show", "--config", str(path)))

    assert "names my_project.sched:Custom" in line
    assert line.endswith("pass --allow-import my_project")


def test_partial_targets_and_factories(run, tmp_path: Path) -> None:
    """Hydra's _partial_ scheduler, and a factory function named by _target_."""
    path = tmp_path / "scheduler.yaml"
    path.write_text(
        "optimizer: {_target_: torch.optim.AdamW, lr: 3e-4, _partial_: true}\n"
        "scheduler:\n  _target_: torch.optim.lr_scheduler.CosineAnnealingLR\n"
        "  _partial_: true\n  T_max: 10\ntrainer: {max_epochs: 12}\n"
    )
    document = json.loads(run("show", "--config", str(path), "--json").stdout)
    assert document["constructor"] == "CosineAnnealingLR(optimizer, T_max=10)"
    assert [row["lr"] for row in document["rows"]] == pytest.approx(
        real_rates("torch.optim.lr_scheduler.CosineAnnealingLR", {"T_max": 10}, 3e-4, 12),
        rel=1e-12,
    )
    assert document["sources"]["scheduler"] == "scheduler._target_"
    assert document["sources"]["epochs"] == "trainer.max_epochs"


def test_options_override_values_lrplan_cannot_read(run, tmp_path: Path) -> None:
    path = tmp_path / "train.yaml"
    path.write_text(
        "lr: null\nepochs: ${trainer.max_epochs}\n"
        "lr_scheduler: {class_path: torch.optim.lr_scheduler.StepLR,"
        " init_args: {step_size: '${nowhere}', gamma: [1]}}\n"
    )
    one_line_error(run("show", "--config", str(path)))

    result = run("show", "--config", str(path), "--lr", "0.1", "--epochs", "6", "--param",
                 "step_size=2", "--param", "gamma=0.5", "--json")  # fmt: skip

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["constructor"] == "StepLR(optimizer, step_size=2, gamma=0.5)"
    assert document["sources"]["lr"] == "--lr"
    assert document["sources"]["param.step_size"] == "--param"


def test_compare_specs_plan_what_a_real_config_names(run) -> None:
    path = DATA / "tu__muad_unet_standard_steplr.yaml"

    result = run("compare", str(path), f"{path},param.step_size=20,label=faster", "--csv", "-")

    assert result.exit_code == 0, result.output
    rows = [line.split(",") for line in result.stdout.splitlines()[1:]]
    steplr = "torch.optim.lr_scheduler.StepLR"
    assert [float(row[1]) for row in rows] == real_rates(steplr, {"step_size": 40}, 1e-3, 100)
    assert [float(row[2]) for row in rows] == real_rates(steplr, {"step_size": 20}, 1e-3, 100)
    refused = run("compare", str(DATA / "fairseq__wav2vec_base_10h_tri_stage.yaml"), "lr=1e-3")
    line = one_line_error(refused)
    assert "tri_stage is fairseq's own scheduler" in line
    assert line.endswith("param.KEY=VALUE in the SPEC")


def test_other_schedulers_of_a_config_are_not_the_learning_rates(run, tmp_path: Path) -> None:
    """nuPlan configs name a data_augmentation_scheduler: not a learning-rate scheduler."""
    path = tmp_path / "train.yaml"
    path.write_text(
        "lr: 1e-3\nwarmup_epochs: 2\nepochs: 10\nmin_lr: 1e-6\n"
        "data_augmentation_scheduler:\n"
        "  _target_: nuplan.StepwiseAugmentationProbabilityScheduler\n"
    )

    document = json.loads(run("show", "--config", str(path), "--json").stdout)

    assert document["scheduler"] == "WarmupCosLR"
    assert [row["lr"] for row in document["rows"]] == pytest.approx(
        [formula_lr(k, 1e-3, 1e-6, 2, 10) for k in range(10)], rel=1e-12
    )


# --- a flat file of a training loop's own arguments is not TrainingArguments ----------------


def test_a_training_loops_own_keys_are_not_training_arguments() -> None:
    """The keys that tell a loop's own argument class from TrainingArguments are absent from
    the installed transformers' TrainingArguments (as HfArgumentParser builds it), and the
    Hugging Face recipes of tests/data (TRL, alignment-handbook, Open R1, LLaMA-Factory) hold
    none of them: they stay TrainingArguments."""
    pytest.importorskip("transformers")
    from transformers import HfArgumentParser, TrainingArguments

    from lrplan.inputs.dialects import OWN_LOOP_KEYS
    from lrplan.inputs.frameworks import framework_of

    fields = {action.dest for action in HfArgumentParser(TrainingArguments)._actions}
    assert not set(OWN_LOOP_KEYS) & fields
    assert set(OWN_LOOP_KEYS.values()) <= fields  # what TrainingArguments calls them
    for name, entry in MANIFEST.items():
        if entry["dialect"] == "hf_training_args":
            document = yaml.safe_load((DATA / name).read_text())
            assert not set(OWN_LOOP_KEYS) & set(document), name
            assert framework_of(document) == "hf", name


def test_own_training_loop_args_plan_as_its_fix_says(run) -> None:
    """open-instruct's FlatArguments: refused in one line naming the keys Trainer never reads
    (no transformers 5 rename), and the fix it names plans finetune.py's schedule on one
    process: get_scheduler('linear', num_warmup_steps=int(T × 0.03), num_training_steps=T),
    T = num_train_epochs × ceil(N / (per_device_train_batch_size × accumulation))."""
    pytest.importorskip("transformers")
    path = DATA / "openinstruct__tulu2_7b_flat_args.yaml"
    line = one_line_error(run("show", "--config", str(path)))
    assert "with_tracking (TrainingArguments: report_to)" in line
    assert "warmup_ratio is not an argument" not in line and "rename" not in line

    per_epoch = math.ceil(326154 / (1 * 16))  # allenai/tulu-v2-sft-mixture's rows
    total = 3 * per_epoch
    warmup = int(total * 0.03)  # finetune.py floors; Trainer would take ceil
    assert (total, warmup) == (61155, 1834)
    result = run("show", "--config", str(path), "--scheduler", "hf:linear", "--param",
                 f"num_warmup_steps={warmup}", "--interval", "step", "--steps-per-epoch",
                 str(per_epoch), "--epochs", "3", "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["sources"]["lr"] == "learning_rate"
    arguments = {"num_warmup_steps": warmup, "num_training_steps": total}
    expected = real_rates("transformers.get_linear_schedule_with_warmup", arguments, 2e-5, total)
    assert [row["lr"] for row in document["rows"]] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("text", "keys"),
    [
        # HF's Accelerate example scripts (run_glue_no_trainer.py): their own argparse.
        ("learning_rate: 5.0e-5\nlr_scheduler_type: cosine\nnum_warmup_steps: 100\n"
         "max_train_steps: 1000\nper_device_train_batch_size: 8\n",
         "max_train_steps (TrainingArguments: max_steps), num_warmup_steps"),
        ("learning_rate: 1.0e-4\nlr_scheduler_type: wsd\nwith_tracking: true\n",
         "with_tracking (TrainingArguments: report_to)"),
    ],
)  # fmt: skip
def test_own_loop_arguments_are_refused_naming_them(run, tmp_path: Path, text, keys) -> None:
    path = tmp_path / "args.yaml"
    path.write_text(text)
    line = one_line_error(run("show", "--config", str(path)))
    assert keys in line and "a training loop's own arguments" in line
    # A schedule type transformers does not have is not named as one of its (hf:wsd).
    assert ("--scheduler hf:cosine" in line) == ("cosine" in text)


# --- TorchDrug's class + kwargs --------------------------------------------------------------


def render_gearnet(tmp_path: Path) -> Path:
    """GearNet's util.load_config: jinja2.Template(raw).render(context), then yaml.safe_load;
    the context of a one-GPU run without a checkpoint (gpus: [0], ckpt: null)."""
    raw = (DATA / "gearnet__fold3d_gearnet_edge_class_kwargs.yaml").read_text()
    assert raw.count("{{ gpus }}") == 1 and raw.count("{{ ckpt }}") == 1
    path = tmp_path / "gearnet_edge.yaml"
    path.write_text(raw.replace("{{ gpus }}", "[0]").replace("{{ ckpt }}", "null"))
    return path


@pytest.mark.parametrize(
    "args", [[], ["--scheduler", "torch.optim.lr_scheduler.StepLR"]], ids=["file", "named"]
)
def test_torchdrug_class_and_kwargs_plan_when_rendered(run, tmp_path: Path, args) -> None:
    """scheduler: {class: StepLR, step_size: 50, gamma: 0.5}: the class named by 'class' with
    the other keys as its arguments (TorchDrug's core.Configurable.load_config_dict), also
    when --scheduler names the same class; the other sections' 'class' keys (dataset, model,
    ...) are not schedulers. The length, train.num_epoch, is GearNet's script's own key."""
    path = render_gearnet(tmp_path)
    truth = MANIFEST["gearnet__fold3d_gearnet_edge_class_kwargs.yaml"]["expected"]
    epochs = truth["length"]["epochs"]
    result = run("show", "--config", str(path), *args, "--epochs", str(epochs), "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["constructor"] == "StepLR(optimizer, step_size=50, gamma=0.5)"
    assert document["sources"]["lr"] == truth["lr_key"]
    assert document["sources"]["param.step_size"] == "scheduler.step_size"
    if not args:
        assert document["sources"]["scheduler"] == "scheduler.class"
    expected = real_rates(truth["scheduler"], truth["arguments"], truth["lr"], epochs)
    assert [row["lr"] for row in document["rows"]] == pytest.approx(expected, rel=1e-12)


# --- options honoured where the file holds no lr and no scheduler ----------------------------


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("anomalib__stfpm_no_scheduler.yaml", ["--scheduler", "constant", "--lr", "0.4"]),
        ("anomalib__uflow_code_linearlr_25000.yaml",
         ["--scheduler", "torch.optim.lr_scheduler.LinearLR", "--param", "start_factor=1.0",
          "--param", "end_factor=0.4", "--param", "total_iters=25000", "--lr", "1e-3"]),
    ],
)  # fmt: skip
def test_options_plan_a_file_without_lr_or_scheduler(run, name: str, args: list[str]) -> None:
    """Anomalib's LightningCLI files fix the optimizer (and U-Flow's LinearLR) in code: the
    line names the length found (trainer.max_epochs) and the lr it lacks; the options that
    name the code's scheduler and rate plan the run over the file's max_epochs."""
    path = DATA / name
    truth = MANIFEST[name]["expected"]
    epochs = truth["length"]["epochs"]
    line = one_line_error(run("show", "--config", str(path)))
    assert "it gives no lr where lrplan looks (give it with --lr" in line
    assert f"and epochs = {epochs} at {truth['length_key']};" in line

    result = run("show", "--config", str(path), *args, "--json")

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["sources"]["epochs"] == truth["length_key"]
    assert document["sources"]["lr"] == "--lr"
    rows = [row["lr"] for row in document["rows"]]
    if truth["scheduler"] is None:
        assert rows == [pytest.approx(truth["lr"], rel=1e-15)] * epochs
    else:
        expected = real_rates("torch.optim.lr_scheduler.LinearLR", truth["arguments"],
                              truth["lr"], epochs)  # fmt: skip
        assert rows == pytest.approx(expected, rel=1e-12)


def test_options_plan_a_file_holding_nothing_lrplan_reads(run, tmp_path: Path) -> None:
    path = tmp_path / "model.yaml"
    path.write_text("model: {backbone: resnet18}\n")
    line = one_line_error(run("show", "--config", str(path)))
    assert "none of lr, min_lr, warmup_epochs, epochs" in line

    result = run("show", "--config", str(path), "--scheduler", "constant", "--lr", "0.1",
                 "--epochs", "4", "--json")  # fmt: skip

    assert result.exit_code == 0, result.output
    assert [row["lr"] for row in json.loads(result.stdout)["rows"]] == [0.1] * 4


def test_a_refusal_quotes_only_the_keys_the_file_holds(run) -> None:
    """GCViT's file has lr_ep and not data_len (an option of its train.py left at default)."""
    path = DATA / "gcvit__gc_vit_xxtiny_timm_args.yml"
    assert "data_len" not in path.read_text()
    line = one_line_error(run("show", "--config", str(path)))
    assert "lr_ep: False: read by NVlabs' own create_scheduler" in line
    assert "data_len" not in line
