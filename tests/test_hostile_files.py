"""Broken and hostile files cost bounded work and end in one line: only regular files are read,
under a size cap; deep nesting, recursive and multiplying YAML aliases and numbers out of range
are refused by name; messages stay short; a crash is never ``check``'s exit 1; SIGTERM leaves
no file behind. One test per cause found by the mutation campaign of issue 22."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lrplan.errors import LrplanError
from lrplan.inputs import limits
from lrplan.inputs.files import read_yaml_mapping

DATA = Path(__file__).parent / "data"


def _one_line(result, code: int = 2) -> str:  # type: ignore[no-untyped-def]
    """The one error line of a run that must fail with ``code``, and no traceback."""
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lrplan: error: "), result.stderr
    return lines[0]


# --- only regular files ---------------------------------------------------------------------


def _special(kind: str, folder: Path) -> Path:
    if kind == "fifo":
        path = folder / "pipe.yaml"
        os.mkfifo(path)
        return path
    if kind == "link to /dev/zero":
        path = folder / "zero.yaml"
        path.symlink_to("/dev/zero")
        return path
    if kind == "folder":
        path = folder / "configs.yaml"
        path.mkdir()
        return path
    return Path(kind)


SPECIAL = ["/dev/zero", "/dev/urandom", "link to /dev/zero", "fifo", "folder"]
SAYS = {
    "/dev/zero": "is a device",
    "/dev/urandom": "is a device",
    "link to /dev/zero": "is a device",
    "fifo": "is a FIFO",
    "folder": "is a folder",
}


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
@pytest.mark.parametrize("kind", SPECIAL)
def test_a_config_that_is_no_regular_file_is_refused_at_once(
    run, tmp_path: Path, kind: str
) -> None:
    path = _special(kind, tmp_path)
    started = time.monotonic()
    line = _one_line(run("show", "--config", str(path)))
    assert time.monotonic() - started < 10
    assert SAYS[kind] in line and f"--config {path}" in line


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
@pytest.mark.parametrize("kind", ["/dev/zero", "/dev/urandom", "fifo"])
def test_a_log_that_is_no_regular_file_is_refused_at_once(run, tmp_path: Path, kind: str) -> None:
    path = _special(kind, tmp_path)
    if kind == "fifo":  # a log is found by its name: a FIFO called metrics.csv
        path = path.rename(tmp_path / "metrics.csv")
    line = _one_line(run("diagnose", str(path)))
    assert SAYS[kind] in line and "give a training log" in line


def test_a_trainer_state_fifo_and_event_file_fifo_are_refused(run, tmp_path: Path) -> None:
    for name in ("trainer_state.json", "events.out.tfevents.1.host.1.0"):
        path = tmp_path / name
        os.mkfifo(path)
        line = _one_line(run("diagnose", str(path)))
        assert "is a FIFO" in line, line
        path.unlink()


def test_a_config_over_the_size_cap_is_refused_with_the_cap(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with open(path, "w") as stream:
        stream.write("lr: 1e-3\n")
        stream.truncate(limits.CONFIG_MAX_BYTES + 1)
    with pytest.raises(LrplanError, match=r"more than the 4 MB lrplan reads from a YAML config"):
        read_yaml_mapping(path, "--config big.yaml")


def test_read_bytes_reads_no_more_than_the_cap(tmp_path: Path) -> None:
    path = tmp_path / "x"
    path.write_bytes(b"a" * 100)
    assert limits.read_bytes(path, "x", "a file", 100) == b"a" * 100
    with pytest.raises(LrplanError, match="is 100 bytes, more than the 99 bytes"):
        limits.read_bytes(path, "x", "a file", 99)


# --- nesting and aliases --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("deep.yaml", "epochs: 5\nlr: " + "[" * 1000 + "1" + "]" * 1000 + "\n"),
        ("deep_map.yaml", "epochs: 5\n" + "".join("  " * i + "a:\n" for i in range(150))),
        ("deep.json", '{"epochs": 5, "lr": ' + "[" * 1000 + "1" + "]" * 1000 + "}"),
    ],
)
def test_a_deeply_nested_config_is_refused_by_its_depth(run, tmp_path: Path, name, text) -> None:
    (tmp_path / name).write_text(text)
    line = _one_line(run("show", "--config", str(tmp_path / name)))
    assert f"nests more than {limits.MAX_DEPTH} levels" in line


def test_nesting_within_the_bound_reads(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text("a: " + "[" * 50 + "1" + "]" * 50 + "\nlr: 1e-3\n")
    assert read_yaml_mapping(path, "x")["lr"] == "1e-3"


def test_a_deeply_nested_trainer_state_is_refused_by_its_depth(run, tmp_path: Path) -> None:
    state = json.loads((DATA / "logs" / "hf__Velihh_ML_text__trainer_state.json").read_text())
    text = json.dumps({**state, "extra": None}).replace("null", "[" * 3000 + "]" * 3000)
    (tmp_path / "trainer_state.json").write_text(text)
    line = _one_line(run("diagnose", str(tmp_path / "trainer_state.json")))
    assert "nests more than" in line


@pytest.mark.parametrize(
    "text",
    [
        "scheduler: cosine\nrec: &r [*r]\nparam:\n  T_max: *r\nlr: 1e-3\nepochs: 5\n",
        "lr: &r {a: *r}\nepochs: 5\n",
        "scheduler: cosine\nT_max: &r [1, *r]\nlr: 1e-3\nepochs: 5\nx: ${T_max}\n",
    ],
    ids=["in a list", "in a mapping", "with an interpolation"],
)
def test_a_recursive_alias_is_refused_by_name(run, tmp_path: Path, text: str) -> None:
    (tmp_path / "rec.yaml").write_text(text)
    line = _one_line(run("show", "--config", str(tmp_path / "rec.yaml")))
    assert "alias *r" in line and "inside its own anchor &r" in line
    assert len(line) < 300


def _laughs(levels: int) -> str:
    lines = ["l0: &l0 [1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for level in range(1, levels):
        lines.append(f"l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * 9)}]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("key", ["lr", "ignored"])
def test_multiplying_aliases_are_refused_before_they_cost_memory(
    run, tmp_path: Path, key: str
) -> None:
    # 9 levels of 9: 9**9 = 387 million values once expanded.
    (tmp_path / "laughs.yaml").write_text(_laughs(9) + f"{key}: *l8\nepochs: 5\n")
    started = time.monotonic()
    line = _one_line(run("show", "--config", str(tmp_path / "laughs.yaml")))
    assert time.monotonic() - started < 10
    assert "aliases expand to more than" in line


def test_aliases_within_the_budget_read(tmp_path: Path) -> None:
    # Real configs share a block by an anchor: 4 levels of 9 are 6,561 values.
    path = tmp_path / "shared.yaml"
    path.write_text(_laughs(4) + "lr: 1e-3\n")
    assert len(read_yaml_mapping(path, "x")["l3"]) == 9


def test_a_recursive_alias_in_a_set_value_is_refused(run) -> None:
    line = _one_line(run("show", "--set", "optimizer.lr=&r [*r]"))
    assert line.startswith("lrplan: error: --set optimizer.lr: the YAML alias *r")


# --- numbers out of range -------------------------------------------------------------------


@pytest.mark.parametrize("step", ["1e300", "9223372036854775808", "1e17"])
def test_a_step_out_of_range_is_refused_by_name(run, tmp_path: Path, step: str) -> None:
    (tmp_path / "metrics.csv").write_text(f"step,loss\n1,2.0\n{step},1.5\n")
    line = _one_line(run("diagnose", str(tmp_path / "metrics.csv")))
    assert "line 3: step" in line and "out of range" in line


def test_a_huge_number_in_trainer_state_is_not_a_crash(run, tmp_path: Path) -> None:
    history = [{"step": 10**400, "loss": 1.0}, {"step": 2, "loss": 0.5}]
    (tmp_path / "trainer_state.json").write_text(json.dumps({"log_history": history}))
    line = _one_line(run("diagnose", str(tmp_path / "trainer_state.json")))
    assert "step" in line


def test_an_integer_of_more_digits_than_python_converts_is_one_line(run, tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text("lr: 1e-3\nepochs: " + "9" * 5000 + "\n")
    line = _one_line(run("show", "--config", str(tmp_path / "c.yaml")))
    assert "--config" in line and len(line) < 400


# --- short messages -------------------------------------------------------------------------


def test_a_refused_million_digit_lr_is_not_echoed_whole(run) -> None:
    line = _one_line(run("show", "--lr", "1" * 1_000_000 + "x"))
    assert "--lr" in line and "…" in line
    assert len(line) < 500


def test_a_huge_value_in_a_config_is_quoted_shortened(run, tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text("lr: " + "x" * 100_000 + "\nepochs: 5\n")
    line = _one_line(run("show", "--config", str(tmp_path / "c.yaml")))
    assert "lr" in line and "…" in line and len(line) < 500


def test_every_lrplan_error_is_bounded_for_python_callers_too() -> None:
    from lrplan import plan
    from lrplan.core.config import ScheduleConfig

    message = str(LrplanError("bad value " + "9" * 1_000_000 + " here; give a number"))
    assert message.startswith("bad value 999") and message.endswith(" here; give a number")
    assert len(message) < 300 and "…" in message
    with pytest.raises(LrplanError) as error:
        plan(ScheduleConfig(lr=1e-3, epochs=5, label="x", params={"k" * 100_000: 1}))
    assert len(str(error.value)) < 2100


def test_quoted_keeps_both_ends() -> None:
    text = limits.quoted("a" * 1000 + "z")
    assert len(text) <= limits.QUOTE_CHARS and text.startswith("'aaa") and text.endswith("z'")
    assert limits.quoted(10**5000).startswith("<a number of about 5000 digits")


@pytest.mark.parametrize(
    "target", ["file.csv/x.csv", "file.csv/deeper/x.csv"], ids=["parent", "grandparent"]
)
def test_a_file_as_the_parent_of_csv_is_said_so(run, tmp_path: Path, target: str) -> None:
    (tmp_path / "file.csv").write_text("precious\n")
    line = _one_line(run("show", "--csv", str(tmp_path / target)))
    assert "file.csv' is a file, not a folder" in line
    assert (tmp_path / "file.csv").read_text() == "precious\n"


# --- a crash is not a failed check ----------------------------------------------------------


def test_a_crash_in_check_is_exit_70_in_one_line_not_1(run, monkeypatch) -> None:
    import lrplan.analysis.check as check

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(check, "run_check", broken)
    result = run("check", "--lr", "1e-3", "--epochs", "5")
    line = _one_line(result, code=70)
    assert "internal error (RecursionError in" in line and "bug in lrplan" in line
    assert "in cli/commands/check.py:" in line  # the innermost frame in lrplan's own code


def test_a_failed_check_is_still_exit_1(run) -> None:
    result = run("check", "--lr", "1e-3", "--epochs", "5", "--warmup-epochs", "4")
    assert result.exit_code == 1, result.output


# --- SIGTERM leaves nothing -----------------------------------------------------------------


def test_sigterm_while_writing_the_csv_leaves_no_file(tmp_path: Path) -> None:
    target = tmp_path / "lr.csv"
    target.write_text("a file the user already has\n")
    args = ["show", "--interval", "step", "--epochs", "400", "--steps-per-epoch", "1000"]
    process = subprocess.Popen(
        [sys.executable, "-m", "lrplan", *args, "--csv", "lr.csv"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGTERM, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 120
        while not any(".tmp" in path.name for path in tmp_path.iterdir()):
            assert process.poll() is None, process.stderr.read()  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "lrplan never started writing"
            time.sleep(0.005)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    text = stderr.decode()
    assert process.returncode == 143, text
    assert "Traceback" not in text
    assert text.strip().splitlines() == [
        "lrplan: error: terminated (SIGTERM); no partial file was left behind"
    ]
    assert target.read_text() == "a file the user already has\n"
    assert list(tmp_path.iterdir()) == [target]


def test_a_callers_sigterm_handler_is_left_alone(run) -> None:
    seen: list[int] = []
    previous = signal.signal(signal.SIGTERM, lambda number, frame: seen.append(number))
    try:
        run("show", "--lr", "1e-3", "--epochs", "2")
        assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
        os.kill(os.getpid(), signal.SIGTERM)
        assert seen == [signal.SIGTERM]
    finally:
        signal.signal(signal.SIGTERM, previous)


# --- found by the campaign ------------------------------------------------------------------


def test_a_logged_rate_of_1e300_is_refused_by_name(run, tmp_path: Path) -> None:
    history = [{"step": step, "loss": 1.0 / step, "learning_rate": 1e-3} for step in range(1, 9)]
    history[3]["learning_rate"] = 1e300
    (tmp_path / "trainer_state.json").write_text(json.dumps({"log_history": history}))
    line = _one_line(run("diagnose", str(tmp_path / "trainer_state.json")))
    assert "learning_rate '1e+300' is not a learning rate" in line


def test_a_loss_of_1e300_reads_as_a_divergence(run, tmp_path: Path) -> None:
    rows = "".join(f"{epoch},{2.0 / (epoch + 1)}\n" for epoch in range(12))
    rows += "".join(f"{epoch},1e300\n" for epoch in range(12, 20))
    (tmp_path / "metrics.csv").write_text("epoch,train_loss\n" + rows)
    result = run("diagnose", str(tmp_path / "metrics.csv"), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["symptom"] == "diverging"


def test_a_huge_integer_in_a_training_arguments_config_is_one_line(run, tmp_path: Path) -> None:
    text = (DATA / "configs" / "llamafactory__llama3_lora_sft.yaml").read_text()
    (tmp_path / "c.yaml").write_text(text.replace("warmup_ratio: 0.1", "warmup_ratio: " + "9" * 20))
    line = _one_line(run("show", "--config", str(tmp_path / "c.yaml"), "--dataset-size", "1091"))
    assert "warmup_ratio" in line


def test_a_corrupt_step_far_past_the_run_is_refused_not_planned_for_days(
    run, tmp_path: Path
) -> None:
    # The campaign's one hang: a row of the real log doubled with its step's digits run
    # together (1415817737579346); diagnose planned every step up to it.
    lines = (DATA / "logs" / "lightning__prithsha_erav2-session13__v0.csv").read_text().splitlines()
    header = lines[0].split(",")
    step = header.index("step")
    for index, line in enumerate(lines[1:], 1):
        cells = line.split(",")
        if cells[step]:
            cells[step] = "1415817737579346"
            lines.insert(index, ",".join(cells))
            break
    (tmp_path / "metrics.csv").write_text("\n".join(lines) + "\n")
    started = time.monotonic()
    line = _one_line(run("diagnose", str(tmp_path / "metrics.csv")))
    assert time.monotonic() - started < 30
    assert "1,415,817,737,579,346" in line and "more than lrplan plans at once" in line


def test_an_lr_of_400_digits_is_refused_by_name(run, tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text("lr: " + "9" * 400 + "\nepochs: 5\n")
    line = _one_line(run("show", "--config", str(tmp_path / "c.yaml")))
    assert "lr=" in line and "is not valid" in line


def test_a_header_cell_over_the_csv_field_limit_is_one_line(run, tmp_path: Path) -> None:
    (tmp_path / "metrics.csv").write_text('"' + "x" * 200_000 + '",step,loss\n1,1,1\n')
    line = _one_line(run("diagnose", str(tmp_path / "metrics.csv")))
    assert "line 1 is not a CSV header" in line and len(line) < 600


def test_a_learning_rate_of_400_digits_in_training_arguments_is_one_line(
    run, tmp_path: Path
) -> None:
    text = (DATA / "configs" / "alignment_handbook__zephyr_sft_full.yaml").read_text()
    assert "learning_rate: 2.0e-05" in text
    # warmup_ratio renamed as LRPLAN.yaml renames it: transformers 5 has no such argument.
    text = text.replace("warmup_ratio: 0.1", "warmup_steps: 0.1")
    (tmp_path / "c.yaml").write_text(
        text.replace("learning_rate: 2.0e-05", "learning_rate: " + "9" * 400)
    )
    line = _one_line(run("show", "--config", str(tmp_path / "c.yaml"), "--dataset-size", "207865"))
    assert "is above 1e+06" in line and "…" in line


def test_a_nan_validation_loss_is_written_to_json_as_the_loss_is(run, tmp_path: Path) -> None:
    # Found by the mutation fuzz on the merged diagnose: JSON has no NaN, and the validation
    # column (new with overfitting) was written raw, an internal error.
    source = DATA / "logs" / "timm__GrantPerkins_CSWin-Transformer__20231030-173410.csv"
    text = source.read_text()
    assert "1.3580305412274982" in text
    (tmp_path / "summary.csv").write_text(text.replace("1.3580305412274982", "nan", 1))

    result = run("diagnose", str(tmp_path / "summary.csv"), "--json")

    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["rows"]
    assert [row["validation"] for row in rows].count("nan") == 1
