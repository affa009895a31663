"""A per-layer table of a model: what each layer outputs and how many parameters it holds.

:func:`summarize` runs one forward pass with forward hooks on the layers and records the shape of
every layer's output, in the order the layers run. By default the pass runs on PyTorch's ``meta``
device: tensors there carry shapes but no data, so even the full-width U-Net on a 572×572 image
is summarised instantly and without using memory, and the model itself is not touched.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.func import functional_call

from unet_tutorial.models.freezing import count_parameters

#: Layers left out of the table by default: they keep the shape of the layer before them.
QUIET_LAYERS: tuple[type[nn.Module], ...] = (nn.ReLU, nn.Dropout, nn.Dropout2d)


@dataclass(frozen=True)
class LayerRow:
    """One row of the table: a layer's name, type, output shape and parameter count.

    ``parameters`` is 0 for the second and later calls of a layer used several times (such as a
    shared pooling layer), so the column sums to the model's total.
    """

    name: str
    kind: str
    output_shape: tuple[int, ...]
    parameters: int


@dataclass(frozen=True)
class ModelSummary:
    """The table :func:`summarize` returns; ``print()`` it, or show it in a notebook cell."""

    input_shape: tuple[int, ...]
    rows: list[LayerRow] = field(default_factory=list)
    total_parameters: int = 0
    trainable_parameters: int = 0

    @property
    def output_shape(self) -> tuple[int, ...]:
        """Shape of the last layer's output."""
        return self.rows[-1].output_shape

    def _cells(self) -> list[tuple[str, str, str, str]]:
        return [
            (row.name, row.kind, " × ".join(map(str, row.output_shape)), f"{row.parameters:,}")
            for row in self.rows
        ]

    def __str__(self) -> str:
        header = ("layer", "type", "output shape", "parameters")
        cells = [header, *self._cells()]
        widths = [max(len(row[i]) for row in cells) for i in range(4)]
        line = "  ".join("-" * width for width in widths)

        def fmt(row: tuple[str, ...]) -> str:
            left = "  ".join(
                cell.ljust(width) for cell, width in zip(row[:3], widths, strict=False)
            )
            return f"{left}  {row[3].rjust(widths[3])}"

        shape = " × ".join(map(str, self.input_shape))
        body = [f"input: {shape}", fmt(header), line, *map(fmt, cells[1:]), line]
        body.append(
            f"total parameters: {self.total_parameters:,} "
            f"(trainable: {self.trainable_parameters:,})"
        )
        return "\n".join(body)

    def _repr_html_(self) -> str:
        rows = "".join(
            "<tr>"
            + "".join(
                f'<td style="text-align:{"right" if i == 3 else "left"}">{html.escape(c)}</td>'
                for i, c in enumerate(cells)
            )
            + "</tr>"
            for cells in self._cells()
        )
        shape = " × ".join(map(str, self.input_shape))
        return (
            "<table><thead><tr><th>layer</th><th>type</th><th>output shape</th>"
            f"<th>parameters</th></tr></thead><tbody>{rows}</tbody></table>"
            f"<p>input: {shape}; total parameters: {self.total_parameters:,} "
            f"(trainable: {self.trainable_parameters:,})</p>"
        )


@dataclass(frozen=True)
class Table:
    """A small table of strings that prints as text and shows as HTML in a notebook."""

    header: tuple[str, ...]
    rows: list[tuple[str, ...]]

    def __str__(self) -> str:
        cells = [self.header, *self.rows]
        widths = [max(len(row[i]) for row in cells) for i in range(len(self.header))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(line.rstrip() for line in lines)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(c)}</th>" for c in self.header)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
            for row in self.rows
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _selected(model: nn.Module, max_depth: int | None) -> dict[str, nn.Module]:
    """Layers to hook: leaves, or the modules ``max_depth`` levels down (and shallower leaves).

    Lists of modules (``nn.ModuleList``) are never called themselves, so they do not count as a
    level: their items take their place.
    """
    modules = dict(model.named_modules())
    chosen = {}
    for name, module in modules.items():
        if not name or isinstance(module, nn.ModuleList | nn.ModuleDict):
            continue
        parts = name.split(".")
        prefixes = (".".join(parts[: i + 1]) for i in range(len(parts)))
        depth = sum(
            not isinstance(modules[prefix], nn.ModuleList | nn.ModuleDict) for prefix in prefixes
        )
        is_leaf = not any(True for _ in module.children())
        if (max_depth is None and is_leaf) or (
            max_depth is not None and (depth == max_depth or (is_leaf and depth < max_depth))
        ):
            chosen[name] = module
    return chosen


def summarize(
    model: nn.Module,
    input_size: tuple[int, ...],
    *,
    max_depth: int | None = None,
    hide: tuple[type[nn.Module], ...] = QUIET_LAYERS,
    device: str | torch.device = "meta",
) -> ModelSummary:
    """Run ``model`` once on an input of shape ``input_size`` (N×C×H×W) and tabulate its layers.

    Args:
        model: any ``nn.Module`` taking one tensor.
        input_size: the input's full shape, batch dimension included, e.g. ``(1, 1, 572, 572)``.
        max_depth: ``None`` lists the innermost layers; ``1`` lists the model's direct children,
            ``2`` their children, and so on.
        hide: layer types left out of the table (by default ReLU and dropout).
        device: where the pass runs; ``"meta"`` computes shapes only, with stand-in weights.
            Pass the model's device to run the model itself on a batch of zeros.

    Returns:
        A :class:`ModelSummary`, one row per call of a listed layer, in execution order.
    """
    layers = _selected(model, max_depth)
    rows: list[LayerRow] = []
    seen: set[str] = set()

    def hook(name: str, module: nn.Module):
        def record(_module: nn.Module, _inputs: object, output: object) -> None:
            tensor = output[0] if isinstance(output, tuple | list) else output
            count = 0 if name in seen else count_parameters(module)
            seen.add(name)
            rows.append(LayerRow(name, type(module).__name__, tuple(tensor.shape), count))

        return record

    handles = [
        module.register_forward_hook(hook(name, module))
        for name, module in layers.items()
        if not isinstance(module, hide)
    ]
    x = torch.zeros(input_size, device=device)
    try:
        with torch.no_grad():
            if torch.device(device).type == "meta":  # same layers, shape-only stand-in weights
                state = {
                    name: torch.empty_like(tensor, device="meta")
                    for name, tensor in [*model.named_parameters(), *model.named_buffers()]
                }
                functional_call(model, state, (x,))
            else:
                model(x)
    finally:
        for handle in handles:
            handle.remove()
    return ModelSummary(
        tuple(input_size),
        rows,
        count_parameters(model),
        count_parameters(model, trainable_only=True),
    )


def count_layers(
    model: nn.Module, kinds: tuple[type[nn.Module], ...] = (nn.Conv2d, nn.ConvTranspose2d)
) -> int:
    """How many layers of the given types ``model`` contains (its convolutions by default)."""
    return sum(isinstance(module, kinds) for module in model.modules())
