"""The exercise checks: each passes the shipped solution and names each typical mistake.

The correct functions are taken from the solution notebooks (the only place solution code
lives); every wrong implementation below makes one typical mistake, and its check must fail
with that mistake's specific message.
"""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import numpy as np
import pytest
from conftest import ROOT

from made_helpers import exercises
from made_helpers.exercises import CheckResult, check, ex05_training, ex06_sampling

SOLUTIONS = ROOT / "notebooks" / "solutions"
CHECK_NAMES = [name for name in dir(check)]


def _solution_namespace(path: Path) -> dict:
    """Run a solution notebook's setup cell and its solution cells (not the demos) in one namespace."""
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    namespace: dict = {}
    exec(compile(code[0].source, f"{path.name}:setup", "exec"), namespace)      # our own notebooks
    for cell in code:
        if cell.metadata.get("nbgrader", {}).get("solution"):      # an nbgrader solution cell
            exec(compile(cell.source, f"{path.name}:{cell.metadata['exercise']}", "exec"), namespace)
    return namespace


@pytest.fixture(scope="module")
def solutions() -> dict:
    """``{exercise name: the solution function}`` from every solution notebook."""
    found = {}
    for path in sorted(SOLUTIONS.glob("*.ipynb")):
        namespace = _solution_namespace(path)
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            name = cell.metadata.get("exercise")
            if name:
                found[name] = namespace[name]
    return found


def _flat(text: str) -> str:
    """``text`` with every run of white space one space: printed messages are wrapped to fit the page."""
    return " ".join(text.split())


def _fails_with(name: str, fn, phrase: str) -> CheckResult:
    result = getattr(check, name)(fn, verbose=False)
    assert isinstance(result, CheckResult)
    assert not result.passed, f"check.{name} accepted a wrong implementation"
    assert phrase.lower() in result.message.lower(), (
        f"check.{name}: expected the message to mention {phrase!r}, got:\n{result.message}")
    return result


# ----------------------------------------------------------------- the solutions pass
def test_every_check_has_a_solution(solutions):
    assert sorted(solutions) == sorted(CHECK_NAMES)
    assert len(CHECK_NAMES) >= 5


@pytest.mark.parametrize("name", CHECK_NAMES)
def test_solution_passes(name, solutions, capsys):
    result = getattr(check, name)(solutions[name])
    printed = capsys.readouterr().out
    assert result.passed, result.message
    assert printed.startswith("✅") and _flat(result.message) in _flat(printed)


# ------------------------------------------------------------------- plumbing
@pytest.mark.parametrize("name", CHECK_NAMES)
def test_stub_propagates_not_implemented(name):
    def stub(*args):
        raise NotImplementedError("exercise")

    with pytest.raises(NotImplementedError):
        getattr(check, name)(stub, verbose=False)


@pytest.mark.parametrize("name", CHECK_NAMES)
def test_other_errors_become_a_message(name):
    def broken(*args):
        raise KeyError("oops")

    result = _fails_with(name, broken, "raised KeyError")
    assert "called on" in result.message


@pytest.mark.parametrize("name", CHECK_NAMES)
def test_forgotten_return_is_named(name):
    _fails_with(name, lambda *args: None, "return")


def test_under_nbgrader_a_failed_check_raises_with_its_message(monkeypatch, capsys, solutions):
    """nbgrader autograde / validate set NBGRADER_EXECUTION: a failed check's test cell must raise, and the
    error carries the whole explanation (validate shows only the error), printed nowhere else."""
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    with pytest.raises(exercises._diagnosis.CheckFailed) as failed:
        check.allowed_connections(lambda d: np.asarray(d)[:, None] <= np.asarray(d)[None, :])
    assert capsys.readouterr().out == ""
    lines = str(failed.value).splitlines()
    assert lines[0] == "check.allowed_connections did not pass."
    assert lines[1].startswith("❌ Not yet. Output j may not see input j itself")
    assert max(map(len, lines)) <= exercises._diagnosis.WIDTH
    with pytest.raises(AssertionError, match="strict"):                    # quiet: the message goes along
        check.allowed_connections(lambda d: np.asarray(d)[:, None] <= np.asarray(d)[None, :], verbose=False)
    assert check.allowed_connections(solutions["allowed_connections"], verbose=False)

    def stub(input_degrees):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError):                                # a stub: as without nbgrader
        check.allowed_connections(stub)
    monkeypatch.delenv("NBGRADER_EXECUTION")
    assert not check.allowed_connections(lambda d: np.asarray(d)[:, None] <= np.asarray(d)[None, :])


def test_passing_a_result_instead_of_the_function():
    result = check.bernoulli_nll(np.zeros(3), verbose=False)
    assert not result.passed and "function itself" in result.message


