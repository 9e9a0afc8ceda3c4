"""The binary MADE a learner reads (notebooks 01-06): ``masks`` (degrees, then masks), ``layers`` (the masked dense
layer), ``model`` (MADE), ``losses``, ``evaluate``, ``train`` (Keras fit) with ``schedules``, ``conditioning``
(completion), ``enumeration``, ``autoencoders``, ``plotting`` and ``widgets`` (the mask explorer)."""
