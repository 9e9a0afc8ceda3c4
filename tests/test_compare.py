"""``made evaluate --compare``: the paired difference of two models on the same images, from results files."""

from __future__ import annotations

import json

import numpy as np
import pytest

from made_helpers.core.evaluate import paired_difference
from made_helpers.experiments.cli import main
from made_helpers.experiments.results import paired_comparison, per_image_nll

TINY = ["--data", "fallback", "--limit", "200", "--hidden", "8", "--epochs", "1", "--verbose", "0", "--no-jit"]


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """Two tiny models (seeds 0 and 1) and the results file of the first on the fallback test split."""
    folder = tmp_path_factory.mktemp("compare")
    for name, seed in (("a", "0"), ("b", "1")):
        assert main(["train", *TINY, "--seed", seed, "--out", str(folder / name)]) == 0
    assert main(["evaluate", "--model", str(folder / "a"), "--json", str(folder / "a.json")]) == 0
    return folder


def test_results_file_stores_every_images_nll(two_runs):
    result = json.loads((two_runs / "a.json").read_text())
    values = per_image_nll(result)
    assert values.shape == (result["n_images"],) and np.isfinite(values).all()
    assert values.mean() == pytest.approx(result["test_nll"], abs=1e-4)
    assert values[:100].mean() == pytest.approx(result["first_100_nll"], abs=1e-4)


def test_compare_prints_the_paired_difference(two_runs, capsys):
    assert main(["evaluate", "--model", str(two_runs / "b"), "--json", str(two_runs / "b.json"),
                 "--compare", str(two_runs / "a.json")]) == 0
    line = [s for s in capsys.readouterr().out.splitlines() if s.startswith("paired with")][0]
    a, b = (json.loads((two_runs / f"{n}.json").read_text()) for n in "ab")
    diff, se = paired_difference(per_image_nll(b), per_image_nll(a))
    assert f"this - that = {diff:+.3f} ± {se:.3f} nats" in line and f"{a['test_nll']:.3f}" in line
    assert paired_comparison(b, a)[:2] == pytest.approx((diff, se))
    assert diff == pytest.approx(b["test_nll"] - a["test_nll"], abs=1e-4)


