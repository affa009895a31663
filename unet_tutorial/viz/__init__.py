"""The book's figures, drawn by code. One module per kind of figure; every function returns a
:class:`matplotlib.figure.Figure` (or an image) and leaves showing it to the caller.

- :mod:`.arrays` -- grids of numbers, kernels, feature maps, convolution steps (chapters 1-3).
- :mod:`.skips` -- skip connections: diagrams, predictions, training curves (chapter 4).
- :mod:`.architecture` -- the paper's U-Net drawn from the model (chapter 5).
- :mod:`.tiling` -- the overlap-tile strategy (chapter 5).
- :mod:`.weights` -- the U-Net paper's border weight map (chapter 5).
- :mod:`.data` -- the dataset: samples, sizes, label errors, duplicates, augmentations
  (chapter 7).
- :mod:`.training` -- learning curves, the training GIF, result grids and error overlays
  (chapters 8-10).
- :mod:`.variants` -- U-Net++, Attention U-Net and V-Net-style diagrams, attention maps
  (chapter 11).
- :mod:`.comparison` -- the comparison chart (chapter 11).
- :mod:`.classes` -- class maps in colour, coloured overlays, the confusion matrix (chapter 12).
- :mod:`.overlay` -- the tint of ``predict``'s overlays and the book's class overlays (NumPy only).
- :mod:`.palette` -- the colours of the figures, the overlays and the classes (no matplotlib).
"""
