"""Freezing and counting parameters, the way that really works.

A parameter is frozen when its ``requires_grad`` flag is ``False``: autograd then computes no
gradient for it and the optimizer leaves it alone. The flag lives on each *parameter*. Setting an
attribute on a *module* (``layer.requires_grad = True``, as the original tutorial's fine-tuning
did) only creates a new, unused Python attribute: no parameter changes and nothing is unfrozen.
``module.requires_grad_(flag)`` (with the trailing underscore) is the method that sets the flag on
every parameter of the module.
"""

from __future__ import annotations

from collections.abc import Iterable

from torch import nn


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    """Number of scalar parameters of ``model`` (only those with ``requires_grad`` if asked)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def set_trainable(modules: Iterable[nn.Module], trainable: bool) -> None:
    """Set ``requires_grad`` on every parameter of ``modules`` (freeze with ``False``)."""
    for module in modules:
        module.requires_grad_(trainable)


def is_frozen(module: nn.Module) -> bool:
    """Whether no parameter of ``module`` requires a gradient (true for parameter-free modules)."""
    return not any(p.requires_grad for p in module.parameters())
