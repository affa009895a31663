"""The book's experiments: each trains networks for a chapter and keeps its runs in one store.

- :mod:`.runs` -- the run store: a run's spec, key, state and result, reused or resumed.
- :mod:`.flood` -- the flood segmenter of chapters 8-10 (train, fine-tune, evaluate, reload).
- :mod:`.skip_study` -- chapter 4: no skips, additive skips, concatenated skips.
- :mod:`.comparison` -- chapter 11: six networks, one recipe.
- :mod:`.model_choice` -- which network the ``cpu`` profile trains, measured under one budget.
"""
