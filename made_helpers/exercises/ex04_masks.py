"""The checks of ``notebooks/exercises/04_mask_exercises.ipynb``: 04.1 input_degrees, 04.2 masks_from_degrees,
04.3 hidden_degrees, 04.4 masked_layer. Each ``NAME_body(fn)`` returns the confirmation or raises ``dx.Wrong``."""

from __future__ import annotations

import numpy as np

from . import _diagnosis as dx


def input_degrees_body(fn) -> str:
    """04.1 ``fn(ordering) -> (D,)``: the input degrees for a generation order."""
    from ..core.masks import input_degrees

    for ordering in ([2, 0, 3, 1], [0, 1, 2, 3], [4, 2, 0, 1, 5, 3], [1, 0]):
        order = np.array(ordering)
        D = len(order)
        expected = input_degrees(D, order)
        returned = dx.returned(dx.call(fn, order.copy(), desc=f"ordering = {ordering}"))
        out = dx.array(returned)
        if out.shape != (D,):
            raise dx.Wrong(f"Return one degree per input, shape ({D},); got shape {out.shape}.")
        if np.array_equal(out, expected):
            dx.integer_array(returned, "degrees", "e.g. np.empty(D, dtype=np.int64) or np.zeros(D, dtype=int)")
            continue
        message = dx.diagnose(out, expected, [
            (expected - 1, "Off by one: degrees run from 1 to D (the first input in the ordering has degree 1), not "
                           "from 0 to D-1. Degree 0 is reserved for units that see no input at all."),
            (order + 1, "You returned ordering + 1: that numbers the list positions. degree[i] is the position of "
                        "input i IN the ordering, i.e. the inverse permutation: degrees[ordering[k]] = k + 1. Here "
                        f"ordering = {ordering}, so input {ordering[0]} has degree 1."),
            (order, "Two things: degree[i] is the position of input i in the ordering (the inverse "
                    "permutation, degrees[ordering[k]] = k + 1), and degrees start at 1."),
            (np.arange(1, D + 1), f"You ignored the ordering: with ordering = {ordering} input "
                                  f"{ordering[0]} comes first and gets degree 1."),
        ], atol=0, rtol=0)
        raise dx.Wrong(message or (f"For ordering = {ordering} the input degrees are "
                                   f"{expected.tolist()}; you return {out.tolist()}."))
    return ("degrees[ordering[k]] = k + 1: the degree of an input is its place in the generation "
            "order, the same as made_helpers.core.masks.input_degrees.")