def test_result_prints_and_is_falsy_on_failure(capsys):
    result = check.gaussian_constant(lambda D, variance: 0.0)
    out = capsys.readouterr().out
    assert out.startswith("❌") and _flat(result.message) in _flat(out)
    assert not result and bool(check.gaussian_constant(
        lambda D, v: 0.5 * np.sum(np.log(2 * np.pi * np.broadcast_to(v, (D,)))), verbose=False))


def test_no_solution_code_is_importable():
    """Solutions live only in notebooks: no .py next to them, no solution module in the package."""
    for folder in ("exercises", "solutions"):
        assert not list((ROOT / "notebooks" / folder).glob("*.py"))
    assert not [p for p in (ROOT / "made_helpers").rglob("*.py") if "solution" in p.name.lower()]
    assert set(exercises.__all__) == {"CheckResult", "check"}
    # the checks' own modules define no function named like an exercise
    modules = sorted((ROOT / "made_helpers" / "exercises").glob("*.py"))
    assert len(modules) >= 6
    for module in modules:
        tree = ast.parse(module.read_text())
        top_level = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        assert not top_level & set(CHECK_NAMES), module.name


# ------------------------------------------------------------ 02 likelihoods
def _softplus(z):
    return np.logaddexp(0.0, np.asarray(z, np.float64))


def _sig(z):
    return 1 / (1 + np.exp(-np.asarray(z, np.float64)))


BERNOULLI_MISTAKES = {
    "bits": (lambda x, l: np.sum(_softplus(l) - x * l, -1) / np.log(2), "bits"),
    "naive_softplus": (lambda x, l: np.sum(np.log(1 + np.exp(np.float32(l))) - x * l, -1), "overflow"),
    "sign": (lambda x, l: np.sum(x * l - _softplus(l), -1), "wrong sign"),
    "per_pixel": (lambda x, l: _softplus(l) - x * l, "one value per pixel"),
    "mean_pixels": (lambda x, l: np.mean(_softplus(l) - x * l, -1), "averaged over the pixels"),
    "log_sigmoid": (lambda x, l: -np.sum(x * np.log(_sig(np.float32(l)))
                                         + (1 - x) * np.log(1 - _sig(np.float32(l))), -1),
                    "log(sigmoid(l))"),
    "log_sigmoid_f32": (lambda x, l: -np.sum(x * np.log(1 / (1 + np.exp(-l)))
                                             + (1 - x) * np.log(1 - 1 / (1 + np.exp(-l))), -1),
                        "stable form"),
    "swapped": (lambda x, l: np.sum(_softplus(l) - (1 - x) * l, -1), "swapped"),
    "no_zero_term": (lambda x, l: np.sum(x * _softplus(-l), -1), "x_d = 0 are missing"),
    "batch_sum": (lambda x, l: np.sum(_softplus(l) - x * l), "sum over the whole batch"),
    "batch_mean": (lambda x, l: np.mean(np.sum(_softplus(l) - x * l, -1)), "mean over the batch"),
    "logits_as_probs": (lambda x, l: -np.sum(x * np.log(l) + (1 - x) * np.log(1 - l), -1), "probabilities"),
    "clipped": (lambda x, l: -np.sum(x * np.log(np.clip(_sig(l), 1e-7, 1 - 1e-7))
                                     + (1 - x) * np.log(np.clip(1 - _sig(l), 1e-7, 1 - 1e-7)), -1), "clipping"),
}


@pytest.mark.parametrize("mistake", BERNOULLI_MISTAKES)
def test_bernoulli_nll_mistakes(mistake):
    fn, phrase = BERNOULLI_MISTAKES[mistake]
    _fails_with("bernoulli_nll", fn, phrase)


def _gauss(x, mu, v, half=0.5, const_times_d=True, with_const=True, var_in_const=True, var_in_sq=True):
    sq = np.sum((np.asarray(x, np.float64) - mu) ** 2, -1)
    D = np.shape(x)[-1]
    c = 0.5 * np.log(2 * np.pi * (v if var_in_const else 1.0)) * (D if const_times_d else 1)
    return half * sq / (v if var_in_sq else 1.0) + (c if with_const else 0.0)


