"""The colours of the book: its figures, ``predict``'s overlays and the classes' display colours
(no matplotlib needed).

Okabe and Ito's palette, which stays distinguishable for readers with colour-vision deficiencies.
Colours are ``(r, g, b)`` tuples of 0-255.
"""

from __future__ import annotations

Color = tuple[int, int, int]

BLACK: Color = (0, 0, 0)
ORANGE: Color = (230, 159, 0)
SKY_BLUE: Color = (86, 180, 233)
BLUISH_GREEN: Color = (0, 158, 115)
YELLOW: Color = (240, 228, 66)
BLUE: Color = (0, 114, 178)
VERMILLION: Color = (213, 94, 0)
REDDISH_PURPLE: Color = (204, 121, 167)
WHITE: Color = (255, 255, 255)
#: Dark grey: a background class that recedes.
DARK_GREY: Color = (64, 64, 64)

#: Water, and water found (true positives).
WATER = BLUE
#: Water predicted on dry ground (false positives).
FALSE_ALARM = ORANGE
#: Water missed (false negatives).
MISSED = REDDISH_PURPLE
#: Opacity of the tint an overlay lays over a photo.
OVERLAY_ALPHA = 0.55

#: Display colours of classes without their own colour, class ``i`` in ``CLASS_COLORS[i % 10]``:
#: class 0 dark grey so that "background" recedes, class 1 in the water's blue.
CLASS_COLORS: tuple[Color, ...] = (
    DARK_GREY,
    WATER,
    ORANGE,
    BLUISH_GREEN,
    REDDISH_PURPLE,
    SKY_BLUE,
    VERMILLION,
    YELLOW,
    WHITE,
    BLACK,
)
