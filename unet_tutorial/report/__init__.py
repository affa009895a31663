"""What the package shows besides figures (those are in :mod:`unet_tutorial.viz`).

- :mod:`.tables` -- every HTML table of results the book displays.
- :mod:`.text` -- the printed lines: training plans side by side, how a measurement was made
  (training progress lines: :mod:`unet_tutorial.training.progress`).
- :mod:`.source` -- the package's own source, shown on the page.
- :mod:`.classes` -- tables of multi-class results (chapter 12, ``evaluate``).
"""