GAUSSIAN_MISTAKES = {
    "no_constant": (lambda x, m, v: _gauss(x, m, v, with_const=False), "normalising constant"),
    "constant_once": (lambda x, m, v: _gauss(x, m, v, const_times_d=False), "per pixel"),
    "no_half": (lambda x, m, v: _gauss(x, m, v, half=1.0), "factor 1/2"),
    "sign": (lambda x, m, v: -_gauss(x, m, v), "wrong sign"),
    "const_without_variance": (lambda x, m, v: _gauss(x, m, v, var_in_const=False), "ignores the variance"),
    "variance_as_std": (lambda x, m, v: _gauss(x, m, v ** 2), "not the standard deviation"),
    "sqrt_variance": (lambda x, m, v: _gauss(x, m, np.sqrt(v)), "square root"),
    "not_divided": (lambda x, m, v: _gauss(x, m, v, var_in_sq=False), "divide the squared error"),
    "per_pixel": (lambda x, m, v: (x - m) ** 2 / (2 * v) + 0.5 * np.log(2 * np.pi * v), "one value per pixel"),
    "mean_pixels": (lambda x, m, v: _gauss(x, m, v) / np.shape(x)[-1], "averaged over the pixels"),
    "bits": (lambda x, m, v: _gauss(x, m, v) / np.log(2), "bits"),
}


@pytest.mark.parametrize("mistake", GAUSSIAN_MISTAKES)
def test_gaussian_nll_mistakes(mistake):
    fn, phrase = GAUSSIAN_MISTAKES[mistake]
    _fails_with("gaussian_nll", fn, phrase)


CONSTANT_MISTAKES = {
    "no_D": (lambda D, v: 0.5 * np.log(2 * np.pi * v), "multiply by d"),
    "no_half": (lambda D, v: D * np.log(2 * np.pi * v), "forgot the 1/2"),
    "sign": (lambda D, v: -0.5 * D * np.log(2 * np.pi * v), "wrong sign"),
    "no_variance": (lambda D, v: 0.5 * D * np.log(2 * np.pi), "ignores the variance"),
    "pi": (lambda D, v: 0.5 * D * np.log(np.pi * v), "the 2 inside the log"),
    "variance_squared": (lambda D, v: 0.5 * D * np.log(2 * np.pi * v ** 2), "not square it"),
    "array": (lambda D, v: np.full(D, 0.5 * np.log(2 * np.pi * v)), "one number"),
    "bits": (lambda D, v: 0.5 * D * np.log2(2 * np.pi * v), "bits"),
}


@pytest.mark.parametrize("mistake", CONSTANT_MISTAKES)
def test_gaussian_constant_mistakes(mistake):
    fn, phrase = CONSTANT_MISTAKES[mistake]
    _fails_with("gaussian_constant", fn, phrase)


def _per_pixel_variance(D, v):
    return np.broadcast_to(np.asarray(v, np.float64), (D,))


PER_PIXEL_CONSTANT_MISTAKES = {      # right for one shared variance, wrong for one variance per pixel
    "scalar_formula": (lambda D, v: 0.5 * D * np.log(2 * np.pi * np.asarray(v)), "one constant per pixel"),
    "mean_variance": (lambda D, v: 0.5 * D * np.log(2 * np.pi * np.mean(v)), "mean variance"),
    "sum_times_D": (lambda D, v: 0.5 * D * np.sum(np.log(2 * np.pi * _per_pixel_variance(D, v))) / (
        D if np.ndim(v) == 0 else 1), "counts once"),
    "first_variance": (lambda D, v: 0.5 * D * np.log(2 * np.pi * np.ravel(v)[0]), "first pixel"),
    "mean_of_terms": (lambda D, v: 0.5 * np.mean(np.log(2 * np.pi * _per_pixel_variance(D, v))) * (
        D if np.ndim(v) == 0 else 1), "their sum"),
}


@pytest.mark.parametrize("mistake", PER_PIXEL_CONSTANT_MISTAKES)
def test_gaussian_constant_per_pixel_mistakes(mistake):
    fn, phrase = PER_PIXEL_CONSTANT_MISTAKES[mistake]
    _fails_with("gaussian_constant", fn, phrase)


# ------------------------------------------------------------ 03 autoregressive
ALLOWED_MISTAKES = {
    "non_strict": (lambda d: d[:, None] <= d[None, :], "strict"),
    "transposed": (lambda d: d[:, None] > d[None, :], "transposed"),
    "positions": (lambda d: np.arange(len(d))[:, None] < np.arange(len(d))[None, :], "positions i < j"),
    "transposed_non_strict": (lambda d: d[:, None] >= d[None, :], "transposed and with the diagonal"),
    "wrong_shape": (lambda d: d > 1, "(d, d) matrix"),
    "integers": (lambda d: (d[:, None] < d[None, :]).astype(int), "boolean matrix"),
    "floats": (lambda d: (d[:, None] < d[None, :]).astype(np.float32), "boolean matrix"),
}


@pytest.mark.parametrize("mistake", ALLOWED_MISTAKES)
def test_allowed_connections_mistakes(mistake):
    fn, phrase = ALLOWED_MISTAKES[mistake]
    _fails_with("allowed_connections", fn, phrase)


