"""Ordinary least-squares line y = a + b·x with its confidence and prediction bands."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class LineFit:
    """A fitted line and what its bands need.

    Attributes
    ----------
    slope, intercept : float
        b and a.
    r : float
        Pearson correlation of x and y.
    s : float
        Residual standard deviation (n - 2 degrees of freedom).
    n : int
        Number of points.
    x_mean, sxx : float
        Mean of x and sum of squared deviations of x.
    """

    slope: float
    intercept: float
    r: float
    s: float
    n: int
    x_mean: float
    sxx: float

    def predict(self, x: npt.ArrayLike) -> np.ndarray:
        """Value a + b·x of the line.

        Parameters
        ----------
        x : float or float array
            Where to evaluate the line (broadcasts).

        Returns
        -------
        float array
            The fitted values.
        """
        return self.intercept + self.slope * np.asarray(x, dtype=np.float64)

    def standard_error(self, x: npt.ArrayLike, *, prediction: bool = False) -> np.ndarray:
        """Standard error of the fitted mean, or of a new observation, at ``x``.

        Parameters
        ----------
        x : float or float array
            Where to evaluate it (broadcasts).
        prediction : bool, default False
            False: the fitted mean's error ``s·sqrt(1/n + (x - x̄)²/Sxx)``; True: a new observation's
            ``s·sqrt(1 + 1/n + (x - x̄)²/Sxx)``.

        Returns
        -------
        float array
            The standard error at each ``x``.
        """
        x = np.asarray(x, dtype=np.float64)
        return self.s * np.sqrt(float(prediction) + 1.0 / self.n + (x - self.x_mean) ** 2 / self.sxx)

    def t_quantile(self, level: float) -> float:
        """The two-sided Student t quantile of coverage ``level`` with n - 2 degrees of freedom.

        Parameters
        ----------
        level : float in (0, 1)
            Coverage of the two-sided band, e.g. 0.95.

        Returns
        -------
        float
            The quantile t such that P(|T| <= t) = ``level``.
        """
        from scipy import stats

        return float(stats.t.ppf(0.5 + level / 2, self.n - 2))


def fit_line(x: npt.ArrayLike, y: npt.ArrayLike) -> LineFit:
    """Least-squares line through the points (x, y).

    Parameters
    ----------
    x, y : 1-d arrays of the same length, at least 3 points and x not constant.

    Returns
    -------
    LineFit
        Slope, intercept, correlation and what the confidence and prediction bands need.

    Examples
    --------
    >>> f = fit_line([0.0, 1.0, 2.0, 3.0], [1.0, 3.0, 5.0, 7.5])
    >>> round(f.slope, 3), round(f.intercept, 3), float(f.predict(4.0).round(3))
    (2.15, 0.9, 9.5)
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.ndim != 1 or x.shape != y.shape:
        raise ValueError(f"Expected x and y as 1-d arrays of one length, but got shapes {x.shape} and {y.shape}.")
    n = len(x)
    x_mean, y_mean = x.mean(), y.mean()
    dx, dy = x - x_mean, y - y_mean
    sxx, syy = float((dx ** 2).sum()), float((dy ** 2).sum())
    if n < 3 or sxx == 0:
        raise ValueError(f"A line with bands needs at least 3 points and a non-constant x; got {n} points, "
                         f"Sxx = {sxx}.")
    slope = float((dx * dy).sum() / sxx)
    intercept = float(y_mean - slope * x_mean)
    resid = y - (intercept + slope * x)
    s = float(np.sqrt((resid ** 2).sum() / (n - 2)))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = float((dx * dy).sum() / np.sqrt(sxx * syy))
    return LineFit(slope, intercept, r, s, n, float(x_mean), sxx)
