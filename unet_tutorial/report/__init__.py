"""What the package shows besides figures (those are in :mod:`unet_tutorial.viz`).

- :mod:`.tables` -- every HTML table of results the book displays.
- :mod:`.text` -- the printed lines: training progress (live and replayed), training plans side
  by side, how a measurement was made.
"""