def _bern_loglik(x, logits, swap=False, ones_only=False, all_ones=False):
    x = np.asarray(x, np.float64)
    if swap:
        x = 1 - x
    lp1, lp0 = -_softplus(-logits), -_softplus(logits)
    if all_ones:
        return lp1.sum(-1)
    return np.sum(x * lp1 + (0 if ones_only else (1 - x) * lp0), -1)


def _logits(model, x):
    return np.asarray(model(np.asarray(x, np.float32)), np.float64)


LOG_PROB_MISTAKES = {
    "bits": (lambda m, x: _bern_loglik(x, _logits(m, x)) / np.log(2), "bits"),
    "mean_over_pixels": (lambda m, x: _bern_loglik(x, _logits(m, x)) / x.shape[-1], "averaged over the pixels"),
    "logits_as_probabilities": (lambda m, x: np.sum(x * np.log(_logits(m, x)) + (1 - x) * np.log(1 - _logits(m, x)),
                                                    -1), "logits as probabilities"),
    "calls_log_prob": (lambda m, x: m.log_prob(x), "you called model.log_prob"),
    "probabilities": (lambda m, x: np.exp(_bern_loglik(x, _logits(m, x))), "not log p(x)"),
    "nll": (lambda m, x: -_bern_loglik(x, _logits(m, x)), "wrong sign"),
    "ones_only": (lambda m, x: _bern_loglik(x, _logits(m, x), ones_only=True), "x_d = 0 are missing"),
    "swapped": (lambda m, x: _bern_loglik(x, _logits(m, x), swap=True), "swapped"),
    "fixed_input": (lambda m, x: _bern_loglik(x, _logits(m, np.zeros_like(x))), "fixed input"),
    "all_ones": (lambda m, x: _bern_loglik(x, _logits(m, x), all_ones=True), "probability 1 - sigmoid"),
    "per_pixel": (lambda m, x: -_softplus(-_logits(m, x)), "one value per pixel"),
}


@pytest.mark.parametrize("mistake", LOG_PROB_MISTAKES)
def test_log_prob_by_hand_mistakes(mistake):
    fn, phrase = LOG_PROB_MISTAKES[mistake]
    _fails_with("log_prob_by_hand", fn, phrase)


def test_log_prob_by_hand_refuses_the_package_answer():
    """The exercise says: compute it yourself from model(x), do not call model.log_prob; the model is left as it was."""
    _fails_with("log_prob_by_hand", lambda m, x: m.log_prob(x), "you called model.log_prob")
    _fails_with("ensemble_log_prob", lambda m, x, K: m.log_prob(x, num_masks=K), "you called model.log_prob")
    model = exercises._diagnosis.tiny_made(3, [6])
    with pytest.raises(exercises._diagnosis.Wrong):
        with exercises._diagnosis.forbid(model, "log_prob", why="test"):
            model.log_prob(np.zeros((1, 3), np.float32))
    assert np.all(np.isfinite(model.log_prob(np.zeros((1, 3), np.float32))))


# ------------------------------------------------------------ 04 masks
INPUT_DEGREE_MISTAKES = {
    "zero_based": (lambda o: np.argsort(o), "off by one"),
    "ordering_plus_one": (lambda o: np.asarray(o) + 1, "ordering + 1"),
    "ordering": (lambda o: np.asarray(o), "two things"),
    "ignores_ordering": (lambda o: np.arange(1, len(o) + 1), "ignored the ordering"),
    "wrong_shape": (lambda o: np.arange(1, len(o) + 1)[None, :], "one degree per input"),
    "float_degrees": (lambda o: np.argsort(o) + 1.0, "integer array"),
}


@pytest.mark.parametrize("mistake", INPUT_DEGREE_MISTAKES)
def test_input_degrees_mistakes(mistake):
    fn, phrase = INPUT_DEGREE_MISTAKES[mistake]
    _fails_with("input_degrees", fn, phrase)


def _masks(degrees, hidden=">=", out=">", transpose=False, out_from_first=False, with_output=True):
    ops = {">=": np.greater_equal, ">": np.greater, "<=": np.less_equal}
    masks = [ops[hidden](above[None, :], below[:, None]).astype(np.float32)
             for below, above in zip(degrees[:-1], degrees[1:])]
    if with_output:
        last = degrees[1] if out_from_first else degrees[-1]
        masks.append(ops[out](degrees[0][None, :], last[:, None]).astype(np.float32))
    return [m.T for m in masks] if transpose else masks


