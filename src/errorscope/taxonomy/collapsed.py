"""Collapsed class mappings ("class overlap", Peychev et al. 2023): predictions forgiven as correct for a given target.

The mapping is keyed by the **target** t only and is one-way unless both directions are listed: with t = 250
(Siberian husky) the prediction 248 (Eskimo dog) counts as correct, but with t = 248 and p = 250 it does not.
Twenty-one keys, from Peychev et al. (``src/utils.py`` of eth-sri/automated-error-analysis).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..constants import N_CLASSES

__all__ = ["COLLAPSED_MAPPINGS", "collapsed_matrix"]

#: target -> predictions that count as correct for it.
COLLAPSED_MAPPINGS: dict[int, tuple[int, ...]] = {
    250: (248,),  # Siberian husky -> Eskimo dog
    249: (248,),  # malamute -> Eskimo dog
    836: (837,),  # sunglass -> sunglasses
    837: (836,),
    385: (101,),  # Indian elephant -> tusker
    386: (101,),  # African elephant -> tusker
    504: (968,),  # coffee mug -> cup
    638: (639,),  # maillot -> maillot, tank suit
    639: (638,),
    657: (744,),  # missile -> projectile
    744: (657,),
    620: (681,),  # laptop -> notebook
    681: (620,),
    664: (782,),  # monitor -> screen
    782: (664,),
    482: (848,),  # cassette player -> tape player
    356: (357, 358, 359),  # weasel, mink, polecat, black-footed ferret: interchangeable
    357: (356, 358, 359),
    358: (356, 357, 359),
    359: (356, 357, 358),
    435: (876,),  # bathtub -> tub
}


@lru_cache(maxsize=1)
def collapsed_matrix() -> np.ndarray:
    """Bool (1000, 1000): ``[t, p]`` is True if prediction p counts as correct for target t (p != t).

    Examples
    --------
    >>> C = collapsed_matrix()
    >>> bool(C[250, 248]), bool(C[248, 250]), int(C.sum())
    (True, False, 29)
    """
    out = np.zeros((N_CLASSES, N_CLASSES), dtype=bool)
    for t, ps in COLLAPSED_MAPPINGS.items():
        out[t, list(ps)] = True
    out.flags.writeable = False
    return out