def masks_from_degrees_body(fn) -> str:
    """04.2 ``fn(degrees) -> [masks]``: the hidden and output masks, ``(fan_in, fan_out)`` each."""
    from ..core.masks import connectivity, is_autoregressive, make_degrees, make_masks

    cases = [make_degrees(4, [5], ordering=[2, 0, 3, 1], seed=1),
             make_degrees(5, [6, 6], ordering="random", seed=4),
             make_degrees(3, [4], seed=2)]
    for degrees in cases:
        expected = make_masks(degrees)
        desc = "degrees = [" + ", ".join(str(d.tolist()) for d in degrees) + "]"
        out = dx.returned(dx.call(fn, [d.copy() for d in degrees], desc=desc))
        try:
            out = [np.asarray(m, dtype=np.float64) for m in out]
        except Exception:  # noqa: BLE001
            raise dx.Wrong("Return a list of masks (numpy arrays), one per layer.") from None
        if len(out) != len(expected):
            raise dx.Wrong(f"With {len(degrees) - 1} hidden layer(s) there are {len(expected)} masks (one "
                           f"into each hidden layer, plus the output mask); you return {len(out)}.\n{desc}")
        for k, (m, e) in enumerate(zip(out, expected)):
            if m.shape != e.shape:
                extra = (" Keras kernels are (fan_in, fan_out): row i is a unit below, column j a unit "
                         "above; transpose your mask." if m.shape == e.shape[::-1] else "")
                raise dx.Wrong(f"Mask {k} has shape {m.shape}, expected {e.shape}.{extra}")
        if all(np.array_equal(m, e) for m, e in zip(out, expected)):
            continue
        d_in, d_last = degrees[0], degrees[-1]
        last, last_ref = out[-1], expected[-1]
        conn = connectivity([m != 0 for m in out])
        if not np.array_equal(last, last_ref):
            if np.array_equal(last, d_in[None, :] >= d_last[:, None]):
                sees = np.flatnonzero(np.diag(conn))
                who = f"Output {sees[0]} sees input {sees[0]}" if len(sees) else "Output j may see input j"
                raise dx.Wrong(f"{who}: use a strict > for the output mask, mask[k, j] = degree_in[j] > "
                               "degree_hidden[k]. A hidden unit of degree m carries information from inputs of "
                               "degree <= m, so output j may only use units with m < degree_in[j].")
            if len(degrees) > 2 and np.array_equal(last, d_in[None, :] > degrees[1][:, None]):
                raise dx.Wrong("The output mask must compare the LAST hidden layer's degrees with the "
                               "input degrees; yours uses the first hidden layer.")
        for k in range(len(degrees) - 1):
            if np.array_equal(out[k], expected[k]):
                continue
            below, above = degrees[k], degrees[k + 1]
            if np.array_equal(out[k], above[None, :] > below[:, None]):
                raise dx.Wrong(f"Hidden mask {k} uses a strict >: a hidden unit of degree m may see the "
                               f"units below it of degree <= m (use >=). With > it loses connections "
                               f"it is allowed, and units of degree 1 see nothing.")
            if np.array_equal(out[k], above[None, :] <= below[:, None]):
                raise dx.Wrong(f"Hidden mask {k} compares the wrong way round: mask[i, j] = 1 when the "
                               f"unit above (column j) has degree >= the unit below (row i).")
        if not is_autoregressive(conn, d_in):
            i, j = map(int, np.argwhere(conn & ~(d_in[:, None] < d_in[None, :]))[0])
            raise dx.Wrong(f"Your masks break the autoregressive property: output {j} (degree "
                           f"{d_in[j]}) can see input {i} (degree {d_in[i]}).\n{desc}")
        k = next(k for k, (m, e) in enumerate(zip(out, expected)) if not np.array_equal(m, e))
        i, j = map(int, np.argwhere(out[k] != expected[k])[0])
        raise dx.Wrong(f"Mask {k} differs from the rule at [{i}, {j}]: expected {expected[k][i, j]:.0f}, "
                       f"got {out[k][i, j]:.0f}. Hidden masks use degree_above >= degree_below, the "
                       f"output mask degree_in > degree_hidden.\n{desc}")
    return ("Your masks equal made_helpers.core.masks.make_masks: >= into hidden layers, strict > into "
            "the outputs, so no output sees its own input.")