MASK_MISTAKES = {
    "output_non_strict": (lambda d: _masks(d, out=">="), "strict > for the output mask"),
    "output_sees_itself": (lambda d: _masks(d, out=">="), "sees input"),
    "hidden_strict": (lambda d: _masks(d, hidden=">"), "hidden mask 0 uses a strict >"),
    "hidden_reversed": (lambda d: _masks(d, hidden="<="), "wrong way round"),
    "transposed": (lambda d: _masks(d, transpose=True), "(fan_in, fan_out)"),
    "no_output_mask": (lambda d: _masks(d, with_output=False), "plus the output mask"),
    "output_from_first_hidden": (lambda d: _masks(d, out_from_first=True), "last hidden layer"),
}


@pytest.mark.parametrize("mistake", MASK_MISTAKES)
def test_masks_from_degrees_mistakes(mistake):
    fn, phrase = MASK_MISTAKES[mistake]
    _fails_with("masks_from_degrees", fn, phrase)


def test_masks_message_names_the_output_that_sees_itself():
    message = _fails_with("masks_from_degrees", lambda d: _masks(d, out=">="), "sees input").message
    j = int(message.split("Output ")[1].split(" ")[0])
    assert f"Output {j} sees input {j}" in message


HIDDEN_DEGREE_MISTAKES = {
    "reaches_D": (lambda w, D, low, rng: rng.integers(low, D + 1, size=w), "reach d"),
    "width_bound": (lambda w, D, low, rng: rng.integers(low, w - 2, size=w), "not from the layer width"),
    "zero_degree": (lambda w, D, low, rng: rng.integers(0, D, size=w), "degree 0"),
    "below_low": (lambda w, D, low, rng: rng.integers(1, D, size=w), "lower bound is low"),
    "never_top": (lambda w, D, low, rng: rng.integers(low, max(D - 1, low + 1), size=w), "d-1"),
    "global_random": (lambda w, D, low, rng: np.random.randint(low, D, size=w), "same rng"),
    "floats": (lambda w, D, low, rng: rng.uniform(low, D - 1, size=w), "integers"),
    "not_uniform": (lambda w, D, low, rng: np.minimum(rng.integers(low, D + 10, size=w), D - 1), "uniformly"),
    "wrong_size": (lambda w, D, low, rng: rng.integers(low, D, size=w + 1), "one degree per hidden unit"),
    "whole_floats": (lambda w, D, low, rng: rng.integers(low, D, size=w).astype(np.float64), "integer array"),
}


@pytest.mark.parametrize("mistake", HIDDEN_DEGREE_MISTAKES)
def test_hidden_degrees_mistakes(mistake):
    fn, phrase = HIDDEN_DEGREE_MISTAKES[mistake]
    _fails_with("hidden_degrees", fn, phrase)


def _masked_layer_class(bias_mask=None, transpose=False, apply_mask=True, trainable_mask=False,
                        no_activation=False, no_bias=False, activation_first=False,
                        kernel_init="glorot_uniform", bias_init="zeros"):
    """A masked dense layer with one typical mistake (the default arguments make none)."""
    import keras

    class Layer(keras.layers.Layer):
        def __init__(self, units, mask, activation=None):
            super().__init__()
            self.units = units
            self.mask_value = np.asarray(mask, dtype="float32")
            self.activation = keras.activations.get(activation)

        def build(self, input_shape):
            fan_in = int(input_shape[-1])
            self.kernel = self.add_weight(shape=(fan_in, self.units), initializer=kernel_init)
            self.bias = self.add_weight(shape=(self.units,), initializer=bias_init)
            self.mask = self.add_weight(shape=(fan_in, self.units), trainable=trainable_mask,
                                        initializer=keras.initializers.Constant(self.mask_value))

        def call(self, x):
            mask = keras.ops.transpose(self.mask) if transpose else self.mask
            y = keras.ops.matmul(x, self.kernel * mask if apply_mask else self.kernel)
            if activation_first:
                return self.activation(y) + self.bias
            if bias_mask == "broadcast":
                y = y + self.bias * self.mask                     # (fan_in, units): shapes clash
            elif bias_mask == "columns":
                y = y + self.bias * keras.ops.cast(keras.ops.sum(self.mask, axis=0) > 0, "float32")
            elif not no_bias:
                y = y + self.bias
            return y if no_activation else self.activation(y)

    return lambda units, mask, activation=None: Layer(units, mask, activation)


MASKED_LAYER_MISTAKES = {
    "bias_masked_broadcast": (dict(bias_mask="broadcast"), "bias multiplied by the mask"),
    "bias_masked_columns": (dict(bias_mask="columns"), "bias is masked"),
    "transposed": (dict(transpose=True), "transposed"),
    "mask_not_applied": (dict(apply_mask=False), "not applied in the forward pass"),
    "trainable_mask": (dict(trainable_mask=True), "trainable"),
    "no_activation": (dict(no_activation=True), "activation is missing"),
    "no_bias": (dict(no_bias=True), "bias is missing"),
    "activation_first": (dict(activation_first=True), "activation comes before the bias"),
    "kernel_of_zeros": (dict(kernel_init="zeros"), 'initializer="glorot_uniform"'),
    "kernel_of_ones": (dict(kernel_init="ones"), 'initializer="glorot_uniform"'),
    "bias_of_ones": (dict(bias_init="ones"), 'initializer="zeros"'),
}


