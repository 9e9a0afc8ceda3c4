"""``made train`` once its flags are checked and its run folder locked: the data, the model, the training
(:func:`made_helpers.core.train.train`), the model file and ``train_summary.json``."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from .provenance import git_commit, load_split, machine_info
from .run_folder import (
    MODEL_FILE,
    RUN_SUMMARY,
    check_cosine_resume,
    check_existing_run,
    drop_aside,
    interrupted_run,
    model_config,
    previous_summary,
    recover_overwrite,
    restore_aside,
    run_artefacts,
    save_model,
    set_aside,
)

__all__ = ["train_in_folder"]


def build_model(args):
    """The MADE of ``made train``'s flags, its initial weights drawn from ``--seed``."""
    import keras

    from ..core.model import MADE

    keras.utils.set_random_seed(args.seed)            # initial weights: reproducible from --seed
    return MADE(784, args.hidden, num_masks=args.masks, ordering=args.ordering, hidden_degrees=args.hidden_degrees,
                direct=not args.no_direct, activation=args.activation, seed=args.seed, dropout=args.dropout,
                kernel_initializer=args.init, mask_kind=args.mask_kind, dtype="mixed_bfloat16" if args.bf16 else None)


def train_in_folder(args, out: Path) -> int:
    """``made train`` once the run folder's lock is held."""
    from ..atomic import remove_stale_temps, write_json
    from ..core.train import train
    from ..model_file import file_sha256

    artefacts = run_artefacts()
    recover_overwrite(out, artefacts, artefacts[0])
    check_existing_run(out, args.resume, args.overwrite)
    if args.resume and args.lr_schedule == "cosine" and args.cosine_epochs is None:
        check_cosine_resume(out, args.epochs)
    previous = previous_summary(out) if args.resume else {}     # read and checked before anything is rewritten
    t0 = time.time()
    commit = git_commit()                              # the code that runs, before any later edits
    x_train, train_info, _ = load_split(args.data, "train", args.limit, args.data_dir)
    x_valid, valid_info, valid_shown = load_split(args.data, "valid", None, args.data_dir)
    model = build_model(args)
    print(f"MADE 784-{'-'.join(map(str, args.hidden))}-784, {args.masks} mask(s), ordering {args.ordering}, "
          f"direct={not args.no_direct}; {sum(v.numpy().size for v in model.trainable_variables)} "
          f"trainable parameters; {len(x_train)} train / {len(x_valid)} valid images", flush=True)
    for name in artefacts:                            # temporary files that killed writers left
        remove_stale_temps(out / name)
    aside = set_aside(out, artefacts) if args.overwrite else None
    try:
        history = train(model, x_train, x_valid, epochs=args.epochs, batch_size=args.batch_size,
                        optimizer=args.optimizer, learning_rate=args.learning_rate, patience=args.patience,
                        resample_masks=not args.no_resample_masks, valid_masks=args.valid_masks, checkpoint_dir=out,
                        resume=args.resume, seed=args.seed, verbose=args.verbose, jit_compile=not args.no_jit,
                        data={"train": train_info, "valid": valid_info}, weight_decay=args.weight_decay,
                        lr_schedule=args.lr_schedule, lr_milestones=args.lr_milestones, lr_factor=args.lr_factor,
                        lr_patience=args.lr_patience, cosine_epochs=args.cosine_epochs,
                        in_graph_masks=not args.host_masks, valid_ensemble=args.valid_ensemble,
                        on_epoch_end=(lambda epoch, history: drop_aside(aside)) if aside else None)
    except BaseException as error:
        if aside is not None and aside.exists():
            restore_aside(out, aside, artefacts)      # no checkpoint yet: the old run comes back
            if isinstance(error, KeyboardInterrupt):
                raise type(error)(f"interrupted before the new run's first checkpoint: the previous run in {out} is "
                                  f"back in place, unchanged") from None
        if isinstance(error, KeyboardInterrupt):
            raise type(error)(interrupted_run(out)) from None
        raise
    save_model(model, out / MODEL_FILE)
    invocations = previous.get("invocations", []) + [{
        "argv": sys.argv[1:], "wall_seconds": time.time() - t0,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(t0))}]
    summary = {
        "model_file": str(out / MODEL_FILE), "model_sha256": file_sha256(out / MODEL_FILE),
        "best_epoch": history["best_epoch"],
        "best_valid_nll": history["best_valid_nll"], "epochs_run": history["epochs_run"],
        "stop_reason": history["stop_reason"], "train_seconds_total": sum(history["epoch_seconds"]),
        "wall_seconds_total": sum(i["wall_seconds"] for i in invocations), "invocations": invocations,
        "settings": {k: v for k, v in vars(args).items() if k != "func"},
        "weight_decay_convention": history["weight_decay_convention"],
        "model": model_config(model),
        "data": history["data"], "machine": machine_info(), "git_commit": commit,
    }
    write_json(out / RUN_SUMMARY, summary)
    print(f"best valid NLL {history['best_valid_nll']:.3f} nats (epoch {history['best_epoch']}, "
          f"{'averaged conditionals' if args.valid_ensemble == 'conditionals' else 'mixture'} of "
          f"{history['valid_masks']} mask(s)) on {valid_shown}", flush=True)
    print(f"wrote {out / MODEL_FILE}, {out / artefacts[1]}, {out / RUN_SUMMARY}", flush=True)
    return 0
