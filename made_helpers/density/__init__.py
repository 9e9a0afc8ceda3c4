"""The real-valued family (notebooks 07-08): ``gaussian_made`` (a MADE of Gaussians or mixtures), ``batch_norm``,
``flows`` (MAF), ``realnvp``, ``density_fit`` (their training), ``toy2d`` and ``logit_space`` (data)."""
