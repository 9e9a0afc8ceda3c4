"""The logit-space transform of 8-bit images (made_helpers.density.logit_space): bad images are refused naming the
real problem, and lists are accepted like arrays."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import one_line

from made_helpers.density import logit_space


@pytest.mark.parametrize("images,error,message", [
    (np.array([[0, 300]]), ValueError, r"^images must be integers in 0\.\.255, got values from 0 to 300$"),
    (np.array([[-1, 3]]), ValueError, r"^images must be integers in 0\.\.255, got values from -1 to 3$"),
    (np.zeros((0, 4), np.uint8), ValueError, r"^images is empty \(shape \(0, 4\)\)$"),
    (np.zeros(784, np.uint8), ValueError, r"^images must have shape \(N, 28, 28\) or \(N, D\).*images\[None\]"),
    (np.uint8(3), ValueError, r"^images must have shape"),
    (np.full((1, 4), 0.5), ValueError, r"^images must be integers in 0\.\.255 \(e\.g\. uint8\), got dtype float64"),
    ("abc", ValueError, r"^images must be integers in 0\.\.255 .*got dtype <U3$"),
    ([[1, 2], [3]], TypeError, r"^images must be an array of integers in 0\.\.255, got ragged rows$"),
])
def test_dequantize_names_the_real_problem(images, error, message):
    with pytest.raises(error, match=message) as info:
        logit_space.dequantize_to_logit(images)
    one_line(info.value)


def test_logit_space_accepts_lists():
    z = [[0, 1, 128, 255]]
    x = logit_space.dequantize_to_logit(z, seed=3)
    np.testing.assert_array_equal(x, logit_space.dequantize_to_logit(np.array(z, np.uint8), seed=3))
    log_det = logit_space.log_det_logit_to_unit(x.tolist())
    np.testing.assert_allclose(log_det, logit_space.log_det_logit_to_unit(x))
    np.testing.assert_allclose(logit_space.to_pixel_space([0.0], x.tolist()), logit_space.to_pixel_space([0.0], x))
    np.testing.assert_allclose(logit_space.logit_to_pixels(x.tolist()), logit_space.logit_to_pixels(x))
    np.testing.assert_allclose(logit_space.bits_per_pixel([-100.0], 4), logit_space.bits_per_pixel(-100.0, 4))
    assert logit_space.to_pixel_space([-np.inf], x)[0] == -np.inf        # a zero density stays one