@pytest.mark.parametrize("mistake", MASKED_LAYER_MISTAKES)
def test_masked_layer_mistakes(mistake):
    kwargs, phrase = MASKED_LAYER_MISTAKES[mistake]
    _fails_with("masked_layer", _masked_layer_class(**kwargs), phrase)


def test_masked_layer_check_accepts_a_correct_layer():
    assert check.masked_layer(_masked_layer_class(), verbose=False).passed


# ------------------------------------------------------------ 05 training
def _lse(a, axis=0):
    m = a.max(axis=axis)
    return m + np.log(np.sum(np.exp(a - np.expand_dims(m, axis)), axis=axis))


LOG_MEAN_EXP_MISTAKES = {
    "max_not_added_back": (lambda a: np.log(np.mean(np.exp(a - np.max(a, 0)), 0)), "did not add it back"),
    "naive": (lambda a: np.log(np.mean(np.exp(a), axis=0)), "underflows"),
    "no_log_k": (lambda a: _lse(np.asarray(a)), "subtract log k"),
    "mean_of_logs": (lambda a: np.mean(a, axis=0), "geometric mean"),
    "max_only": (lambda a: np.max(a, axis=0), "only the largest"),
    "wrong_axis": (lambda a: _lse(np.asarray(a), axis=1) - np.log(np.shape(a)[1]), "wrong axis"),
}


@pytest.mark.parametrize("mistake", LOG_MEAN_EXP_MISTAKES)
def test_log_mean_exp_mistakes(mistake):
    fn, phrase = LOG_MEAN_EXP_MISTAKES[mistake]
    _fails_with("log_mean_exp", fn, phrase)


def _per_mask(model, x, masks, restore=True):
    keep = model.current_mask
    out = []
    for k in masks:
        model.set_mask(k)
        out.append((_logits(model, x), _bern_loglik(x, _logits(model, x))))
    if restore:
        model.set_mask(keep)
    return np.stack([o[0] for o in out]), np.stack([o[1] for o in out])


ENSEMBLE_MISTAKES = {
    "calls_log_prob": (lambda m, x, K: m.log_prob(x, num_masks=K), "you called model.log_prob"),
    "logit_average": (lambda m, x, K: _bern_loglik(x, _per_mask(m, x, range(K))[0].mean(0)), "averaged logits"),
    "mean_log_probs": (lambda m, x, K: _per_mask(m, x, range(K))[1].mean(0), "averaged the log-likelihoods"),
    "no_log_k": (lambda m, x, K: _lse(_per_mask(m, x, range(K))[1]), "divide by k"),
    "current_only": (lambda m, x, K: _bern_loglik(x, _logits(m, x)), "only the current mask"),
    "all_masks": (lambda m, x, K: _lse(_per_mask(m, x, range(m.num_masks))[1]) - np.log(m.num_masks),
                  "first num_masks"),
    "best_mask": (lambda m, x, K: _per_mask(m, x, range(K))[1].max(0), "only the best mask"),
    "mask_not_restored": (lambda m, x, K: _lse(_per_mask(m, x, range(K), restore=False)[1]) - np.log(K),
                          "left on mask"),
}


@pytest.mark.parametrize("mistake", ENSEMBLE_MISTAKES)
def test_ensemble_log_prob_mistakes(mistake):
    fn, phrase = ENSEMBLE_MISTAKES[mistake]
    _fails_with("ensemble_log_prob", fn, phrase)


def test_logit_average_message_quotes_an_unnormalised_total():
    fn = ENSEMBLE_MISTAKES["logit_average"][0]
    message = _fails_with("ensemble_log_prob", fn, "averaged logits").message
    total = float(message.split("sum to ")[1].split(",")[0])
    assert abs(total - 1.0) > 1e-3


def _early(history, patience, key="valid_nll", offset=0, maximise=False, one_based=False, peek=False,
           ties=False):
    """Early stopping with one knob per typical mistake (all knobs off = the rule of exercise 5.3)."""
    curve = np.asarray(history[key]) * (-1 if maximise else 1)
    best = 0
    stop = len(curve) - 1
    for epoch in range(len(curve)):
        if curve[epoch] < curve[best] or (ties and curve[epoch] == curve[best]):
            best = epoch
        if epoch - best == patience + offset:
            stop = epoch
            break
    if peek:
        best = int(np.argmin(curve))
    return (best + 1, stop + 1) if one_based else (best, stop)


