"""The colours the book's figures and ``predict``'s overlays share (no matplotlib needed).

Okabe and Ito's palette, which stays distinguishable for readers with colour-vision deficiencies.
"""

from __future__ import annotations

#: Water, and water found (true positives).
WATER = (0, 114, 178)
#: Water predicted on dry ground (false positives).
FALSE_ALARM = (230, 159, 0)
#: Water missed (false negatives).
MISSED = (204, 121, 167)
#: Opacity of the tint an overlay lays over a photo.
OVERLAY_ALPHA = 0.55
