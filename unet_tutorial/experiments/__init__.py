"""The book's experiments: the orchestration of its chapters, on top of the library.

Each experiment describes its runs (:class:`unet_tutorial.runs.RunSpec`) and trains them through
:func:`unet_tutorial.runs.train_run`, which keeps them in the run store; nothing below this
package imports it.

- :mod:`.flood` -- the flood segmenter of chapters 8-10 (train, fine-tune, evaluate, reload).
- :mod:`.flood_text` -- the short lines chapters 8-10 print about the flood segmenter's runs.
- :mod:`.skip_study` -- chapter 4: no skips, additive skips, concatenated skips.
- :mod:`.comparison` -- chapter 11: six networks, one recipe.
- :mod:`.model_choice` -- which network the ``cpu`` profile trains, measured under one budget.
- :mod:`.multiclass` -- chapter 12: a three-class U-Net on the synthetic scenes.
- :mod:`.imbalance` -- chapter 8: the same network with and without ``pos_weight``.
- :mod:`.unfreezing` -- chapter 9: the VGG19 U-Net's two stages, frozen then unfrozen, measured.
- :mod:`.timing` / :mod:`.announce` -- what a training cell says before it starts: a stored run
  is loaded, or how long training took where it was measured (or, on a T4, an estimate).
"""