def hidden_degrees_body(fn) -> str:
    """04.3 ``fn(width, input_dim, low, rng) -> (width,)``: random hidden degrees in ``low..D-1``."""
    from ..core.masks import hidden_layer_degrees

    def draw(width, D, low, seed):
        returned = dx.returned(dx.call(fn, width, D, low, np.random.default_rng(seed),
                                       desc=f"width = {width}, input_dim = {D}, low = {low}"))
        out = dx.array(returned)
        if out.shape != (width,):
            raise dx.Wrong(f"Return one degree per hidden unit, shape ({width},); got shape {out.shape}.")
        if not np.all(out == np.round(out)):
            raise dx.Wrong("Degrees are integers: use rng.integers, not rng.uniform.")
        dx.integer_array(returned, "degrees", "rng.integers returns one")
        return out.astype(np.int64)

    for width, D, low in ((2000, 6, 1), (3, 10, 1), (600, 5, 3), (1000, 2, 1)):
        out = draw(width, D, low, seed=width)
        support = set(hidden_layer_degrees(5000, D, low, "random", np.random.default_rng(0)).tolist())
        top, bottom = int(out.max()), int(out.min())
        if top == D:
            raise dx.Wrong(f"Hidden degrees reach D = {D}: the upper bound is D-1. A unit of degree D "
                           f"could only feed outputs of degree > D, and there are none. "
                           f"rng.integers(low, high) excludes high, so use rng.integers(low, D).")
        if top > D:
            raise dx.Wrong(f"Hidden degrees go up to {top} with only D = {D} inputs (width = {width}): the bound must "
                           "come from the number of inputs D, not from the layer width. Degrees live in [low, D-1].")
        if bottom < low:
            why = ("a unit of degree 0 sees no input at all" if bottom == 0 else
                   "a unit below the previous layer's minimum degree has no allowed input")
            raise dx.Wrong(f"Some hidden units get degree {bottom} < low = {low}: {why}. The lower "
                           f"bound is low (the previous layer's minimum degree).")
        seen = set(out.tolist())
        if width >= 100:
            if D - 1 not in seen:
                raise dx.Wrong(f"In {width} draws no unit got degree D-1 = {D - 1}: rng.integers excludes "
                               f"its upper bound, so rng.integers(low, D) gives low..D-1.")
            missing = sorted(support - seen)
            if missing:
                raise dx.Wrong(f"In {width} draws the degrees {missing} never appear; they should cover "
                               f"{sorted(support)} (low..D-1).")
            counts = np.array([np.sum(out == v) for v in sorted(support)])
            if counts.min() < 0.5 * width / len(support):
                raise dx.Wrong(f"Degrees {sorted(support)} should be drawn uniformly (the paper's choice); "
                               f"your counts are {counts.tolist()} in {width} draws.")
    if not np.array_equal(draw(50, 8, 1, seed=7), draw(50, 8, 1, seed=7)):
        raise dx.Wrong("Two calls with the same rng gave different degrees: draw with the rng argument "
                       "(rng.integers), not np.random, so a seed gives the same masks every time.")
    return "Hidden degrees are drawn uniformly from low..D-1 with the given rng."


_LAYER_HINT = ("Typical causes: the bias multiplied by the mask (the bias, shape (units,), is not masked: it "
               "depends on no input), or the mask transposed (it already has the kernel's shape "
               "(fan_in, units), row = input, column = unit).")