EARLY_STOPPING_MISTAKES = {
    "test_curve": (lambda h, p: _early(h, p, key="test_nll"), "test nll"),
    "train_curve": (lambda h, p: _early(h, p, key="train_nll"), "training nll"),
    "argmax": (lambda h, p: _early(h, p, maximise=True), "highest"),
    "peek": (lambda h, p: _early(h, p, peek=True), "comes after your stop epoch"),
    "late": (lambda h, p: _early(h, p, offset=1), "one epoch late"),
    "early": (lambda h, p: _early(h, p, offset=-1), "one epoch early"),
    "never_stops": (lambda h, p: _early(h, 10**9), "never stop"),
    "one_based": (lambda h, p: _early(h, p, one_based=True), "numbered from 0"),
    "single_number": (lambda h, p: _early(h, p)[0], "pair"),
    "ties_improve": (lambda h, p: _early(h, p, ties=True), "strictly below"),
    "floats": (lambda h, p: tuple(float(v) for v in _early(h, p)), "two ints"),
}


@pytest.mark.parametrize("mistake", EARLY_STOPPING_MISTAKES)
def test_early_stopping_mistakes(mistake):
    fn, phrase = EARLY_STOPPING_MISTAKES[mistake]
    _fails_with("early_stopping", fn, phrase)


def test_early_stopping_cases_agree_with_the_stated_rule():
    """The hand-worked answers in the checker follow the rule as the exercise states it."""
    for case in ex05_training._EARLY_STOPPING_CASES:
        assert _early(case["history"], case["patience"]) == case["answer"]
        assert case["answer"] not in case["mistakes"]


# ------------------------------------------------------------ 06 sampling
def _sampler(model, n, rng, order=None, one_pass=False, flip=False, greedy=False, probs=False,
             global_rng=False):
    x = np.zeros((n, model.input_dim), np.float32)
    first = _logits(model, x) if one_pass else None
    for d in (model.ordering if order is None else order):
        p = _sig((first if one_pass else _logits(model, x))[:, d])
        if probs:
            x[:, d] = p
            continue
        u = np.random.random(n) if global_rng else rng.random(n)
        x[:, d] = (0.5 < p) if greedy else ((u > p) if flip else (u < p))
    return x


def _shared_uniform_sampler(model, n, rng):
    x = np.zeros((n, model.input_dim), np.float32)
    for d in model.ordering:
        x[:, d] = rng.random() < _sig(_logits(model, x)[:, d])
    return x


def _logits_as_p_sampler(model, n, rng):
    x = np.zeros((n, model.input_dim), np.float32)
    for d in model.ordering:
        x[:, d] = rng.random(n) < _logits(model, x)[:, d]
    return x


def _two_calls_per_pixel_sampler(model, n, rng):
    x = np.zeros((n, model.input_dim), np.float32)
    for d in model.ordering:
        _logits(model, x)                                  # a pass whose result is thrown away
        x[:, d] = rng.random(n) < _sig(_logits(model, x)[:, d])
    return x


SAMPLER_MISTAKES = {
    "two_calls_per_pixel": (_two_calls_per_pixel_sampler, "one call per pixel, on all n samples at once"),
    "shared_uniform": (_shared_uniform_sampler, "one uniform per pixel and shared it"),
    "logits_as_probabilities": (_logits_as_p_sampler, "compared the uniform with the logit"),
    "integer_samples": (lambda m, n, r: _sampler(m, n, r).astype(np.int64), "float array"),
    "bool_samples": (lambda m, n, r: _sampler(m, n, r).astype(bool), "float array"),
    "calls_model_sample": (lambda m, n, r: m.sample(n, seed=0), "you called model.sample"),
    "index_order": (lambda m, n, r: _sampler(m, n, r, order=range(m.input_dim)), "index order"),
    "one_pass": (lambda m, n, r: _sampler(m, n, r, one_pass=True), "one forward pass"),
    "flipped": (lambda m, n, r: _sampler(m, n, r, flip=True), "1 - p"),
    "greedy": (lambda m, n, r: _sampler(m, n, r, greedy=True), "identical"),
    "probabilities": (lambda m, n, r: _sampler(m, n, r, probs=True), "probabilities"),
    "global_rng": (lambda m, n, r: _sampler(m, n, r, global_rng=True), "same rng"),
    "transposed": (lambda m, n, r: _sampler(m, n, r).T, "shape"),
}


@pytest.mark.parametrize("mistake", SAMPLER_MISTAKES)
def test_sample_sequential_mistakes(mistake):
    fn, phrase = SAMPLER_MISTAKES[mistake]
    _fails_with("sample_sequential", fn, phrase)


