"""How far a trial's sites are from where the patient would travel from.

The origin is a US ZIP code (the IG's ``zipCode``), placed at its centroid from the
`zipcodes` package's embedded data (GeoNames coordinates, shipped in the wheel: no lookup
leaves the host), or a latitude and longitude sent as they are. Distances are great-circle
(haversine) miles between the origin and each site's registry position::

    origin = zip_origin("10001")                     # Origin(latitude=40.7484, ...)
    distance = site_distance(trial, origin, 50.0)    # nearest site, its miles, in range?
    distance.kept                                    # False: drop the trial from the results

A site with no position cannot be measured. A trial with such a site, and no measured site
in range, is kept with `unpositioned_sites` counted: a coordinator would rather check it
than have it silently dropped (the searchset says so in a warning). Errors (422, stable
type): ``fhir.unknown_zip_code`` (malformed, or not a ZIP code the data holds; the code is
never echoed back).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import zipcodes

from app.eligibility.language import Trial
from app.errors import InvalidInput

ZIP_CODE = re.compile(r"\d{5}(-\d{4})?")
# What the README names as the data's source and version.
ZIP_DATA = f"zipcodes {zipcodes.__version__} (GeoNames centroids)"
# The package's functions carry no annotations: their types, from its own stub.
_matching: Callable[[str], list[dict[str, Any]]] = zipcodes.matching
_haversine: Callable[[float, float, float, float], float] = zipcodes.haversine


@dataclass(frozen=True)
class Origin:
    latitude: float
    longitude: float


@dataclass(frozen=True)
class SiteDistance:
    """The nearest site with a position (its 1-based index in `Trial.sites`), its distance in
    miles, whether it is within the radius asked (None: no radius), and how many of the
    trial's sites have no position."""

    nearest_index: int | None
    miles: float | None
    within_radius: bool | None
    unpositioned_sites: int

    @property
    def distance_unknown(self) -> bool:
        """No measured site is in range, yet one that cannot be measured might be."""
        return self.within_radius is not True and (
            self.unpositioned_sites > 0 or self.nearest_index is None
        )

    @property
    def kept(self) -> bool:
        return self.within_radius is not False or self.distance_unknown


def zip_origin(zip_code: str) -> Origin:
    text = zip_code.strip()
    found = _matching(text) if ZIP_CODE.fullmatch(text) else []
    for place in found:
        try:
            return Origin(latitude=float(place["lat"]), longitude=float(place["long"]))
        except (KeyError, TypeError, ValueError):
            continue
    # The ZIP code is the patient's: it is not repeated in the message.
    raise InvalidInput(
        "fhir.unknown_zip_code",
        "zipCode is not a US ZIP code (five digits, or ZIP+4) that the service knows.",
        loc=["body", "zipCode"],
    )


def load_zip_data() -> None:
    """Load the package's ZIP table now (about 0.7 s, once per process; it loads lazily),
    so that the first located request does not wait for it."""
    _matching("10001")


def miles_between(origin: Origin, latitude: float, longitude: float) -> float:
    return _haversine(origin.longitude, origin.latitude, longitude, latitude)


def site_distance(trial: Trial, origin: Origin, radius_miles: float | None) -> SiteDistance:
    nearest: tuple[float, int] | None = None
    unpositioned = 0
    for index, site in enumerate(trial.sites, start=1):
        if site.latitude is None or site.longitude is None:
            unpositioned += 1
            continue
        miles = miles_between(origin, site.latitude, site.longitude)
        if nearest is None or miles < nearest[0]:
            nearest = (miles, index)
    if nearest is None:
        return SiteDistance(None, None, None, unpositioned)
    miles, index = nearest
    within = None if radius_miles is None else miles <= radius_miles
    return SiteDistance(index, round(miles, 1), within, unpositioned)