def masked_layer_body(fn) -> str:
    """04.4 ``fn(units, mask, activation) -> keras layer``: ``activation(x @ (W * M) + b)``, M fixed."""
    import keras

    from ..core.layers import MaskedDense

    rng = np.random.default_rng(4)
    square = np.triu(np.ones((4, 4), np.float32), k=1)                 # column 0: a unit with no input
    rect = np.array([[1, 0, 1], [1, 0, 0], [0, 0, 1], [1, 0, 1], [0, 0, 1]], np.float32)   # (5, 3)
    for mask, activation in ((square, None), (rect, "relu")):
        fan_in, units = mask.shape
        desc = f"units = {units}, a ({fan_in}, {units}) mask, activation = {activation!r}"
        layer = dx.returned(dx.call(fn, units, mask.copy(), activation, desc=desc))
        if not isinstance(layer, keras.layers.Layer):
            raise dx.Wrong(f"Return the layer itself (an instance of your keras.layers.Layer subclass); "
                           f"got a {type(layer).__name__}.")
        x = rng.normal(size=(6, fan_in)).astype(np.float32)
        try:
            dx.call(layer, x, desc=f"a batch of shape {x.shape} (the first call builds the layer; {desc})")
        except dx.Wrong as wrong:
            raise dx.Wrong(f"{wrong}\n{_LAYER_HINT}") from None
        for attr, shape in (("kernel", (fan_in, units)), ("bias", (units,)), ("mask", (fan_in, units))):
            value = getattr(layer, attr, None)
            if value is None:
                raise dx.Wrong(f"Your layer has no self.{attr} after build(): create it there with "
                               f"self.add_weight(...), shape {shape}.")
            if tuple(np.shape(value)) != shape:
                raise dx.Wrong(f"self.{attr} has shape {tuple(np.shape(value))}, expected {shape} "
                               f"(Keras kernels are (fan_in, units)).")
        if not np.array_equal(np.asarray(layer.mask), mask):
            raise dx.Wrong("self.mask does not hold the mask given to the layer: initialise it with the "
                           "mask's values, e.g. initializer=keras.initializers.Constant(self.mask_value).")
        if any(w is layer.mask for w in layer.trainable_weights):
            raise dx.Wrong("The mask is a trainable weight: the optimiser would change it and break the "
                           "autoregressive property. Create it with add_weight(..., trainable=False).")
        if len(layer.trainable_weights) != 2:
            raise dx.Wrong(f"Your layer has {len(layer.trainable_weights)} trainable weights; it should have "
                           f"two, the kernel and the bias (the mask is not trained).")
        kernel, limit = np.asarray(layer.kernel), np.sqrt(6.0 / (fan_in + units))
        if np.any(np.asarray(layer.bias) != 0):
            raise dx.Wrong('self.bias does not start at zero: create it with initializer="zeros", as the exercise '
                           'asks.')
        if np.ptp(kernel) == 0 or np.abs(kernel).max() > limit:
            raise dx.Wrong(f'self.kernel does not start as initializer="glorot_uniform" draws it: uniform on '
                           f'[-{limit:.3f}, {limit:.3f}] (sqrt(6 / (fan_in + units))) for a ({fan_in}, {units}) '
                           f'kernel; yours holds values from {kernel.min():.3f} to {kernel.max():.3f}.')
        W = rng.normal(size=(fan_in, units)).astype(np.float32)
        b = (rng.normal(size=units) + 0.5).astype(np.float32)
        try:
            layer.kernel.assign(W)
            layer.bias.assign(b)
        except AttributeError:
            raise dx.Wrong("self.kernel and self.bias must be weights created with self.add_weight(...), "
                           "so that training (and this check) can assign them.") from None
        reference = MaskedDense(units, activation=activation)
        reference.build((None, fan_in))
        reference.kernel.assign(W)
        reference.bias.assign(b)
        reference.set_mask(mask)
        expected = np.asarray(reference(x), dtype=np.float64)
        try:
            out = dx.array(dx.call(layer, x, desc=f"a batch of shape {x.shape} ({desc})"))
        except dx.Wrong as wrong:
            raise dx.Wrong(f"{wrong}\n{_LAYER_HINT}") from None
        if out.shape != expected.shape:
            raise dx.Wrong(f"Your layer returns shape {out.shape} for a batch of shape {x.shape}; expected "
                           f"{expected.shape}, one row of {units} values per example. {_LAYER_HINT}")
        if np.allclose(out, expected, rtol=1e-4, atol=1e-5):
            continue
        xd, Wd, bd, Md = (a.astype(np.float64) for a in (x, W, b, mask))

        def act(z, name=activation):
            return np.maximum(z, 0.0) if name == "relu" else z

        transposed = ([(act(xd @ (Wd * Md.T) + bd), "The mask is transposed: it already has the kernel's "
                                                     "shape (fan_in, units), row = input, column = unit, so "
                                                     "use kernel * mask without a transpose.")]
                      if fan_in == units else [])
        message = dx.diagnose(out, expected, [
            (act(xd @ Wd + bd), "The mask is not applied in the forward pass: multiply the kernel by the mask before "
                                "the product, x @ (kernel * mask) + bias. Storing the mask is not enough."),
            *transposed,
            (act(xd @ (Wd * Md) + bd * (Md.sum(axis=0) > 0)),
             "The bias is masked: a unit with no allowed input lost its bias. The bias depends on no "
             "input, so it cannot break the autoregressive property: add it unmasked."),
            (act(xd @ (Wd * Md)), "The bias is missing: add self.bias after the product."),
            (xd @ (Wd * Md) + bd, "The activation is missing: apply self.activation to the result."),
            (act(xd @ (Wd * Md)) + bd, "The activation comes before the bias: it is "
                                       "activation(x @ (kernel * mask) + bias)."),
        ], rtol=1e-4, atol=1e-5)
        raise dx.Wrong(message or (f"For {desc} your layer's output differs from "
                                   f"made_helpers.core.layers.MaskedDense with "
                                   f"the same weights and mask by up to {np.abs(out - expected).max():.3g}. It should "
                                   "be activation(x @ (kernel * mask) + bias)."))
    return ("Your layer computes activation(x @ (kernel * mask) + bias) with a fixed, non-trainable mask, "
            "the same as made_helpers.core.layers.MaskedDense.")
