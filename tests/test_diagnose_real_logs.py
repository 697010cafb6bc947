"""diagnose on real training logs from public repositories, labelled by hand before lrplan ran.

tests/data/logs/LABELS.yaml gives each log's source, format and verdict (diverging,
not_learning, slow, plateau, healthy, or unjudgeable: lrplan should say it cannot judge).
The agreement is printed with a table of the disagreements (pytest -s shows it), and must not
fall below the figure reached; the README's limits name every disagreement.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import yaml

from lrplan.analysis.diagnose import diagnose
from lrplan.inputs.logs import read_log

DATA = Path(__file__).resolve().parent / "data" / "logs"
LABELS = yaml.safe_load((DATA / "LABELS.yaml").read_text(encoding="utf-8"))
#: The agreement reached (122 of 146: 48 of the first 54, 48 of the 61 added for issue 20, 26 of
#: the 31 of the blind batch, labelled and committed before lrplan ran on them; of the 22
#: labelled overfitting, 16), with slow and plateau read from the validation loss where a log
#: has one (issue 20); nine labels written on the training curve were corrected for that rule,
#: each saying so in its reasoning. It was 115 (50, 46, 19) before the rules the blind batch
#: showed wrong were fixed (a validation loss before any metric, the noise measured where the
#: judgement is, overfitting as a sustained rise beside a training loss still falling, a rise
#: judged against the loss's scale). With the held-out batch of 24 (labelled and committed before
#: lrplan ran, and kept out of view while those rules were written): 13 of its 24, 135 of 170
#: in all (it was 15 of 24 with the rules before slow and plateau came from the validation loss,
#: 12 after). A change of the rules must not lower it.
AGREEMENT = 135 / 170
#: The disagreements the README's limits explain, with the label each log has.
KNOWN = {
    # labelled diverging (2.347 at its first epoch, then 2.6-4.0 around 3.0 for 19 epochs): its
    # last 30% (2.88) sits 12% above its start (2.57, the median of its first two points), but
    # the point-to-point noise is +-0.43 and a rise above the start counts beyond three times
    # it (the start is the median of two noisy points): read as never having moved.
    "lightning__Goreg12345_nlp2-probing-lms__v0.csv": "not_learning",
    # labelled healthy: an RL loss that rises as the agent explores
    "lightning__KevinTseng-0430_20260512_RL_DQN-and-its-variants__v0.csv": "diverging",
    # labelled healthy: the validation loss falls as the OneCycle rate anneals, to its lowest
    # at the end (0.397); over the first 9 epochs (the ramp to the peak) it jumps between 1.0
    # and 2.1, which a rolling median of 3 does not smooth, so on average it made 64% of its
    # fall, under the slow rule's two thirds
    "lightning__prithsha_erav2-session13__v0.csv": "slow",
    "tensorboard/lightning_prithsha": "slow",
    # labelled slow: a training loss (no validation) falling 7% (3.216 -> 2.984) over 12
    # points, within 3x its point-to-point noise (+-0.08): how fast a fall that small against
    # its noise came is not read; its tail sits 1.2% below the best before it, but a line
    # through the tail does not fall: it stopped improving
    "hf__RohitBind123_falcon-lora-imdb-sentiment__trainer_state.json": "plateau",
    # labelled healthy from the training loss (0.750 -> 0.015): slow and plateau are read from
    # its eval_loss, whose last 30% sits 1.4% below its best before but whose line climbs
    # +16% (a rise of 11% after its best, within twice its noise of 8%): stopped improving
    "hf__anthonyrathe_fixed-whisperv2-flemish__trainer_state.json": "plateau",
    # labelled healthy: flat over its last 30% at 45% of its peak rate (linear decay), read as
    # stuck while the rate is still high
    "hf__10844110_t5-summarization-demo__trainer_state.json": "plateau",
    "hf__XXX616519_CogniDet_Repository__trainer_state.json": "plateau",
    "hf__Ysn-Ir_medBot-finetuning-part__trainer_state.json": "plateau",
    "hf__ashish1932_Chatbot__trainer_state.json": "plateau",
    # labelled overfitting: the eval loss turns worse (+29%), but within twice its noise since
    # its best (+-0.049 on a best of 0.166); read from the validation loss, it stopped
    # improving (a plateau). Its training loss (0.68 -> 0.0003) is read on a log scale, its
    # steps a factor 1.93 from point to point
    "hf__DiegoArteagaMendoza_AnalisisDeTacticasEnSoftwareClinicoUtilizandoCodeBERT"
    "__trainer_state.json": "plateau",
    # labelled healthy: a per-step loss near zero that jumps by a factor of 2 or more from point
    # to point even on a log scale (x2.02 between 0.0013 and 0.05; x4.8), its noise larger than
    # its median level; the labels read the epoch means or the eval loss
    "hf__MaximilianoPona_image_classification_irrigation_systems__trainer_state.json": (
        "unjudgeable"
    ),
    "lightning__HCDescamps_cv-image-classification__v0.csv": "unjudgeable",
    # labelled healthy: a steady fall as the rate decays linearly, under two thirds of its fall
    # made on average, read as slow (Dev-debasish's from its validation loss, eval_loss
    # 1.944 -> 0.866 falling at every one of its 52 evaluations: 64% on average)
    "hf__M-Aidil-Fitrah_drowsy-driver-detection__trainer_state.json": "slow",
    "hf__Dev-debasish-09_Nlp_Body_washdata__trainer_state.json": "slow",
    "hf__YuriiYa_ts_google_deployment__trainer_state.json": "slow",
    # labelled overfitting: the eval loss climbs, but the training loss has 3 points
    "hf__SwapnilupGrad_HugginFace__trainer_state.json": "unjudgeable",
    # labelled healthy, but the label read only eval_loss (there is none): lrplan reads
    # eval_g0_loss, which climbs from 1.11 to 2.6 while the training loss falls; the label
    # stands as written, and lrplan is the one that looked further
    "hf__aigoncharov_trainer_state_viz__trainer_state.json": "overfitting",
    # The blind batch (blind-2026-12-07), each disagreement with what lrplan said and why.
    # Labelled overfitting: the validation loss turns worse, but not beyond twice its noise
    # since its best point (StellarRegression v20 +5.5% against 16%, v4 +7.3% against 9.1%,
    # CAMELS-CH v94 +6.5% against 18%); the training loss still falls, so, since slow and
    # plateau are read from the validation loss, plateau (its last 30% no lower than its best
    # before, or a line through it that does not fall).
    "lightning__InquisitorNova_StellarRegression__v20.csv": "plateau",
    "lightning__InquisitorNova_StellarRegression__v4.csv": "plateau",
    "lightning__CooperBigFoot_CAMELS-CH__v94.csv": "plateau",
    # Labelled overfitting (val_loss 3.19 -> 4.4): val_loss jumps between 3.2 and 7.1 from
    # epoch 3 on (noise since its best +-0.79, 23% of it), so its rise (+28%) is within twice
    # its noise; its last 30% sits above its best before, a plateau.
    "lightning__Karasik777_ForecastTest__v18.csv": "plateau",
    # Labelled healthy (val_loss 6.83 -> 5.55, lower at every epoch but decelerating): a
    # cross-entropy whose last 30% sits 0.9% below its best before and whose line falls 0.9%,
    # under the plateau rule's 1% and 2% of its level (most of a language model's loss is its
    # floor). Agreed only while lrplan read val_epoch_perplexity (exp of the loss, which
    # magnifies the same fall) before val_loss.
    "lightning__0Xero7_slm_training__v0.csv": "plateau",
    # Labelled slow (val_loss still falling at the same pace, -16% over its last 30%): the
    # validation loss is read, and its tail's line falls 19.8%, but a tail still falling is
    # unfinished only at a rate known to have settled (a loss falling while its rate anneals
    # converges as planned), and this log has no rate: still improving, healthy.
    "lightning__GajdaMJ_AI-for-Chemistry-Project__v30.csv": "healthy",
    # The held-out batch (heldout-2026-12-07), labelled and committed before lrplan ran on it,
    # and not in view while the rules above were written; each disagreement with what lrplan
    # says and why (no label changed).
    # Labelled slow (still falling at the end): the unfinished rule asks for a rate known to
    # have stopped falling. Francis-xsc: -18% over the last 30% while its linear decay took the
    # rate to ~0; Bishwash-007 (CSV and event file): -92% and -67% over the last 30%, fastest
    # at the end, but no rate logged; both read as "still improving", healthy.
    "hf__Francis-xsc_BERT_Weibo_Rumor__trainer_state.json": "healthy",
    "lightning__Bishwash-007_quests__v0.csv": "healthy",
    "tensorboard/tb__Bishwash-007_quests__v2": "healthy",
    # Labelled slow with 5 points (0.4561 -> 0.0204, halving at every log): lrplan judges a
    # curve from 6 points on, the label from 5.
    "hf__TirthRDesai_WeatherClassificationFlask__trainer_state.json": "unjudgeable",
    # Labelled diverging (constant 3e-4; a 2.7x spike at step 2600 that ends 20% above the low
    # before it): lrplan reads the spike as noise that came back down, and its validation loss
    # (eval_loss, no longer eval_cer) as a plateau.
    "hf__siasio_StressDetection__trainer_state.json": "plateau",
    # Labelled overfitting, not named. IanCarrasco v10: the per-epoch training loss (0.0002-
    # 0.005, near zero) jumps by more than its level, so the log is unjudgeable before the
    # validation curve is read. Aitzaz-Saleem: val_loss ends 24% above its best and its line
    # climbs 31%, but it jumps +-0.11 from epoch to epoch, so the rise is within twice its
    # noise: a plateau of the validation loss. RTiberiu: eval/loss +9.8% over its best with 4
    # evaluations, too few to judge (6 or more): healthy from the training loss.
    "lightning__IanCarrasco_exoplanet-recognition__v10.csv": "unjudgeable",
    "csv__Aitzaz-Saleem_Detection-of-Tomato-Leaf-Diseases-Using-CNN__training_log.csv": "plateau",
    "tensorboard/tb__RTiberiu_CM4107-Advanced-Artificial-Intelligence-CW__run4": "healthy",
    # Labelled healthy (converged), read as a plateau. AguLeon: eval_loss flat within 0.9% of
    # its lowest for the last 40% after 99% of its fall; lrplan reads "stuck while the rate is
    # still high" (flat from step 600 at 55% of the peak; the rule's limit is 50%). Willian-P:
    # valid_loss creeping to its lowest at the last epoch; no rate logged, so lrplan says it
    # cannot tell converged from stuck, and calls it a plateau.
    "hf__AguLeon_LoRA_RoBERTa_AGNews__trainer_state.json": "plateau",
    "lightning__Willian-P_TCC-CNN-1D__v4.csv": "plateau",
    # Labelled plateau (the training loss flat from epoch 1 at 90-100% of the peak rate),
    # read from the validation loss, which never fell beyond its noise (2.3% < 3%) and went
    # flat only as the rate annealed: healthy.
    "lightning__LhoWann_trash-project__v0.csv": "healthy",
}


def verdict(path: Path) -> str:
    """lrplan's verdict in the labels' words, with no plan given (as a new user runs it)."""
    return diagnose(read_log(path), None).symptom.replace("-", "_")


def test_the_labels_cover_at_least_40_logs_in_every_format() -> None:
    assert len(LABELS) >= 40
    formats = {entry["format"] for entry in LABELS}
    assert formats >= {
        "lightning_csv",
        "hf_trainer_state",
        "timm_summary",
        "tb_csv",
        "tensorboard_events",
    }
    for entry in LABELS:
        assert (DATA / entry["file"]).exists(), entry["file"]
        assert entry["source"] and entry["reasoning"]
        assert entry["verdict"] in {
            "diverging",
            "not_learning",
            "slow",
            "plateau",
            "healthy",
            "overfitting",
            "unjudgeable",
        }


def test_agreement_with_the_hand_labels() -> None:
    disagreements = []
    for entry in LABELS:
        got = verdict(DATA / entry["file"])
        if got != entry["verdict"]:
            disagreements.append((entry["file"], entry["verdict"], got))
    agreement = 1 - len(disagreements) / len(LABELS)
    print(f"\nagreement {len(LABELS) - len(disagreements)} of {len(LABELS)}: {agreement:.0%}")
    for file, label, got in disagreements:
        print(f"  {file:70} labelled {label:13} lrplan {got}")
    assert agreement >= AGREEMENT - 1e-9
    assert {file: got for file, _, got in disagreements} == KNOWN


@pytest.mark.parametrize("entry", LABELS, ids=[entry["file"] for entry in LABELS])
def test_every_labelled_log_runs_through_the_cli(run, entry: dict) -> None:
    result = run("diagnose", str(DATA / entry["file"]), "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["symptom"].replace("-", "_") in {entry["verdict"], KNOWN.get(entry["file"])}
    # With no plan given, lrplan's defaults never stand for the run's plan.
    assert document["plan"]["inferred"] is True
    if document["config"] is not None:
        assert document["config"]["lr"] != 1e-3 or document["log"]["lr_column"] is not None


def test_the_guessed_loss_column_is_the_labelled_one_or_its_total() -> None:
    # Where the label judged another column (a component, a validation loss, a mean that
    # Lightning logged beside the step loss), lrplan's pick is named here with why.
    other = {
        # train_loss_0 is the epoch mean of train_loss; lrplan reads train_loss per step.
        "lightning__RaduTuodr_NN-Classification---Forest-Cover-Type__v1.csv": "train_loss",
        # Two step values in one epoch: the label reads the step column, lrplan the epoch one.
        "hf__aa-n_Qwen3_Lora__trainer_state.json": "train_loss",
    }
    for entry in LABELS:
        if entry["format"] in ("tb_csv", "tensorboard_events"):
            continue
        log = read_log(DATA / entry["file"])
        expected = other.get(entry["file"], entry["loss_column"])
        assert log.loss.name == expected, entry["file"]


def test_event_files_hold_the_numbers_of_the_log_they_were_written_from() -> None:
    events = read_log(DATA / "tensorboard" / "lightning_prithsha")
    source = read_log(DATA / "lightning__prithsha_erav2-session13__v0.csv")
    assert events.kind == "TensorBoard event file"
    assert (events.unit, events.positions) == (source.unit, source.positions)
    # Event files store 32-bit floats.
    assert events.losses == pytest.approx(source.losses, rel=1e-6)
    assert [lr.lr for lr in events.lrs] == pytest.approx([lr.lr for lr in source.lrs], rel=1e-6)
    nan = read_log(DATA / "tensorboard" / "lightning_rohithmarktricks")
    assert any(math.isnan(loss) for loss in nan.losses)
