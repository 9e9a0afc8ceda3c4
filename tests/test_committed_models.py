"""Every model committed under ``results/`` gives again the numbers its results file claims.

A results file (written by ``made evaluate --json``) names its model in ``model_file``. When that
is a committed file under ``results/``, it must exist, and re-evaluating it on the first 100 test
images (with the file's masks and ensemble) must give the recorded ``first_100_nll``. The full
10 000-image figure is re-checked by the command in ``results/README.md``; here a subset keeps the
test fast.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ROOT

RESULTS = sorted((ROOT / "results").glob("*.json"))


def _committed(path: Path) -> bool:
    return json.loads(path.read_text()).get("model_file", "").startswith("results/")


COMMITTED = [p for p in RESULTS if _committed(p)]


@pytest.mark.parametrize("path", COMMITTED, ids=[p.stem for p in COMMITTED])
def test_committed_model_matches_the_digest_of_its_results_file(path):
    """Issue 21 item 8: the results file records the SHA-256 of its model; an edited or swapped model fails."""
    from made_helpers.experiments.results import check_model_digest
    from made_helpers.model_file import file_sha256

    result = json.loads(path.read_text())
    assert "model_sha256" in result, f"{path.name} names {result['model_file']} but records no model_sha256"
    model_file = ROOT / result["model_file"]
    assert result["model_sha256"] == file_sha256(model_file), f"{result['model_file']} is not the model evaluated"
    assert check_model_digest(result, path) == model_file


def test_committed_models_are_small_enough():
    sizes = {p.name: p.stat().st_size for p in (ROOT / "results").glob("*.keras")}
    assert sum(sizes.values()) <= 100 * 2**20, f"committed models exceed 100 MB: {sizes}"


@pytest.mark.slow
@pytest.mark.parametrize("path", COMMITTED, ids=[p.stem for p in COMMITTED])
def test_committed_model_reproduces_its_results_file(path):
    import keras

    from made_helpers import MADE, data
    from made_helpers.core.evaluate import per_example_nll
    from made_helpers.model_file import check_model_file

    result = json.loads(path.read_text())
    model_file = ROOT / result["model_file"]
    assert model_file.is_file(), f"{path.name} names {result['model_file']}, which is not committed"
    try:
        x = data.load_binarized_mnist(result["split"], source="larochelle", download=False, verbose=False)[:100]
    except (OSError, ValueError) as e:
        pytest.skip(f"Larochelle's binarized MNIST is not available here ({e}); set MADE_DATA_DIR")
    model = keras.saving.load_model(model_file, compile=False)     # importing MADE registered its class
    assert isinstance(model, MADE), type(model)
    check_model_file(model, model_file)          # its trained masks are those its config rebuilds
    nll = per_example_nll(model, x, num_masks=result["num_masks"], ensemble=result.get("ensemble", "mixture"))
    assert float(nll.mean()) == pytest.approx(result["first_100_nll"], abs=1e-3)
    assert result["comparable_with_paper"] and result["n_images"] == 10_000
