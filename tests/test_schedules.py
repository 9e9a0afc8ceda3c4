"""Learning-rate schedules (made_helpers.core.schedules) and their ``made train`` flags: a flag the chosen schedule
would ignore, a repeated milestone or a learning rate that is 0 or inf in float32 is refused in one line."""

from __future__ import annotations

import pytest
from conftest import TINY_RUN, cli, one_line_error


@pytest.mark.parametrize("flags, message", [
    (["--lr-schedule", "step", "--lr-milestones", "2", "2"], "--lr-milestones repeats 2"),
    (["--cosine-epochs", "5"], "--cosine-epochs belongs to --lr-schedule cosine (now --lr-schedule constant"),
    (["--lr-schedule", "step", "--lr-milestones", "3", "--lr-patience", "4"],
     "--lr-patience belongs to --lr-schedule plateau"),
    (["--lr-patience", "4"], "--lr-patience belongs to --lr-schedule plateau"),
    (["--lr-schedule", "cosine", "--lr-factor", "0.5"], "--lr-factor belongs to --lr-schedule step or plateau"),
    (["--learning-rate", "1e-300"], "--learning-rate 1e-300 is 0 in float32"),
    (["--learning-rate", "1e39"], "--learning-rate 1e+39 is inf in float32"),
])
def test_schedule_flags_that_would_be_ignored_or_wrong_are_refused(tmp_path, capsys, flags, message):
    rc, out, err = cli(capsys, "train", *TINY_RUN, *flags, "--out", tmp_path / "run")
    assert rc == 2
    one_line_error(err, message)
    assert out == "" and list(tmp_path.iterdir()) == []


def test_the_library_refuses_repeated_milestones_and_a_zero_learning_rate_too():
    from made_helpers.core.schedules import LearningRateSchedule
    from made_helpers.core.train import make_optimizer

    with pytest.raises(ValueError, match=r"^lr_milestones repeats epoch\(s\) \[2\]"):
        LearningRateSchedule("step", 1e-3, milestones=[2, 2])
    with pytest.raises(ValueError, match=r"^learning_rate 1e-300 is 0 in float32"):
        make_optimizer("adam", 1e-300)
    assert LearningRateSchedule("step", 1e-3, milestones=[2, 5]).rate(5) == pytest.approx(1e-5)
