"""Learning-rate schedules of :func:`made_helpers.core.train.train` (``made train --lr-schedule``): the rules, the
defaults and which flags belong to which schedule, written once."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import keras

from ..checks import check_int, check_positive_float
from ..errors import UserInputError

SCHEDULES = ("constant", "step", "cosine", "plateau")
LR_FACTOR_DEFAULT, LR_PATIENCE_DEFAULT = 0.1, 10
SCHEDULE_FLAGS = {"lr_milestones": ("step",), "lr_factor": ("step", "plateau"), "lr_patience": ("plateau",),
                  "cosine_epochs": ("cosine",)}     # train's settings that only these schedules use


class LearningRateSchedule:
    """A checked learning-rate schedule and its Keras callback: ``"constant"``; ``"step"``: ``lr * factor**m`` in
    epoch ``e``, ``m`` = milestones ``<= e``; ``"cosine"``: ``lr * (1 + cos(pi * (e - 1) / T)) / 2`` up to
    ``T = cosine_epochs``; ``"plateau"``: times ``factor`` after ``plateau_patience`` epochs without progress."""

    def __init__(self, kind: str, lr: float, milestones=(), factor: float = LR_FACTOR_DEFAULT,
                 plateau_patience: int = LR_PATIENCE_DEFAULT, cosine_epochs: int | None = None):
        if kind not in SCHEDULES:
            raise UserInputError(f"lr_schedule must be one of {SCHEDULES}, got {kind!r}")
        self.kind, self.lr = kind, float(lr)
        self.milestones = sorted(check_int("lr_milestones", m, low=1, type_error=ValueError) for m in milestones)
        repeated = sorted({m for m in self.milestones if self.milestones.count(m) > 1})
        if repeated:
            raise UserInputError(f"lr_milestones repeats epoch(s) {repeated}: each would cut the rate once more; "
                             f"give each milestone once")
        if kind == "step" and not self.milestones:
            raise UserInputError("lr_schedule='step' needs lr_milestones, e.g. [45]")
        self.factor = check_positive_float("lr_factor", factor)
        if self.factor >= 1:
            raise UserInputError(f"lr_factor must be below 1, got {factor!r}")
        self.plateau_patience = check_int("lr_patience", plateau_patience, low=1, type_error=ValueError)
        self.cosine_epochs = (None if cosine_epochs is None
                              else check_int("cosine_epochs", cosine_epochs, low=1, type_error=ValueError))

    def settings(self) -> dict:
        """What defines the schedule (compared on resume)."""
        values = {"lr_milestones": self.milestones, "lr_factor": self.factor, "lr_patience": self.plateau_patience,
                  "cosine_epochs": self.cosine_epochs}
        keys = {"step": ["lr_milestones", "lr_factor"], "plateau": ["lr_factor", "lr_patience"],
                "cosine": ["cosine_epochs"]}.get(self.kind, [])
        return {"lr_schedule": self.kind, **{k: values[k] for k in keys}}

    def rate(self, epoch: int) -> float:
        """The learning rate of ``epoch`` (1-based) of a step, cosine or constant schedule."""
        if self.kind == "step":
            return self.lr * self.factor ** sum(m <= epoch for m in self.milestones)
        if self.kind == "cosine":
            e = min(epoch, self.cosine_epochs)
            return self.lr * 0.5 * (1.0 + math.cos(math.pi * (e - 1) / self.cosine_epochs))
        return self.lr

    def callback(self) -> keras.callbacks.Callback | None:
        """``ReduceLROnPlateau`` on ``val_nll`` (strict improvement), a ``LearningRateScheduler``, or None."""
        import keras  # here, so that the command line's --help starts without Keras

        if self.kind == "plateau":
            return keras.callbacks.ReduceLROnPlateau("val_nll", self.factor, self.plateau_patience, mode="min",
                                                     min_delta=0.0, min_lr=0.0)
        scheduler = keras.callbacks.LearningRateScheduler(lambda epoch, lr: self.rate(epoch + 1))
        return None if self.kind == "constant" else scheduler
