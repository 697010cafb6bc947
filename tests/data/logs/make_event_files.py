"""Write TensorBoard event files from the numbers of real logs in this folder.

No public repository in reach committed TensorBoard event files next to a labelled run, so
these are made with TensorBoard's own writer (torch.utils.tensorboard.SummaryWriter, the one
Lightning's TensorBoardLogger and Hugging Face's TensorBoardCallback use) from the values of
the logs named below, with the tags those loggers write. Each run goes to its own folder under
tensorboard/, which is what a user points lrplan at. Run from the repository's root:

    python tests/data/logs/make_event_files.py
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "tensorboard"

#: (folder, source log, how its tags are named)
RUNS = [
    ("lightning_prithsha", "lightning__prithsha_erav2-session13__v0.csv", "lightning"),
    (
        "lightning_rohithmarktricks",
        "lightning__Rohithmarktricks_ERAv1_Session13__v1.csv",
        "lightning",
    ),
    ("timm_grantperkins", "timm__GrantPerkins_CSWin-Transformer__20231030-173410.csv", "timm"),
    ("hf_one_eyed_warrior", "hf__One-eyed-warrior_lora-finetuning__trainer_state.json", "hf"),
]


def scalars(source: Path, kind: str) -> list[tuple[str, float, int]]:
    """(tag, value, step) of every value the source log holds, as its logger would tag it."""
    found: list[tuple[str, float, int]] = []
    if kind == "hf":
        history = json.loads(source.read_text(encoding="utf-8"))["log_history"]
        for entry in history:
            if "train_runtime" in entry:
                continue
            for key in ("loss", "learning_rate", "epoch", "eval_loss"):
                if key in entry:
                    tag = (
                        key.replace("eval_", "eval/") if key.startswith("eval_") else f"train/{key}"
                    )
                    found.append((tag, float(entry[key]), int(entry["step"])))
        return found
    with open(source, newline="", encoding="utf-8") as stream:
        for row in csv.DictReader(stream):
            step = int(float(row["epoch"])) if kind == "timm" else None
            if kind == "lightning":
                step = int(float(row["step"]))
            for key, value in row.items():
                if key in ("step",) or value in ("", None):
                    continue
                found.append((key, float(value), step))
    return found


def main() -> None:
    from torch.utils.tensorboard import SummaryWriter

    for folder, name, kind in RUNS:
        target = OUT / folder
        shutil.rmtree(target, ignore_errors=True)
        writer = SummaryWriter(str(target))
        for tag, value, step in scalars(HERE / name, kind):
            writer.add_scalar(tag, value, step)
        writer.close()
        print(f"wrote {target} from {name}")


if __name__ == "__main__":
    main()