def test_sampler_check_has_power():
    """The exact distribution of the right sampler is the model's; the wrong ones are far from it."""
    model, p = ex06_sampling._sampler_model()
    right = ex06_sampling._sampler_distribution(model, model.ordering)
    np.testing.assert_allclose(right, p, atol=1e-5)
    for q in (ex06_sampling._sampler_distribution(model, range(4)),
              ex06_sampling._sampler_distribution(model, model.ordering, one_pass=True),
              ex06_sampling._sampler_distribution(model, model.ordering, flip=True)):
        assert ex06_sampling._tv(q, p) > 6 * ex06_sampling._TV_PASS


def _completer(model, x, k, rng, keep_first_indices=False, keep_nothing=False, draw_nothing=False,
               one_pass=False):
    x = np.array(x, np.float32)
    if draw_nothing:
        return x
    order = list(model.ordering)
    if keep_first_indices:
        todo = [d for d in order if d >= k]
    elif keep_nothing:
        todo = order
    else:
        todo = order[k:]
    first = _logits(model, x)
    for d in todo:
        p = _sig((first if one_pass else _logits(model, x))[:, d])
        x[:, d] = rng.random(len(x)) < p
    return x


def _in_place_completer(model, x, k, rng):
    x = np.asarray(x, dtype=np.float32)          # no copy: x is float32 already
    for d in model.ordering[k:]:
        x[:, d] = rng.random(len(x)) < _sig(_logits(model, x)[:, d])
    return x


COMPLETE_MISTAKES = {
    "writes_into_x": (_in_place_completer, "wrote into the caller's x"),
    "returns_x_itself": (lambda m, x, k, r: x, "returned the caller's x itself"),
    "global_rng": (lambda m, x, k, r: _completer(m, x, k, np.random.default_rng()), "same rng"),
    "first_indices": (lambda m, x, k, r: _completer(m, x, k, r, keep_first_indices=True), "you kept pixels 0.."),
    "resamples_all": (lambda m, x, k, r: _completer(m, x, k, r, keep_nothing=True), "changed observed pixels"),
    "draws_nothing": (lambda m, x, k, r: _completer(m, x, k, r, draw_nothing=True), "nothing was drawn"),
    "one_pass": (lambda m, x, k, r: _completer(m, x, k, r, one_pass=True), "one forward pass"),
}


@pytest.mark.parametrize("mistake", COMPLETE_MISTAKES)
def test_complete_mistakes(mistake):
    fn, phrase = COMPLETE_MISTAKES[mistake]
    _fails_with("complete", fn, phrase)


# ------------------------------------------------------------ time limit and readable messages
def test_code_running_past_the_limit_is_stopped_with_a_plain_message(monkeypatch):
    import time

    monkeypatch.setattr(exercises._diagnosis, "CHECK_TIME_LIMIT_S", 1)

    def hangs(x, logits):
        while True:
            try:
                time.sleep(0.05)
            except Exception:  # noqa: BLE001 - a student's catch-all must not swallow the stop
                pass

    start = time.monotonic()
    result = _fails_with("bernoulli_nll", hangs, "ran longer than 1 s")
    assert time.monotonic() - start < 10 and "stopped" in result.message


def test_messages_are_wrapped_to_the_page_and_shown_without_traceback():
    dx = exercises._diagnosis
    long = "word " * 60 + "\n[[0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0]]"
    wrapped = dx.wrap(long)
    assert _flat(wrapped) == _flat(long)
    assert all(len(line) <= dx.WIDTH for line in wrapped.splitlines()[:-1])
    assert wrapped.splitlines()[-1].startswith("[[")                      # arrays are not re-flowed
    failed = dx.CheckFailed("check.x did not pass.\n❌ Not yet. because")
    assert dx.plain_error_lines(dx.CheckFailed, failed) == ["check.x did not pass.", "❌ Not yet. because"]
    stub = dx.plain_error_lines(NotImplementedError, NotImplementedError())
    assert "not done yet" in " ".join(stub) and not any("/" in line and "File" in line for line in stub)


def test_X010_a_student_exception_whose_str_fails_is_reported_not_raised(capsys):
    class Weird(Exception):
        def __str__(self):
            raise RuntimeError("str broke")

    def bernoulli_nll(x, logits):
        raise Weird()

    result = check.bernoulli_nll(bernoulli_nll)
    assert not result.passed and "Your function raised Weird: (its message could not be shown" in result.message


def test_a_returned_value_whose_repr_fails_is_described_not_raised(capsys):
    class Weird:
        def __iter__(self):
            raise TypeError("not a pair")

        def __repr__(self):
            raise RuntimeError("repr broke")

    result = check.early_stopping(lambda history, patience: Weird())
    assert not result.passed and "got a Weird (its repr() raised RuntimeError)" in result.message