@pytest.mark.parametrize("extra, message", [
    (["--limit", "50"], "differ in n_images (50 vs"),
    (["--split", "valid"], "not a results file of the valid split"),
])
def test_compare_refuses_other_images(two_runs, capsys, extra, message):
    assert main(["evaluate", "--model", str(two_runs / "b"), "--compare", str(two_runs / "a.json"), *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_compare_refuses_files_without_per_image_nlls(two_runs, capsys, tmp_path):
    old = json.loads((two_runs / "a.json").read_text())
    del old["per_image_nll"]
    (tmp_path / "old.json").write_text(json.dumps(old))
    (tmp_path / "list.json").write_text("[1, 2]")
    (tmp_path / "broken.json").write_text("{")
    for name, message in (("old.json", "holds no per-image NLLs"), ("list.json", "not a results file"),
                          ("broken.json", "is damaged: not valid JSON"), ("missing.json", "no such file")):
        assert main(["evaluate", "--model", str(two_runs / "b"), "--compare", str(tmp_path / name)]) == 2
        assert message in capsys.readouterr().err


def test_paired_comparison_needs_the_same_data(two_runs):
    a = json.loads((two_runs / "a.json").read_text())
    other = dict(a, data=dict(a["data"], sha256="0" * 64))
    with pytest.raises(ValueError, match="different data files"):
        paired_comparison(a, other)


def _fake(name: str, nll: np.ndarray, **flags) -> dict:
    """A results file of the test split with training flags ``flags`` over a 784-500-784 default."""
    from made_helpers.experiments.results import encode_per_image_nll

    args = {"command": "train", "hidden": [500], "masks": 1, "ordering": "natural", "epochs": 20, "dropout": 0.0,
            "lr_schedule": "constant", "lr_factor": 0.1, "lr_patience": 10, "cosine_epochs": None,
            "mask_kind": None, "valid_ensemble": "mixture", "seed": 0, "out": f"runs/{name}", "verbose": 2}
    args.update(flags)
    return {"file": f"{name}.json", "split": "test", "n_images": len(nll), "test_nll": float(nll.mean()),
            "test_nll_se": float(nll.std(ddof=1) / np.sqrt(len(nll))), "comparable_with_paper": True,
            "num_masks": args["masks"], "ensemble": "mixture", "data": {"sha256": "ab" * 32},
            "model": {"hidden_sizes": args["hidden"], "num_masks": args["masks"]},
            "training": {"settings": args}, "per_image_nll": encode_per_image_nll(nll)}


def test_differences_name_only_what_changed_training():
    from made_helpers.experiments.results import differences

    nll = np.linspace(80.0, 100.0, 50)
    base = _fake("base", nll)
    assert differences(base, _fake("other_out", nll, out="elsewhere", verbose=0, lr_factor=0.5)) == {}
    assert differences(base, _fake("drop", nll, dropout=0.3)) == {"dropout": (0.0, 0.3)}
    cosine = _fake("cos", nll, lr_schedule="cosine")
    assert differences(cosine, _fake("cos20", nll, lr_schedule="cosine", cosine_epochs=20)) == {}
    assert set(differences(base, _fake("k8", nll, masks=8, mask_kind="connectivity"))) == {
        "masks", "mask_kind", "valid_ensemble", "test masks"}


def test_tables_list_one_change_pairs_and_seed_spread():
    from made_helpers.experiments.results import one_change_table, seed_spread_table

    rng = np.random.default_rng(0)
    nll = 90.0 + rng.gamma(2.0, 5.0, size=400)
    runs = [_fake("a", nll), _fake("a_seed1", nll + 0.1 + rng.normal(0, 0.5, 400), seed=1),
            _fake("b_dropout", nll - 0.5 + rng.normal(0, 0.5, 400), dropout=0.3),
            _fake("c_two_changes", nll - 1.0, dropout=0.3, epochs=40),
            _fake("d_masks", nll - 0.2, masks=8, mask_kind="connectivity")]
    table = one_change_table(runs)
    assert "| `a.json` | `b_dropout.json` | dropout: 0.0 → 0.3 |" in table
    assert "c_two_changes" not in table.replace("`b_dropout.json` | `c_two_changes.json` | epochs", "")
    assert "| `a.json` | `d_masks.json` | " in table and "masks: 1 → 8" in table
    delta, se, _ = paired_comparison(runs[2], runs[0])
    assert f"{delta:+.2f} ({se:.2f})" in table
    spread = seed_spread_table(runs)
    assert "| 0, 1 |" in spread and spread.count("\n") == 2          # one group: a and a_seed1


def test_one_change_table_lists_unpaired_pairs_only_when_asked():
    """Notebook 05 shows runs saved before per-image NLLs existed too, their SE marked unpaired (issue 16)."""
    from made_helpers.experiments.results import one_change_table

    nll = 90.0 + np.random.default_rng(1).gamma(2.0, 5.0, size=400)
    old = _fake("old_bf16", nll + 0.05, bf16=True)
    del old["per_image_nll"]
    runs = [_fake("a", nll), old]
    assert "old_bf16" not in one_change_table(runs)
    table = one_change_table(runs, include_unpaired=True)
    se = float(np.hypot(runs[0]["test_nll_se"], old["test_nll_se"]))
    assert "| `a.json` | `old_bf16.json` | bf16: None → True |" in table, table
    assert f"{old['test_nll'] - runs[0]['test_nll']:+.2f} ({se:.2f} unpaired)" in table
    assert "SE, paired unless marked" in table
    with pytest.raises(TypeError, match="include_unpaired must be True or False"):
        one_change_table(runs, include_unpaired="yes")
