"""Measurements that explain what the networks do (not part of training them).

- :mod:`.shift` -- how much a one-pixel shift of the input changes a pooled map (chapter 2).
- :mod:`.gradients` -- gradient reaching the input of deep stacks, with and without residual
  additions (chapter 4).
- :mod:`.attention` -- where a trained Attention U-Net's gates look (chapter 11).
- :mod:`.baselines` -- the all-water baseline and the water share of a split.
- :mod:`.frames` -- the training GIF's frames in numbers (chapter 8).
- :mod:`.errors` -- where the wrong pixels are: near water/land borders or not (chapter 10).
- :mod:`.cost` -- parameters and forward-pass operations of a network, counted on the meta
  device, and the operations of a whole training (chapter 11).
"""
