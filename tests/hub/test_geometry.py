"""Planar geometry on GeoJSON polygons: containment with holes, centroids, validation."""

from __future__ import annotations

from typing import Any

import pytest

from hub import geometry
from hub.errors import InvalidInput


def ring(*points: tuple[float, float]) -> list[list[float]]:
    return [list(p) for p in (*points, points[0])]


SQUARE = ring((0, 0), (4, 0), (4, 4), (0, 4))
HOLE = ring((1, 1), (3, 1), (3, 3), (1, 3))
SQUARE_WITH_HOLE: dict[str, Any] = {"type": "Polygon", "coordinates": [SQUARE, HOLE]}


@pytest.mark.parametrize(
    ("point", "inside"),
    [
        ((0.5, 0.5), True),
        ((3.5, 2.0), True),
        ((2.0, 2.0), False),  # in the hole
        ((1.5, 2.5), False),  # in the hole
        ((5.0, 2.0), False),
        ((-0.1, 2.0), False),
        ((2.0, 4.5), False),
    ],
)
def test_point_in_polygon_with_a_hole(point: tuple[float, float], inside: bool) -> None:
    assert geometry.contains(SQUARE_WITH_HOLE, *point) is inside


def test_multipolygon_contains_points_of_either_part() -> None:
    far = ring((10, 10), (11, 10), (11, 11), (10, 11))
    multi = {"type": "MultiPolygon", "coordinates": [[SQUARE, HOLE], [far]]}
    assert geometry.contains(multi, 10.5, 10.5)
    assert geometry.contains(multi, 0.5, 0.5)
    assert not geometry.contains(multi, 2, 2)
    assert not geometry.contains(multi, 7, 7)


def test_concave_polygon() -> None:
    u_shape = {
        "type": "Polygon",
        "coordinates": [ring((0, 0), (3, 0), (3, 3), (2, 3), (2, 1), (1, 1), (1, 3), (0, 3))],
    }
    assert geometry.contains(u_shape, 0.5, 2.5)
    assert geometry.contains(u_shape, 2.5, 2.5)
    assert not geometry.contains(u_shape, 1.5, 2.0)  # the notch


def test_centroid_of_a_square() -> None:
    square = {"type": "Polygon", "coordinates": [ring((2, 2), (4, 2), (4, 4), (2, 4))]}
    assert geometry.centroid(square) == pytest.approx((3.0, 3.0))


def test_centroid_is_area_weighted_and_orientation_free() -> None:
    # An L of three unit squares: centroid (5/6, 5/6), whichever way the ring runs.
    shape = ring((0, 0), (2, 0), (2, 1), (1, 1), (1, 2), (0, 2))
    clockwise = list(reversed(shape))
    for coordinates in (shape, clockwise):
        polygon = {"type": "Polygon", "coordinates": [coordinates]}
        assert geometry.centroid(polygon) == pytest.approx((5 / 6, 5 / 6))


def test_centroid_of_a_degenerate_ring_falls_back_to_the_box_centre() -> None:
    line = {"type": "Polygon", "coordinates": [ring((0, 0), (2, 0), (4, 0))]}
    assert geometry.centroid(line) == pytest.approx((2.0, 0.0))


def test_bbox() -> None:
    box = geometry.bbox(SQUARE_WITH_HOLE)
    assert (box.min_lon, box.min_lat, box.max_lon, box.max_lat) == (0, 0, 4, 4)
    assert box.contains(4, 4)
    assert not box.contains(4.01, 2)


@pytest.mark.parametrize(
    "shape",
    [
        {"type": "Point", "coordinates": [1, 2]},
        {"type": "Polygon", "coordinates": []},
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]},
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 0]]]},
        {"type": "Polygon", "coordinates": [ring((0, 0), (181, 0), (181, 1))]},
        {"type": "Polygon", "coordinates": [ring((0, 0), (1, 91), (0, 1))]},
        {"type": "Polygon", "coordinates": [ring((0, 0), (float("nan"), 0), (0, 1))]},
        {"type": "Polygon", "coordinates": [ring((0, 0), (1, 0), (0, 1)), [[0, 0]]]},
    ],
    ids=["point", "empty", "unclosed", "short", "lon", "lat", "nan", "bad-hole"],
)
def test_invalid_geometry(shape: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput) as caught:
        geometry.validate_geometry(shape)
    assert caught.value.code == "grid.geometry_invalid"


def test_valid_geometry() -> None:
    geometry.validate_geometry(SQUARE_WITH_HOLE)
    geometry.validate_geometry({"type": "MultiPolygon", "coordinates": [[SQUARE]]})


def test_distance() -> None:
    # One degree of latitude is about 111.2 km.
    assert geometry.distance_m(36.0, 118.0, 37.0, 118.0) == pytest.approx(111_195, rel=1e-3)
    assert geometry.distance_m(36.9, 118.7, 36.9, 118.7) == 0
