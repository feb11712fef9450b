"""Venue risk (Risk Terrain Modeling): which kinds of places drive calls, beyond where they are.

For each H3 cell of the study area, the proximity to and density of every venue kind become
0/1 risk factors (:mod:`~hotspots.risk.factors`); a Poisson or negative-binomial regression of
the cells' call counts on them, with the cells' general call density from other offense types
as a control and an optional exposure offset, selects the kinds that matter stepwise and gives
their relative risks (:mod:`~hotspots.risk.model`); the fitted model is a risk surface per cell
(:mod:`~hotspots.risk.surface`) scored against later years like the other hotspot methods
(:mod:`~hotspots.risk.scoring`).

>>> from hotspots.risk import fit_risk, risk_surface
"""

from hotspots.risk.factors import (
    DEFAULT_DISTANCES as DEFAULT_DISTANCES,
)
from hotspots.risk.factors import (
    DEFAULT_RESOLUTION as DEFAULT_RESOLUTION,
)
from hotspots.risk.factors import (
    GROUPS as GROUPS,
)
from hotspots.risk.factors import (
    MEASURES as MEASURES,
)
from hotspots.risk.factors import (
    Factor as Factor,
)
from hotspots.risk.factors import (
    exposure_from as exposure_from,
)
from hotspots.risk.factors import (
    study_cells as study_cells,
)
from hotspots.risk.factors import (
    venue_factors as venue_factors,
)
from hotspots.risk.model import (
    RiskModel as RiskModel,
)
from hotspots.risk.model import (
    fit_by_year as fit_by_year,
)
from hotspots.risk.model import (
    fit_risk as fit_risk,
)
from hotspots.risk.model import (
    risk_data as risk_data,
)
from hotspots.risk.model import (
    split_offenses as split_offenses,
)
from hotspots.risk.surface import (
    risk_surface as risk_surface,
)

__all__ = [
    "DEFAULT_DISTANCES",
    "DEFAULT_RESOLUTION",
    "GROUPS",
    "MEASURES",
    "Factor",
    "RiskModel",
    "exposure_from",
    "fit_by_year",
    "fit_risk",
    "risk_data",
    "risk_surface",
    "split_offenses",
    "study_cells",
    "venue_factors",
]
