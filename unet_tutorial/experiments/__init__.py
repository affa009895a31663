"""The book's experiments: each trains networks for a chapter and keeps its runs in one store.

- :mod:`.runs` -- the run store: a run's spec, key, state and result, reused or resumed.
- :mod:`.flood` -- the flood segmenter of chapters 8-10 (train, fine-tune, evaluate, reload).
- :mod:`.skip_study` -- chapter 4: no skips, additive skips, concatenated skips.
- :mod:`.comparison` -- chapter 11: six networks, one recipe.
- :mod:`.model_choice` -- which network the ``cpu`` profile trains, measured under one budget.
- :mod:`.custom` -- a run with your own settings and data (``python -m unet_tutorial train``).
- :mod:`.multiclass` -- chapter 12: a three-class U-Net on the synthetic scenes.
- :mod:`.imbalance` -- chapter 8: the same network with and without ``pos_weight``.
- :mod:`.unfreezing` -- chapter 9: the VGG19 U-Net's two stages, frozen then unfrozen, measured.
- :mod:`.timing` / :mod:`.announce` -- what a training cell says before it starts: a stored run
  is loaded, or how long training took where it was measured (or, on a T4, an estimate).
"""
