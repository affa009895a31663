"""The book's figures, drawn by code. One module per kind of figure:

- :mod:`unet_tutorial.viz.arrays` -- grids of numbers, kernels, feature maps (chapters 1-3).
- further modules are added by the chapters that need them (skip connections, architecture
  diagrams, datasets, training curves and GIFs, result grids).
"""
