"""The command line and the experiments: ``cli`` (``made train | evaluate | sample``), ``results`` (results files and
the tables made from them), ``maf_mnist`` (the MAF paper's MNIST table), ``sampling_explorer`` (trained runs in a
widget), ``timing`` and ``offline_mathjax``."""
