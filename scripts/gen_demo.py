#!/usr/bin/python3
# -*- coding: utf-8 -*-
"""Generate the covgap demo scenario for Bắc Giang province (Vietnam).

Synthetic operators' sites, 3G/4G measurements (drive tests and crowdsourced
tests), schools and households over the REAL administrative boundaries in
data/bacgiang/.  Everything except the boundaries is synthetic; the model is
documented in docs/demo-scenario.md.

Only Debian's python3 with numpy, shapely and pyproj is used (no scipy, no pip,
no network).  Same --seed and arguments give byte-identical files.
"""

import argparse
import csv
import datetime
import json
import math
import os
import sys
import time
import unicodedata

import numpy as np
from pyproj import Transformer
from shapely.geometry import shape

GENERATOR_VERSION = 1

OPERATORS = ("viettel", "vnpt", "mobifone")
TECHS = ("LTE", "UMTS")
OP_CODE = {"viettel": "VT", "vnpt": "VNP", "mobifone": "MBF"}

# ---------------------------------------------------------------- directive
DIRECTIVE_LEVELS = (("primary", 11967), ("lower_secondary", 4482),
                    ("upper_secondary", 472), ("continuing_ed", 128))
DIRECTIVE_CATEGORIES = (("poor", 4773), ("near_poor", 3868),
                        ("covid_orphan", 1), ("other_difficulty", 8407))
DIRECTIVE_TOTAL = 17049

# ---------------------------------------------------------------- sites
SITE_COUNTS = {  # operator -> tech -> number of sites (one omni cell each)
    "viettel": {"LTE": 950, "UMTS": 800},
    "vnpt": {"LTE": 820, "UMTS": 640},
    "mobifone": {"LTE": 660, "UMTS": 480},
}
BAND_MHZ = {"LTE": 1800, "UMTS": 2100}
EIRP_RANGE = {"LTE": (60.0, 62.0), "UMTS": (58.0, 61.0)}
HEIGHT_RANGE = (25, 45)
# Poverty/remoteness weight per district short name: more students without a
# device, more poor households and sparser sites in the mountainous east.
DISTRICT_WEIGHT = {
    "Sơn Động": 3.0, "Lục Ngạn": 2.0, "Lục Nam": 1.8, "Yên Thế": 1.8,
    "Lạng Giang": 1.1, "Tân Yên": 1.0, "Yên Dũng": 1.0, "Hiệp Hòa": 0.9,
    "Việt Yên": 0.8, "Bắc Giang": 0.4,
}
# District seats (2009 commune names as in communes.geojson).
DISTRICT_SEAT = {
    "Thành phố Bắc Giang": "Phường Ngô Quyền", "Huyện Yên Thế": "Thị trấn Cầu Gồ",
    "Huyện Tân Yên": "Thị trấn Cao Thượng", "Huyện Lạng Giang": "Thị trấn Vôi",
    "Huyện Lục Nam": "Thị trấn Đồi Ngô", "Huyện Lục Ngạn": "Thị trấn Chũ",
    "Huyện Sơn Động": "Thị trấn An Châu", "Huyện Yên Dũng": "Thị trấn Neo",
    "Huyện Việt Yên": "Thị trấn Bích Động", "Huyện Hiệp Hòa": "Thị trấn Thắng",
}

# ---------------------------------------------------------------- radio model
MOBILE_HEIGHT_M = 1.5
HATA_F_MIN, HATA_F_MAX = 1500.0, 2000.0
MIN_DIST_KM = 0.05
N_CANDIDATES = 10            # best server searched among the nearest N sites
CAND_CELL_M = 1000.0         # candidate lists precomputed per 1 km cell
SHADOW_SIGMA_DB = 8.0
SHADOW_CORR_M = 200.0        # exponential correlation distance (1/e)
SHADOW_GRID_M = 50.0
ENV_GRID_M = 100.0
FAST_FADING_SIGMA_DB = 2.5
TERRAIN_MAX_DB = 12.0        # mean of the smooth ramp, west -> east (hills vary it 0.2x-2x)
TERRAIN_NORTH_DB = 5.0       # hills of Yên Thế (north-west)
TERRAIN_HILL_CORR_M = 2500.0
TERRAIN_VALLEY_CORR_M = 400.0
TERRAIN_VALLEY_DB = 14.0
TERRAIN_CAP_DB = 38.0
RE_PER_CARRIER_DB = 10.0 * math.log10(1200.0)   # LTE 20 MHz: 1200 subcarriers
UMTS_PILOT_DB = 10.0                              # CPICH = 10 % of cell power
NOISE_DBM = {"LTE": -174.0 + 10 * math.log10(18e6) + 7.0,
             "UMTS": -174.0 + 10 * math.log10(3.84e6) + 7.0}
SIGNAL_RANGE = {"LTE": (-140, -43), "UMTS": (-120, -24)}
QUALITY_RANGE = {"LTE": (-19.0, -3.0), "UMTS": (-24.0, 0.0)}

# ---------------------------------------------------------------- measurements
DRIVE_SHARE = 0.6
DRIVE_OP_WEIGHTS = (0.40, 0.35, 0.25)
DRIVE_TECH_WEIGHTS = (0.6, 0.4)
DRIVE_DEVICES_PER_OP = 4
CROWD_OP_WEIGHTS = (0.5, 0.3, 0.2)
CROWD_TECH_WEIGHTS = (0.7, 0.3)
CHUNK_ROWS = 200000
INNER_BUFFER_DEG = 0.0002    # measurement/school/household points stay ~20 m inside

HEADER_MEAS = ("operator,tech,lat,lon,signal_dbm,timestamp,source,device_id,"
               "accuracy_m,quality_db,sinr_db,dl_kbps")
INVALID_KINDS = ("latlon_swapped", "outside_vietnam", "lte_rsrp_out_of_range",
                 "umts_rscp_out_of_range", "timestamp_future", "unknown_operator",
                 "unknown_tech", "signal_not_numeric", "lat_empty",
                 "timestamp_malformed")
# rejection code each kind should get (docs/ingestion.md "Rejection codes")
INVALID_EXPECTED_CODE = {
    "latlon_swapped": "coordinates_swapped", "outside_vietnam": "outside_region",
    "lte_rsrp_out_of_range": "signal_out_of_range", "umts_rscp_out_of_range": "signal_out_of_range",
    "timestamp_future": "time_in_future", "unknown_operator": "unknown_operator",
    "unknown_tech": "unknown_technology", "signal_not_numeric": "not_a_number",
    "lat_empty": "missing_value", "timestamp_malformed": "bad_timestamp",
}

UTM = Transformer.from_crs(4326, 32648, always_xy=True)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def nfc(s):
    return unicodedata.normalize("NFC", s)


# =============================================================== geometry
def polygon_rings(geom):
    """All rings (exterior and holes) of a (Multi)Polygon as Nx2 arrays."""
    polys = list(geom.geoms) if geom.geom_type == "MultiPolygon" else [geom]
    rings = []
    for p in polys:
        if p.is_empty:
            continue
        rings.append(np.asarray(p.exterior.coords)[:, :2])
        for r in p.interiors:
            rings.append(np.asarray(r.coords)[:, :2])
    return rings


class PointInPolygon:
    """Vectorised even-odd point-in-polygon test (shapely 1.8 has no contains_xy).

    Edges are bucketed into horizontal bands; each point is tested only against
    the edges of its band."""

    def __init__(self, geom):
        segs = [np.hstack([r[:-1], r[1:]]) for r in polygon_rings(geom)]
        s = np.vstack(segs) if segs else np.zeros((0, 4))
        s = s[s[:, 1] != s[:, 3]]
        self.ex1, self.ey1, self.ex2, self.ey2 = s[:, 0], s[:, 1], s[:, 2], s[:, 3]
        b = geom.bounds
        self.minx, self.miny, self.maxx, self.maxy = b
        n = len(s)
        self.nb = max(1, n // 3)
        self.h = (self.maxy - self.miny) / self.nb if self.maxy > self.miny else 1.0
        ylo = np.minimum(self.ey1, self.ey2)
        yhi = np.maximum(self.ey1, self.ey2)
        b0 = np.clip(((ylo - self.miny) / self.h).astype(np.int64), 0, self.nb - 1)
        b1 = np.clip(((yhi - self.miny) / self.h).astype(np.int64), 0, self.nb - 1)
        cnt = b1 - b0 + 1
        eidx = np.repeat(np.arange(n), cnt)
        off = np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        band = np.repeat(b0, cnt) + off
        order = np.argsort(band, kind="stable")
        self.band_edges = eidx[order]
        self.band_start = np.searchsorted(band[order], np.arange(self.nb + 1))
        # raster pre-classification: 0 outside, 1 inside, 2 boundary (exact test needed)
        span = max(self.maxx - self.minx, self.maxy - self.miny, 1e-9)
        self.rc = span / 256.0
        self.rnx = int((self.maxx - self.minx) / self.rc) + 1
        self.rny = int((self.maxy - self.miny) / self.rc) + 1
        lab = np.zeros((self.rny, self.rnx), dtype=np.uint8)
        bx0 = ((np.minimum(self.ex1, self.ex2) - self.minx) / self.rc).astype(np.int64)
        bx1 = ((np.maximum(self.ex1, self.ex2) - self.minx) / self.rc).astype(np.int64)
        by0 = ((ylo - self.miny) / self.rc).astype(np.int64)
        by1 = ((yhi - self.miny) / self.rc).astype(np.int64)
        for a0, a1, c0, c1 in zip(bx0, bx1, by0, by1):
            lab[max(c0 - 1, 0):c1 + 2, max(a0 - 1, 0):a1 + 2] = 2
        jj, ii = np.nonzero(lab != 2)
        cx = self.minx + (ii + 0.5) * self.rc
        cy = self.miny + (jj + 0.5) * self.rc
        lab[jj, ii] = self._exact(cx, cy).astype(np.uint8)
        self.lab = lab

    def contains(self, px, py):
        px = np.asarray(px, dtype=np.float64)
        py = np.asarray(py, dtype=np.float64)
        out = np.zeros(px.shape, dtype=bool)
        ok = (px >= self.minx) & (px <= self.maxx) & (py >= self.miny) & (py <= self.maxy)
        idx = np.nonzero(ok)[0]
        if len(idx) == 0:
            return out
        i = np.minimum(((px[idx] - self.minx) / self.rc).astype(np.int64), self.rnx - 1)
        j = np.minimum(((py[idx] - self.miny) / self.rc).astype(np.int64), self.rny - 1)
        lab = self.lab[j, i]
        out[idx] = lab == 1
        b = idx[lab == 2]
        if len(b):
            out[b] = self._exact(px[b], py[b])
        return out

    def _exact(self, px, py):
        px = np.asarray(px, dtype=np.float64)
        py = np.asarray(py, dtype=np.float64)
        out = np.zeros(px.shape, dtype=bool)
        ok = (px >= self.minx) & (px <= self.maxx) & (py >= self.miny) & (py <= self.maxy)
        idx = np.nonzero(ok)[0]
        if len(idx) == 0:
            return out
        bnd = np.clip(((py[idx] - self.miny) / self.h).astype(np.int64), 0, self.nb - 1)
        order = np.argsort(bnd, kind="stable")
        idx = idx[order]
        bnd = bnd[order]
        ub, starts = np.unique(bnd, return_index=True)
        ends = np.append(starts[1:], len(idx))
        for b, s0, s1 in zip(ub, starts, ends):
            e = self.band_edges[self.band_start[b]:self.band_start[b + 1]]
            if len(e) == 0:
                continue
            pts = idx[s0:s1]
            x = px[pts][:, None]
            y = py[pts][:, None]
            x1, y1, x2, y2 = self.ex1[e], self.ey1[e], self.ex2[e], self.ey2[e]
            cond = (y1 > y) != (y2 > y)
            with np.errstate(divide="ignore", invalid="ignore"):
                xint = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
            cross = cond & (x < xint)
            out[pts] = (np.count_nonzero(cross, axis=1) & 1) == 1
        return out


class AreaIndex:
    """First-in-file-order lookup of points in a list of polygons."""

    def __init__(self, geoms):
        self.pips = [PointInPolygon(g) for g in geoms]

    def lookup(self, lon, lat):
        """Index of the first polygon containing each point (-1 if none) and
        the number of polygons containing it."""
        first = np.full(len(lon), -1, dtype=np.int64)
        count = np.zeros(len(lon), dtype=np.int64)
        for k, p in enumerate(self.pips):
            c = p.contains(lon, lat)
            count += c
            first[(first < 0) & c] = k
        return first, count


def to_utm(lon, lat):
    x, y = UTM.transform(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
    return np.asarray(x), np.asarray(y)


def to_lonlat(x, y):
    lon, lat = UTM.transform(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64),
                             direction="INVERSE")
    return np.asarray(lon), np.asarray(lat)


def round6(a):
    return np.round(np.asarray(a, dtype=np.float64), 6)


# =============================================================== data loading
def load_geojson(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def short_commune(name):
    for pre in ("Xã ", "Phường "):
        if name.startswith(pre):
            return name[len(pre):]
    return name  # keep "Thị trấn X" as schools there are named that way


class Province:
    def __init__(self, data_dir):
        prov = load_geojson(os.path.join(data_dir, "province.geojson"))
        self.geom = shape(prov["features"][0]["geometry"])
        self.name = nfc(prov["features"][0]["properties"]["name"])
        self.inner = self.geom.buffer(-INNER_BUFFER_DEG)
        self.pip_inner = PointInPolygon(self.inner)
        self.pip = PointInPolygon(self.geom)

        dist = load_geojson(os.path.join(data_dir, "districts.geojson"))
        self.districts = []
        for f in dist["features"]:
            p = f["properties"]
            self.districts.append({"name": nfc(p["name"]), "short": nfc(p["short_name"]),
                                   "pop": int(p["pop_2009"]), "geom": shape(f["geometry"])})
        self.district_index = AreaIndex([d["geom"] for d in self.districts])

        com = load_geojson(os.path.join(data_dir, "communes.geojson"))
        self.communes = []
        for f in com["features"]:
            p = f["properties"]
            g = shape(f["geometry"])
            self.communes.append({"name": nfc(p["commune_vn"]), "district": nfc(p["district_vn"]),
                                  "pop": int(p["population"]), "area_ha": float(p["area_ha"]),
                                  "geom": g})
        self.commune_index = AreaIndex([c["geom"] for c in self.communes])

        b = self.geom.bounds
        xs, ys = to_utm([b[0], b[2], b[0], b[2]], [b[1], b[1], b[3], b[3]])
        self.utm_bounds = (float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max()))

    def inside(self, lon, lat):
        return self.pip_inner.contains(lon, lat)

    def district_of(self, lon, lat):
        first, _ = self.district_index.lookup(lon, lat)
        return first

    def commune_of(self, lon, lat):
        return self.commune_index.lookup(lon, lat)


# =============================================================== random fields
class Grid:
    def __init__(self, bounds, cell, margin):
        self.x0 = math.floor((bounds[0] - margin) / cell) * cell
        self.y0 = math.floor((bounds[1] - margin) / cell) * cell
        self.cell = cell
        self.nx = int(math.ceil((bounds[2] + margin - self.x0) / cell)) + 1
        self.ny = int(math.ceil((bounds[3] + margin - self.y0) / cell)) + 1

    def node_xy(self):
        xs = self.x0 + self.cell * np.arange(self.nx)
        ys = self.y0 + self.cell * np.arange(self.ny)
        return np.meshgrid(xs, ys)

    def sample(self, field, x, y):
        fx = (x - self.x0) / self.cell
        fy = (y - self.y0) / self.cell
        i = np.clip(np.floor(fx).astype(np.int64), 0, self.nx - 2)
        j = np.clip(np.floor(fy).astype(np.int64), 0, self.ny - 2)
        tx = np.clip(fx - i, 0.0, 1.0)
        ty = np.clip(fy - j, 0.0, 1.0)
        f00 = field[j, i]
        f01 = field[j, i + 1]
        f10 = field[j + 1, i]
        f11 = field[j + 1, i + 1]
        return (f00 * (1 - tx) * (1 - ty) + f01 * tx * (1 - ty)
                + f10 * (1 - tx) * ty + f11 * tx * ty)


def gaussian_random_field(rng, grid, corr_m, kind):
    """Zero-mean unit-variance stationary field by filtering white noise (FFT).
    kind 'exp': exponential correlation exp(-r/corr_m) (Gudmundson shadowing);
    kind 'gauss': Gaussian correlation exp(-r^2/corr_m^2) (smooth terrain)."""
    w = rng.standard_normal((grid.ny, grid.nx))
    ky = np.fft.fftfreq(grid.ny, d=grid.cell)
    kx = np.fft.rfftfreq(grid.nx, d=grid.cell)
    k = np.sqrt(ky[:, None] ** 2 + kx[None, :] ** 2)
    if kind == "exp":
        spec = (1.0 + (2 * np.pi * corr_m * k) ** 2) ** -1.5
    else:
        spec = np.exp(-(np.pi * corr_m * k) ** 2 / 2.0)
    f = np.fft.irfft2(np.fft.rfft2(w) * np.sqrt(spec), s=w.shape)
    f -= f.mean()
    f /= f.std()
    return f.astype(np.float32)


def smoothstep(t):
    t = np.clip(t, 0.0, 1.0)
    return t * t * (3 - 2 * t)


# =============================================================== environment
class Environment:
    """Synthetic terrain loss, urban share and per-operator shadowing fields."""

    def __init__(self, rng, prov, towns):
        t0 = time.time()
        b = prov.utm_bounds
        self.egrid = Grid(b, ENV_GRID_M, 3000.0)
        gx, gy = self.egrid.node_xy()
        (xw, xe), _ = to_utm([106.35, 107.0], [21.35, 21.35])
        _, (ys_, yn_) = to_utm([106.1, 106.1], [21.45, 21.60])
        self.x_west, self.x_east, self.y_s, self.y_n = float(xw), float(xe), float(ys_), float(yn_)
        u = smoothstep((gx - xw) / (xe - xw))
        v = smoothstep((gy - ys_) / (yn_ - ys_)) * (1.0 - u)
        hills = gaussian_random_field(rng, self.egrid, TERRAIN_HILL_CORR_M, "gauss")
        valleys = gaussian_random_field(rng, self.egrid, TERRAIN_VALLEY_CORR_M, "gauss")
        base = TERRAIN_MAX_DB * u + TERRAIN_NORTH_DB * v
        terrain = base * np.clip(1.0 + 0.5 * hills, 0.2, 2.0)
        terrain += TERRAIN_VALLEY_DB * np.clip(valleys - 1.2, 0.0, None) * (0.15 + 0.85 * u)
        self.terrain = np.clip(terrain, 0.0, TERRAIN_CAP_DB).astype(np.float32)
        # urban share (0..1): COST-231 "medium city" inside towns, suburban outside
        urban = np.zeros(gx.shape)
        for t in towns:
            d2 = ((gx - t["x"]) ** 2 + (gy - t["y"]) ** 2) / (t["urban_r"] ** 2)
            urban = np.maximum(urban, np.exp(-d2))
        self.urban = urban.astype(np.float32)
        # shadowing: one independent field per operator
        self.sgrid = Grid(b, SHADOW_GRID_M, 2000.0)
        self.shadow = {}
        for op in OPERATORS:
            self.shadow[op] = gaussian_random_field(rng, self.sgrid, SHADOW_CORR_M, "exp")
        log("environment: terrain %dx%d @%dm, shadowing %dx%d @%dm x %d operators (%.1fs)"
            % (self.egrid.nx, self.egrid.ny, ENV_GRID_M, self.sgrid.nx, self.sgrid.ny,
               SHADOW_GRID_M, len(OPERATORS), time.time() - t0))

    def terrain_at(self, x, y):
        return self.egrid.sample(self.terrain, x, y)

    def urban_at(self, x, y):
        return self.egrid.sample(self.urban, x, y)

    def shadow_at(self, op, x, y):
        return self.sgrid.sample(self.shadow[op], x, y)


# =============================================================== towns, villages
def build_places(rng, prov):
    """Towns (district seats and other urban units) and village points."""
    seats = set(DISTRICT_SEAT.values())
    towns = []
    villages = []   # (lon, lat, commune index, weight)
    for ci, c in enumerate(prov.communes):
        if c["pop"] <= 0:
            continue
        g = c["geom"].intersection(prov.inner)
        if g.is_empty:
            continue
        rp = g.representative_point()
        name = c["name"]
        if name.startswith("Phường") or name.startswith("Thị trấn"):
            if c["district"] == "Thành phố Bắc Giang":
                r, kind = 1000.0, "city"
            elif name in seats:
                r, kind = 700.0, "seat"
            else:
                r, kind = 500.0, "town"
            x, y = to_utm([rp.x], [rp.y])
            towns.append({"name": name, "district": c["district"], "lon": rp.x, "lat": rp.y,
                          "x": float(x[0]), "y": float(y[0]), "urban_r": r, "kind": kind,
                          "pop": c["pop"]})
        # villages: representative point plus more points for populous communes
        nv = 1 + c["pop"] // 3000
        pts = [(rp.x, rp.y)]
        if nv > 1:
            extra = sample_in_area(rng, prov, ci, nv - 1, g)
            pts += list(zip(extra[0], extra[1]))
        for (lo, la) in pts:
            villages.append((lo, la, ci, c["pop"] / nv))
    return towns, np.array(villages)


def sample_in_area(rng, prov, ci, n, geom, centre=None, sigma_deg=None, max_iter=200):
    """n random points inside commune ci (first-in-order, unique commune) and
    inside the province (inner).  Uniform over the polygon, or Gaussian around
    centre when sigma_deg is given."""
    minx, miny, maxx, maxy = geom.bounds
    got_x, got_y = [], []
    need = n
    for _ in range(max_iter):
        if need <= 0:
            break
        m = max(16, need * 4)
        if centre is None:
            lon = rng.uniform(minx, maxx, m)
            lat = rng.uniform(miny, maxy, m)
        else:
            lon = centre[0] + rng.normal(0, sigma_deg, m)
            lat = centre[1] + rng.normal(0, sigma_deg, m)
        lon, lat = round6(lon), round6(lat)
        ok = prov.inside(lon, lat)
        if ok.any():
            first, cnt = prov.commune_of(lon[ok], lat[ok])
            good = np.nonzero(ok)[0][(first == ci) & (cnt == 1)]
            good = good[:need]
            got_x.append(lon[good])
            got_y.append(lat[good])
            need -= len(good)
    if need > 0:  # fall back to uniform sampling
        if centre is not None:
            ex, ey = sample_in_area(rng, prov, ci, need, geom)
            got_x.append(ex)
            got_y.append(ey)
        else:
            raise RuntimeError("cannot place points in commune %d" % ci)
    return np.concatenate(got_x), np.concatenate(got_y)


# =============================================================== sites
def build_sites(rng, prov, towns, env, roads):
    """Sites per operator: UMTS sites on a density-weighted point pattern with a
    minimum spacing, LTE on a subset of them (towns first)."""
    # candidate raster (500 m) with a population-density weight
    g = Grid(prov.utm_bounds, 500.0, 0.0)
    gx, gy = g.node_xy()
    gx = gx.ravel()
    gy = gy.ravel()
    lon, lat = to_lonlat(gx, gy)
    ok = prov.inside(lon, lat)
    gx, gy, lon, lat = gx[ok], gy[ok], lon[ok], lat[ok]
    first, _ = prov.commune_of(lon, lat)
    dens = np.array([c["pop"] / max(c["area_ha"], 1.0) * 100.0 for c in prov.communes])
    d = np.where(first >= 0, dens[np.maximum(first, 0)], np.nan)
    d = np.where(np.isnan(d) | (d <= 0), np.nanmedian(d[d > 0]), d)
    w = np.maximum(d, 30.0) ** 0.5
    urban = env.urban_at(gx, gy)
    w = w * (1.0 + 2.5 * urban)
    terr = env.terrain_at(gx, gy)
    w = w * (1.0 + 0.03 * terr)  # towers on the ridges: slightly more sites per km² in hills
    # operators build along roads: x3 in 500 m cells with a road, x1.8 next to one
    rx = np.concatenate([pl[:, 0] for pl in roads.poly])
    ry = np.concatenate([pl[:, 1] for pl in roads.poly])
    ri = np.clip(np.rint((rx - g.x0) / g.cell).astype(np.int64), 0, g.nx - 1)
    rj = np.clip(np.rint((ry - g.y0) / g.cell).astype(np.int64), 0, g.ny - 1)
    road = np.zeros((g.ny, g.nx), dtype=np.float64)
    road[rj, ri] = 1.0
    near = road.copy()
    near[1:, :] = np.maximum(near[1:, :], road[:-1, :])
    near[:-1, :] = np.maximum(near[:-1, :], road[1:, :])
    near[:, 1:] = np.maximum(near[:, 1:], road[:, :-1])
    near[:, :-1] = np.maximum(near[:, :-1], road[:, 1:])
    rf = np.where(road > 0, 3.0, np.where(near > 0, 1.8, 1.0)).ravel()[ok]
    w = w * rf
    w = w / w.sum()
    area_km2 = 0.25 * len(gx)

    sites = []
    for op in OPERATORS:
        n_u = SITE_COUNTS[op]["UMTS"]
        n_l = SITE_COUNTS[op]["LTE"]
        n_phys = max(n_u, n_l)
        lam = n_phys * w / 0.25            # local sites per km²
        spacing = 0.55 * 1000.0 / np.sqrt(np.maximum(lam, 1e-6))   # metres
        cand = rng.choice(len(gx), size=n_phys * 20, replace=True, p=w)
        jx = rng.uniform(-250, 250, len(cand))
        jy = rng.uniform(-250, 250, len(cand))
        acc_x = np.empty(n_phys)
        acc_y = np.empty(n_phys)
        acc_c = np.empty(n_phys, dtype=np.int64)
        k = 0
        for ci, dx, dy in zip(cand, jx, jy):
            if k >= n_phys:
                break
            x = gx[ci] + dx
            y = gy[ci] + dy
            if k > 0:
                dd = np.hypot(acc_x[:k] - x, acc_y[:k] - y)
                if dd.min() < spacing[ci]:
                    continue
            acc_x[k], acc_y[k], acc_c[k] = x, y, ci
            k += 1
        if k < n_phys:
            raise RuntimeError("could not place %d sites for %s" % (n_phys, op))
        slon, slat = to_lonlat(acc_x, acc_y)
        slon, slat = round6(slon), round6(slat)
        inside = prov.inside(slon, slat)
        # nudge any site that the jitter pushed out of the province onto its raster node
        slon = np.where(inside, slon, round6(lon[acc_c]))
        slat = np.where(inside, slat, round6(lat[acc_c]))
        # UMTS on the first n_u, LTE on the n_l of highest weight (+ noise): towns first
        prio = np.log(w[acc_c]) + rng.normal(0, 0.7, n_phys)
        lte_set = np.zeros(n_phys, dtype=bool)
        lte_set[np.argsort(-prio, kind="stable")[:n_l]] = True
        umts_set = np.zeros(n_phys, dtype=bool)
        umts_set[np.argsort(-(prio + rng.normal(0, 2.0, n_phys)), kind="stable")[:n_u]] = True
        height = rng.integers(HEIGHT_RANGE[0], HEIGHT_RANGE[1] + 1, n_phys)
        terr_site = env.terrain_at(acc_x, acc_y)
        height = np.where(terr_site > 10, np.maximum(height, rng.integers(35, 46, n_phys)), height)
        for tech, sel in (("LTE", lte_set), ("UMTS", umts_set)):
            lo, hi = EIRP_RANGE[tech]
            eirp = np.round(rng.uniform(lo, hi, n_phys), 1)
            for i in np.nonzero(sel)[0]:
                sites.append({
                    "site_id": "%s-BG%04d-%s" % (OP_CODE[op], i + 1, "4G" if tech == "LTE" else "3G"),
                    "operator": op, "tech": tech, "lat": float(slat[i]), "lon": float(slon[i]),
                    "height_m": int(height[i]), "azimuth_deg": "", "band_mhz": BAND_MHZ[tech],
                    "eirp_dbm": float(eirp[i])})
    log("sites: %d (%s) over %.0f km²" % (len(sites), ", ".join(
        "%s %s %d" % (op, t, SITE_COUNTS[op][t]) for op in OPERATORS for t in TECHS), area_km2))
    return sites


class SiteModel:
    """Best-server received power for one operator and technology."""

    def __init__(self, sites, op, tech, bounds):
        s = [x for x in sites if x["operator"] == op and x["tech"] == tech]
        lon = np.array([x["lon"] for x in s])
        lat = np.array([x["lat"] for x in s])
        self.x, self.y = to_utm(lon, lat)
        hb = np.array([x["height_m"] for x in s], dtype=np.float64)
        eirp = np.array([x["eirp_dbm"] for x in s])
        f = min(max(float(BAND_MHZ[tech]), HATA_F_MIN), HATA_F_MAX)
        lf = math.log10(f)
        a_hm = (1.1 * lf - 0.7) * MOBILE_HEIGHT_M - (1.56 * lf - 0.8)
        # COST-231-Hata, medium city (C_m = 0):
        # L = 46.3 + 33.9 log f - 13.82 log hb - a(hm) + (44.9 - 6.55 log hb) log d + C_m
        self.k0 = eirp - (46.3 + 33.9 * lf - 13.82 * np.log10(hb) - a_hm)
        self.slope = 44.9 - 6.55 * np.log10(hb)
        # suburban correction (Okumura-Hata): -2 [log(f/28)]^2 - 5.4 dB
        self.suburban_gain = 2.0 * math.log10(f / 28.0) ** 2 + 5.4
        self.tech = tech
        self.noise = NOISE_DBM[tech]
        # candidate lists per 1 km cell: nearest N_CANDIDATES sites to the centre
        self.cg = Grid(bounds, CAND_CELL_M, 5000.0)
        cx, cy = self.cg.node_xy()
        cx = cx.ravel() + CAND_CELL_M / 2
        cy = cy.ravel() + CAND_CELL_M / 2
        k = min(N_CANDIDATES, len(self.x))
        cand = np.empty((len(cx), k), dtype=np.int32)
        for a in range(0, len(cx), 4096):
            d2 = (cx[a:a + 4096, None] - self.x[None, :]) ** 2 + (cy[a:a + 4096, None] - self.y[None, :]) ** 2
            part = np.argpartition(d2, k - 1, axis=1)[:, :k]
            cand[a:a + 4096] = part
        self.cand = cand

    def best(self, x, y):
        """(best-server power before clutter/terrain/shadowing [dBm], interference
        from the other candidates relative to it [dB])."""
        i = np.clip(((x - self.cg.x0) / CAND_CELL_M).astype(np.int64), 0, self.cg.nx - 1)
        j = np.clip(((y - self.cg.y0) / CAND_CELL_M).astype(np.int64), 0, self.cg.ny - 1)
        c = self.cand[j * self.cg.nx + i]
        d = np.hypot(self.x[c] - x[:, None], self.y[c] - y[:, None]) / 1000.0
        d = np.maximum(d, MIN_DIST_KM)
        p = self.k0[c] - self.slope[c] * np.log10(d)
        b = p.max(axis=1)
        lin = np.power(10.0, (p - b[:, None]) / 10.0)
        other = np.maximum(lin.sum(axis=1) - 1.0, 1e-9)
        return b, 10.0 * np.log10(other)


# =============================================================== schools / households
def largest_remainder(total, weights, caps=None):
    """Integer allocation of total proportional to weights (Hamilton method),
    respecting optional caps; ties broken by index."""
    w = np.asarray(weights, dtype=np.float64)
    n = len(w)
    alloc = np.zeros(n, dtype=np.int64)
    caps = np.full(n, np.iinfo(np.int64).max) if caps is None else np.asarray(caps, dtype=np.int64)
    if caps.sum() < total:
        raise ValueError("caps too small for %d" % total)
    remaining = total
    free = caps > 0
    while remaining > 0:
        ww = np.where(free, w, 0.0)
        if ww.sum() <= 0:
            ww = free.astype(np.float64)
        q = remaining * ww / ww.sum()
        base = np.floor(q).astype(np.int64)
        rem = remaining - base.sum()
        frac = q - base
        order = np.lexsort((np.arange(n), -frac))
        extra = np.zeros(n, dtype=np.int64)
        extra[order[:rem]] = 1
        add = base + extra
        room = caps - alloc
        add = np.minimum(add, room)
        alloc += add
        remaining = total - alloc.sum()
        free = alloc < caps
    return alloc


def build_schools(rng, prov):
    t0 = time.time()
    recs = []   # dicts before allocation

    def place(ci, n, near_centre=True):
        c = prov.communes[ci]
        g = c["geom"].intersection(prov.inner)
        rp = g.representative_point()
        sig = 0.25 * math.sqrt(max(c["area_ha"], 10.0) / 100.0) / 111.0
        return sample_in_area(rng, prov, ci, n, g, centre=(rp.x, rp.y) if near_centre else None,
                              sigma_deg=sig)

    dist_by_name = {d["name"]: d for d in prov.districts}
    for ci, c in enumerate(prov.communes):
        if c["pop"] <= 0:
            continue
        if c["geom"].intersection(prov.inner).is_empty:
            continue
        sn = short_commune(c["name"])
        n_prim = 2 if c["pop"] >= 10000 else 1
        lon, lat = place(ci, n_prim + 1)
        for k in range(n_prim):
            nm = "Trường Tiểu học %s%s" % (sn, (" số %d" % (k + 1)) if n_prim > 1 else "")
            st = int(np.clip(round(c["pop"] * 0.085 / n_prim * rng.lognormal(0, 0.15)), 150, 900))
            recs.append({"name": nm, "level": "primary", "ci": ci, "lon": lon[k], "lat": lat[k],
                         "students": st})
        st = int(np.clip(round(c["pop"] * 0.06 * rng.lognormal(0, 0.15)), 200, 900))
        recs.append({"name": "Trường THCS %s" % sn, "level": "lower_secondary", "ci": ci,
                     "lon": lon[n_prim], "lat": lat[n_prim], "students": st})
    for d in prov.districts:
        seat = DISTRICT_SEAT[d["name"]]
        cis = [i for i, c in enumerate(prov.communes) if c["district"] == d["name"] and c["pop"] > 0
               and not c["geom"].intersection(prov.inner).is_empty]
        seat_ci = [i for i in cis if prov.communes[i]["name"] == seat][0]
        n_thpt = 4 if d["pop"] >= 180000 else (3 if d["pop"] >= 120000 else 2)
        others = sorted([i for i in cis if i != seat_ci], key=lambda i: (-prov.communes[i]["pop"], i))
        hosts = [seat_ci] + others[:n_thpt - 1]
        short = d["short"]
        for k, ci in enumerate(hosts):
            lon, lat = place(ci, 1)
            st = int(np.clip(round(d["pop"] * 0.03 / n_thpt * rng.lognormal(0, 0.12)), 600, 1800))
            recs.append({"name": "Trường THPT %s số %d" % (short, k + 1), "level": "upper_secondary",
                         "ci": ci, "lon": lon[0], "lat": lat[0], "students": st})
        lon, lat = place(seat_ci, 1)
        prefix = "thành phố " if d["name"].startswith("Thành phố") else ""
        st = int(np.clip(round(d["pop"] * 0.0025 * rng.lognormal(0, 0.2)), 150, 600))
        recs.append({"name": "Trung tâm GDNN-GDTX %s%s" % (prefix, short), "level": "continuing_ed",
                     "ci": seat_ci, "lon": lon[0], "lat": lat[0], "students": st})
    lon = np.array([r["lon"] for r in recs])
    lat = np.array([r["lat"] for r in recs])
    di = prov.district_of(lon, lat)
    for r, k in zip(recs, di):
        d = prov.districts[k] if k >= 0 else dist_by_name[prov.communes[r["ci"]]["district"]]
        r["district"] = d["name"]
        r["dweight"] = DISTRICT_WEIGHT[d["short"]]
        r["commune"] = prov.communes[r["ci"]]["name"]
    # students without a device: exact directive totals per level
    for level, total in DIRECTIVE_LEVELS:
        idx = [i for i, r in enumerate(recs) if r["level"] == level]
        wts = np.array([recs[i]["students"] * recs[i]["dweight"] for i in idx])
        wts = wts * rng.lognormal(0, 0.3, len(idx))
        caps = np.array([recs[i]["students"] for i in idx])
        alloc = largest_remainder(total, wts, caps)
        for i, a in zip(idx, alloc):
            recs[i]["nodev"] = int(a)
    # ids: order by level, district, name
    level_rank = {lv: k for k, (lv, _) in enumerate(DIRECTIVE_LEVELS)}
    lvl_code = {"primary": "TH", "lower_secondary": "THCS", "upper_secondary": "THPT",
                "continuing_ed": "GDTX"}
    recs.sort(key=lambda r: (level_rank[r["level"]], r["district"], r["commune"], r["name"]))
    cnt = {}
    for r in recs:
        cnt[r["level"]] = cnt.get(r["level"], 0) + 1
        r["school_id"] = "BG-%s-%03d" % (lvl_code[r["level"]], cnt[r["level"]])
    log("schools: %d (%s) (%.1fs)" % (len(recs), ", ".join(
        "%s %d" % (lv, cnt.get(lv, 0)) for lv, _ in DIRECTIVE_LEVELS), time.time() - t0))
    return recs


def build_households(rng, prov, schools):
    t0 = time.time()
    host = [s for s in schools if s["level"] in ("primary", "lower_secondary")]
    base_w = np.array([max(s["nodev"], 0.5) for s in host], dtype=np.float64)
    dw = np.array([s["dweight"] for s in host])
    hs = []
    for cat, total in DIRECTIVE_CATEGORIES:
        if cat == "covid_orphan":
            sizes = np.array([1] * total, dtype=np.int64)
        else:
            draw = rng.choice([1, 2, 3], size=total, p=[0.55, 0.32, 0.13])
            cs = np.cumsum(draw)
            m = int(np.searchsorted(cs, total))   # first index with cs >= total
            sizes = draw[:m + 1].copy()
            sizes[-1] = total - (cs[m - 1] if m > 0 else 0)
        if cat in ("poor", "covid_orphan"):
            w = base_w * dw ** 0.8
        elif cat == "near_poor":
            w = base_w * dw ** 0.4
        else:
            w = base_w / dw ** 0.3
        w = w / w.sum()
        pick = rng.choice(len(host), size=len(sizes), p=w)
        for sz, k in zip(sizes, pick):
            hs.append({"category": cat, "nodev": int(sz), "host": int(k)})
    n = len(hs)
    hk = np.array([h["host"] for h in hs])
    slon = np.array([host[k]["lon"] for k in hk])
    slat = np.array([host[k]["lat"] for k in hk])
    area = np.array([prov.communes[host[k]["ci"]]["area_ha"] for k in hk])
    sig = np.minimum(0.3 * np.sqrt(np.maximum(area, 10.0) / 100.0), 2.0) / 111.0   # degrees
    lon = np.zeros(n)
    lat = np.zeros(n)
    todo = np.arange(n)
    for _ in range(100):
        if len(todo) == 0:
            break
        cl = round6(slon[todo] + rng.normal(0, 1, len(todo)) * sig[todo])
        ca = round6(slat[todo] + rng.normal(0, 1, len(todo)) * sig[todo])
        ok = prov.inside(cl, ca)
        lon[todo[ok]] = cl[ok]
        lat[todo[ok]] = ca[ok]
        todo = todo[~ok]
        sig[todo] *= 0.7
    lon[todo] = slon[todo]
    lat[todo] = slat[todo]
    di = prov.district_of(lon, lat)
    ci, _ = prov.commune_of(lon, lat)
    perm = rng.permutation(n)
    out = []
    for new_i, old in enumerate(perm):
        h = hs[old]
        out.append({"household_id": "HH%06d" % (new_i + 1), "category": h["category"],
                    "lat": float(lat[old]), "lon": float(lon[old]), "nodev": h["nodev"],
                    "district": prov.districts[di[old]]["name"] if di[old] >= 0 else "",
                    "commune": prov.communes[ci[old]]["name"] if ci[old] >= 0 else ""})
    log("households: %d (%s) (%.1fs)" % (n, ", ".join(
        "%s %d" % (c, sum(1 for h in out if h["category"] == c)) for c, _ in DIRECTIVE_CATEGORIES),
        time.time() - t0))
    return out


# =============================================================== roads & drive tests
class RoadNetwork:
    """Road-like polylines between village/town points: each point is joined to
    its 3 nearest neighbours plus a minimum spanning tree; each edge wiggles."""

    def __init__(self, rng, prov, towns, villages):
        # one node per commune (its first village point) + towns
        seen = set()
        pts = []
        for lo, la, ci, _ in villages:
            if int(ci) in seen:
                continue
            seen.add(int(ci))
            pts.append((lo, la))
        lon = np.array([p[0] for p in pts])
        lat = np.array([p[1] for p in pts])
        x, y = to_utm(lon, lat)
        n = len(x)
        self.nx, self.ny = x, y
        d = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])
        edges = set()
        nn = np.argsort(d, axis=1, kind="stable")[:, 1:4]
        for i in range(n):
            for j in nn[i]:
                edges.add((min(i, int(j)), max(i, int(j))))
        # Prim's MST for connectivity
        intree = np.zeros(n, dtype=bool)
        intree[0] = True
        best = d[0].copy()
        parent = np.zeros(n, dtype=np.int64)
        for _ in range(n - 1):
            cand = np.where(intree, np.inf, best)
            j = int(np.argmin(cand))
            edges.add((min(j, int(parent[j])), max(j, int(parent[j]))))
            intree[j] = True
            upd = d[j] < best
            parent[upd] = j
            best = np.minimum(best, d[j])
        self.edges = sorted(edges)
        self.adj = [[] for _ in range(n)]
        self.poly = []
        self.length = []
        for k, (a, b) in enumerate(self.edges):
            ax, ay, bx, by = x[a], y[a], x[b], y[b]
            L = math.hypot(bx - ax, by - ay)
            m = max(2, int(math.ceil(L / 30.0)) + 1)
            t = np.linspace(0.0, 1.0, m)
            off = np.zeros(m)
            for h in (1, 2, 3):
                off += rng.normal(0, 0.05 / h) * np.sin(h * np.pi * t)
            ux, uy = (bx - ax) / L, (by - ay) / L
            px = ax + t * (bx - ax) - uy * off * L
            py = ay + t * (by - ay) + ux * off * L
            xy = np.column_stack([px, py])
            self.poly.append(xy)
            self.length.append(float(np.hypot(np.diff(px), np.diff(py)).sum()))
            self.adj[a].append((k, b))
            self.adj[b].append((k, a))
        self.visits = np.zeros(len(self.edges))
        self.total_km = sum(self.length) / 1000.0
        log("roads: %d nodes, %d edges, %.0f km" % (n, len(self.edges), self.total_km))

    def route(self, rng, length_m):
        """Random walk from a random node until length_m, avoiding U-turns and
        preferring edges that were driven less."""
        node = int(rng.integers(len(self.nx)))
        prev_edge = -1
        parts = []
        total = 0.0
        while total < length_m:
            opts = [(k, b) for (k, b) in self.adj[node] if k != prev_edge] or self.adj[node]
            w = np.array([1.0 / (1.0 + self.visits[k]) ** 2 for k, _ in opts])
            k, nxt = opts[int(rng.choice(len(opts), p=w / w.sum()))]
            self.visits[k] += 1
            xy = self.poly[k]
            if self.edges[k][0] != node:
                xy = xy[::-1]
            parts.append(xy if not parts else xy[1:])
            total += self.length[k]
            prev_edge = k
            node = nxt
        return np.vstack(parts)


class DriveStream:
    def __init__(self, rng, prov, roads, t_start, t_end):
        self.rng, self.prov, self.roads = rng, prov, roads
        self.t_start, self.t_end = t_start, t_end
        self.buf = []
        self.nbuf = 0
        self.runs = 0
        self.devices = ["dt-%s-%02d" % (op, k + 1) for op in OPERATORS
                        for k in range(DRIVE_DEVICES_PER_OP)]

    def _run(self):
        rng = self.rng
        op = int(rng.choice(3, p=DRIVE_OP_WEIGHTS))
        tech = int(rng.choice(2, p=DRIVE_TECH_WEIGHTS))
        dev = op * DRIVE_DEVICES_PER_OP + int(rng.integers(DRIVE_DEVICES_PER_OP))
        n = int(rng.integers(600, 2401))             # 10-40 minutes at 1 sample/s
        v0 = rng.uniform(7.0, 13.0)
        period = rng.uniform(60.0, 300.0)
        phase = rng.uniform(0, 2 * np.pi)
        tt = np.arange(n, dtype=np.float64)
        speed = v0 * (1.0 + 0.3 * np.sin(2 * np.pi * tt / period + phase))
        s = np.concatenate([[0.0], np.cumsum(speed[:-1])])
        path = self.roads.route(rng, s[-1] + 1.0)
        seg = np.hypot(np.diff(path[:, 0]), np.diff(path[:, 1]))
        cum = np.concatenate([[0.0], np.cumsum(seg)])
        x = np.interp(s, cum, path[:, 0])
        y = np.interp(s, cum, path[:, 1])
        acc = np.round(rng.uniform(3.0, 8.0, n), 1)
        x = x + rng.normal(0, 1, n) * acc / 2.0
        y = y + rng.normal(0, 1, n) * acc / 2.0
        lon, lat = to_lonlat(x, y)
        lon, lat = round6(lon), round6(lat)
        # start time: a working day hour (07:30-16:00 local = 00:30-09:00 UTC)
        days = max(1, int((self.t_end - self.t_start) // 86400))
        day0 = self.t_start - (self.t_start % 86400)
        start = day0 + int(rng.integers(days)) * 86400 + int(rng.integers(1800, 32400))
        while start + n > self.t_end:
            start -= 86400
        start = max(start, self.t_start)
        t = start + np.arange(n, dtype=np.int64)
        ok = self.prov.inside(lon, lat) & (t < self.t_end) & (t >= self.t_start)
        k = int(ok.sum())
        self.runs += 1
        return {"lon": lon[ok], "lat": lat[ok], "t": t[ok], "acc": acc[ok],
                "op": np.full(k, op, np.int8), "tech": np.full(k, tech, np.int8),
                "dev": np.full(k, dev, np.int64)}

    def take(self, n):
        while self.nbuf < n:
            r = self._run()
            self.buf.append(r)
            self.nbuf += len(r["lon"])
        cat = {k: np.concatenate([b[k] for b in self.buf]) for k in self.buf[0]} if self.buf else None
        if cat is None:
            return None
        out = {k: v[:n] for k, v in cat.items()}
        rest = {k: v[n:] for k, v in cat.items()}
        self.buf = [rest]
        self.nbuf = len(rest["lon"])
        return out


class CrowdStream:
    """Handsets with a home location (towns, villages, schools, households) and
    one operator; each sample is near home (or out and about)."""

    def __init__(self, rng, prov, towns, villages, schools, households, n_total, t_start, t_end,
                 n_drive_devices):
        self.rng, self.prov = rng, prov
        self.t_start, self.t_end = t_start, t_end
        H = int(max(50, n_total // 25))
        # home mixture
        kind = rng.choice(4, size=H, p=[0.35, 0.40, 0.10, 0.15])
        hl = np.zeros(H)
        ha = np.zeros(H)
        # towns
        tw = np.array([{"city": 6.0, "seat": 2.0, "town": 1.0}[t["kind"]] * t["pop"] for t in towns])
        ti = rng.choice(len(towns), size=H, p=tw / tw.sum())
        tlon = np.array([t["lon"] for t in towns])
        tlat = np.array([t["lat"] for t in towns])
        tr = np.array([t["urban_r"] for t in towns]) / 111000.0
        vi = rng.choice(len(villages), size=H, p=villages[:, 3] / villages[:, 3].sum())
        si = rng.integers(len(schools), size=H)
        hi = rng.integers(len(households), size=H)
        slon = np.array([s["lon"] for s in schools])
        slat = np.array([s["lat"] for s in schools])
        hlon = np.array([h["lon"] for h in households])
        hlat = np.array([h["lat"] for h in households])
        clon = np.select([kind == 0, kind == 1, kind == 2], [tlon[ti], villages[vi, 0], slon[si]], hlon[hi])
        clat = np.select([kind == 0, kind == 1, kind == 2], [tlat[ti], villages[vi, 1], slat[si]], hlat[hi])
        sig = np.select([kind == 0, kind == 1, kind == 2], [tr[ti], np.full(H, 250 / 111000.0),
                                                             np.full(H, 100 / 111000.0)],
                        np.full(H, 50 / 111000.0))
        todo = np.arange(H)
        for _ in range(60):
            if len(todo) == 0:
                break
            cl = round6(clon[todo] + rng.normal(0, 1, len(todo)) * sig[todo])
            ca = round6(clat[todo] + rng.normal(0, 1, len(todo)) * sig[todo])
            ok = prov.inside(cl, ca)
            hl[todo[ok]] = cl[ok]
            ha[todo[ok]] = ca[ok]
            todo = todo[~ok]
            sig[todo] *= 0.6
        hl[todo] = clon[todo]
        ha[todo] = clat[todo]
        self.hx, self.hy = to_utm(hl, ha)
        self.hop = rng.choice(3, size=H, p=CROWD_OP_WEIGHTS).astype(np.int8)
        self.by_op = [np.nonzero(self.hop == k)[0] for k in range(3)]
        for k in range(3):   # every operator needs at least one handset
            if len(self.by_op[k]) == 0:
                self.hop[k] = k
                self.by_op = [np.nonzero(self.hop == j)[0] for j in range(3)]
        self.activity = rng.lognormal(0, 0.8, H)
        self.op_p = [self.activity[b] / self.activity[b].sum() for b in self.by_op]
        # opaque handset ids "h" + 8 hex, unique
        ids = rng.integers(0, 2 ** 32, size=H * 2, dtype=np.uint64)
        _, first = np.unique(ids, return_index=True)
        ids = ids[np.sort(first)][:H]
        self.names = ["h%08x" % int(v) for v in ids]
        self.dev_offset = n_drive_devices
        self.H = H
        # diurnal profile (local hour, UTC+7)
        prof = np.array([1, 0.5, 0.3, 0.3, 0.4, 1, 3, 5, 6, 6, 6, 6, 7, 6, 6, 6, 6, 7, 8, 9, 9, 8, 5, 2],
                        dtype=np.float64)
        self.hour_p = prof / prof.sum()

    def take(self, n):
        rng = self.rng
        op = rng.choice(3, size=n, p=CROWD_OP_WEIGHTS).astype(np.int8)
        hs = np.empty(n, dtype=np.int64)
        for k in range(3):
            m = op == k
            hs[m] = self.by_op[k][rng.choice(len(self.by_op[k]), size=int(m.sum()), p=self.op_p[k])]
        tech = rng.choice(2, size=n, p=CROWD_TECH_WEIGHTS).astype(np.int8)
        acc = np.round(np.clip(rng.lognormal(math.log(12.0), 0.5, n), 5.0, 40.0), 1)
        away = rng.random(n) < 0.25
        spread = np.where(away, 1500.0, 80.0)
        lon = np.zeros(n)
        lat = np.zeros(n)
        todo = np.arange(n)
        for _ in range(40):
            if len(todo) == 0:
                break
            x = self.hx[hs[todo]] + rng.normal(0, 1, len(todo)) * (spread[todo] + acc[todo] / 2.0)
            y = self.hy[hs[todo]] + rng.normal(0, 1, len(todo)) * (spread[todo] + acc[todo] / 2.0)
            lo, la = to_lonlat(x, y)
            lo, la = round6(lo), round6(la)
            ok = self.prov.inside(lo, la)
            lon[todo[ok]] = lo[ok]
            lat[todo[ok]] = la[ok]
            todo = todo[~ok]
            spread[todo] *= 0.5
        if len(todo):
            lo, la = to_lonlat(self.hx[hs[todo]], self.hy[hs[todo]])
            lon[todo], lat[todo] = round6(lo), round6(la)
        days = max(1, int((self.t_end - self.t_start) // 86400))
        day0 = self.t_start - (self.t_start % 86400)
        hour = rng.choice(24, size=n, p=self.hour_p)
        t = (day0 + rng.integers(days, size=n) * 86400 + ((hour - 7) % 24) * 3600
             + rng.integers(3600, size=n)).astype(np.int64)
        t = np.where(t >= self.t_end, t - 86400 * ((t - self.t_end) // 86400 + 1), t)
        t = np.where(t < self.t_start, t + 86400, t)
        t = np.minimum(t, self.t_end - 1)
        return {"lon": lon, "lat": lat, "t": t, "acc": acc, "op": op, "tech": tech,
                "dev": hs + self.dev_offset}


# =============================================================== signal model
def compute_radio(rng, env, models, d):
    """Adds signal, quality, sinr, dl columns to the sample dict d (in place)."""
    n = len(d["lon"])
    x, y = to_utm(d["lon"], d["lat"])
    d["x"], d["y"] = x, y
    sig = np.zeros(n, dtype=np.int64)
    qual = np.zeros(n)
    sinr = np.full(n, np.nan)
    dl = np.full(n, np.nan)
    terrain = env.terrain_at(x, y)
    urban = env.urban_at(x, y)
    fade = rng.normal(0, FAST_FADING_SIGMA_DB, n)
    load = rng.uniform(0.2, 0.9, n)
    share = rng.uniform(0.05, 0.6, n)
    qnoise = rng.normal(0, 1.0, n)
    for oi, op in enumerate(OPERATORS):
        m_op = d["op"] == oi
        if not m_op.any():
            continue
        shadow = np.zeros(n)
        idx_op = np.nonzero(m_op)[0]
        shadow[idx_op] = env.shadow_at(op, x[idx_op], y[idx_op]) * SHADOW_SIGMA_DB
        for ti, tech in enumerate(TECHS):
            idx = np.nonzero(m_op & (d["tech"] == ti))[0]
            if len(idx) == 0:
                continue
            mdl = models[(op, tech)]
            best, rel_i = mdl.best(x[idx], y[idx])
            rx = (best + (1.0 - urban[idx]) * mdl.suburban_gain - terrain[idx] - shadow[idx])
            # interference from the other candidate cells shares the local losses
            i_dbm = rx + rel_i + 10 * np.log10(load[idx])
            in_dbm = 10 * np.log10(np.power(10.0, i_dbm / 10) + 10 ** (mdl.noise / 10))
            sinr_db = rx - in_dbm + qnoise[idx] * 1.5
            rx_meas = rx + fade[idx]
            lo, hi = SIGNAL_RANGE[tech]
            sl = np.power(10.0, np.clip(sinr_db, -30, 40) / 10)
            if tech == "LTE":
                s = np.rint(rx_meas - RE_PER_CARRIER_DB)
                rho = 1.0 / 6.0 + (5.0 / 6.0) * load[idx]
                q = -10 * np.log10(12 * (rho + 1.0 / sl)) + qnoise[idx] * 0.5
                sinr[idx] = np.round(np.clip(sinr_db, -10.0, 30.0), 1)
                rate = 20000.0 * 0.75 * np.log2(1 + sl) * share[idx]
                rate = np.minimum(rate, 150000.0)
            else:
                s = np.rint(rx_meas - UMTS_PILOT_DB)
                q = 10 * np.log10(0.1 / (load[idx] + 1.0 / sl)) + qnoise[idx] * 0.5
                rate = np.minimum(5000.0 * 0.55 * np.log2(1 + sl) * share[idx], 21000.0)
            sig[idx] = np.clip(s, lo, hi).astype(np.int64)
            qlo, qhi = QUALITY_RANGE[tech]
            qual[idx] = np.round(np.clip(q, qlo, qhi), 1)
            dl[idx] = np.floor(rate)
    # throughput only for part of the tests (drive: data sessions; crowd: speed tests)
    has_dl = rng.random(n) < np.where(d["src"] == 0, 0.5, 0.7)
    dl = np.where(has_dl, dl, np.nan)
    d["signal"], d["quality"], d["sinr"], d["dl"] = sig, qual, sinr, dl


# =============================================================== CSV byte writer
def _digits(v, nd):
    pw = 10 ** np.arange(nd - 1, -1, -1, dtype=np.int64)
    d = (v[:, None] // pw) % 10
    out = (d + 48).astype(np.uint8)
    lead = v[:, None] < pw
    lead[:, -1] = False
    out[lead] = 0
    return out


def col_int(v, nd, empty=None):
    v = np.asarray(v, dtype=np.int64)
    a = np.abs(v)
    if len(a) and a.max() >= 10 ** nd:
        raise ValueError("integer too wide for column")
    sign = np.where(v < 0, 45, 0).astype(np.uint8)[:, None]
    out = np.hstack([sign, _digits(a, nd)])
    if empty is not None:
        out[empty] = 0
    return out


def col_fixed(x, dec, nd, empty=None):
    x = np.asarray(x, dtype=np.float64)
    if empty is not None:
        x = np.where(empty, 0.0, x)
    s = np.rint(x * 10 ** dec).astype(np.int64)
    a = np.abs(s)
    ip = a // 10 ** dec
    fp = a % 10 ** dec
    if len(ip) and ip.max() >= 10 ** nd:
        raise ValueError("number too wide for column")
    sign = np.where(s < 0, 45, 0).astype(np.uint8)[:, None]
    fpw = 10 ** np.arange(dec - 1, -1, -1, dtype=np.int64)
    frac = ((fp[:, None] // fpw) % 10 + 48).astype(np.uint8)
    dot = np.full((len(x), 1), 46, dtype=np.uint8)
    out = np.hstack([sign, _digits(ip, nd), dot, frac])
    if empty is not None:
        out[empty] = 0
    return out


def str_table(strings):
    enc = [s.encode("utf-8") for s in strings]
    w = max(1, max(len(e) for e in enc))
    t = np.zeros((len(enc), w), dtype=np.uint8)
    for i, e in enumerate(enc):
        t[i, :len(e)] = np.frombuffer(e, dtype=np.uint8)
    return t


def col_time(t):
    s = np.datetime_as_string(t.astype("datetime64[s]"), unit="s").astype("S19")
    b = np.frombuffer(s.tobytes(), dtype=np.uint8).reshape(-1, 19)
    return np.hstack([b, np.full((len(t), 1), 90, dtype=np.uint8)])   # 'Z'


class MeasurementWriter:
    def __init__(self, path, device_names):
        self.f = open(path, "wb")
        self.f.write((HEADER_MEAS + "\n").encode("ascii"))
        self.t_op = str_table(OPERATORS)
        self.t_tech = str_table(TECHS)
        self.t_src = str_table(("drive", "crowd"))
        self.t_dev = str_table(device_names)

    def encode(self, d):
        n = len(d["lon"])
        comma = np.full((n, 1), 44, dtype=np.uint8)
        nl = np.full((n, 1), 10, dtype=np.uint8)
        is_lte = d["tech"] == 0
        blocks = [self.t_op[d["op"]], comma, self.t_tech[d["tech"]], comma,
                  col_fixed(d["lat"], 6, 3), comma, col_fixed(d["lon"], 6, 3), comma,
                  col_int(d["signal"], 3), comma, col_time(d["t"]), comma,
                  self.t_src[d["src"]], comma, self.t_dev[d["dev"]], comma,
                  col_fixed(d["acc"], 1, 3), comma, col_fixed(d["quality"], 1, 2), comma,
                  col_fixed(d["sinr"], 1, 2, empty=~is_lte), comma,
                  col_int(np.nan_to_num(d["dl"]).astype(np.int64), 6, empty=np.isnan(d["dl"])), nl]
        m = np.hstack(blocks)
        lens = np.count_nonzero(m, axis=1)
        buf = m.ravel()
        return buf[buf != 0].tobytes(), lens

    def write(self, d, inserts):
        """inserts: list of (local row index, line bytes) to put before that row."""
        data, lens = self.encode(d)
        if not inserts:
            self.f.write(data)
            return
        offs = np.concatenate([[0], np.cumsum(lens)])
        pos = 0
        for row, line in inserts:
            o = int(offs[min(row, len(lens))])
            self.f.write(data[pos:o])
            self.f.write(line)
            pos = o
        self.f.write(data[pos:])

    def write_raw(self, line):
        self.f.write(line)

    def close(self):
        self.f.close()


def iso(t):
    return datetime.datetime.fromtimestamp(int(t), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def make_invalid_rows(rng, k_total, towns, t_start, t_end):
    """K invalid rows cycling through INVALID_KINDS; each has exactly one fault."""
    rows = []
    counts = {k: 0 for k in INVALID_KINDS}
    for j in range(k_total):
        kind = INVALID_KINDS[j % len(INVALID_KINDS)]
        counts[kind] += 1
        tw = towns[int(rng.integers(len(towns)))]
        lat = tw["lat"] + rng.normal(0, 0.005)
        lon = tw["lon"] + rng.normal(0, 0.005)
        op = OPERATORS[int(rng.integers(3))]
        tech = TECHS[int(rng.integers(2))]
        sig = int(rng.integers(-110, -70)) if tech == "LTE" else int(rng.integers(-100, -60))
        ts = iso(int(rng.integers(t_start, t_end)))
        dev = "h%08x" % int(rng.integers(0, 2 ** 32))
        acc = "%.1f" % rng.uniform(5, 40)
        f = {"operator": op, "tech": tech, "lat": "%.6f" % lat, "lon": "%.6f" % lon,
             "signal_dbm": str(sig), "timestamp": ts, "source": "crowd", "device_id": dev,
             "accuracy_m": acc, "quality_db": "", "sinr_db": "", "dl_kbps": ""}
        if kind == "latlon_swapped":
            f["lat"], f["lon"] = "%.6f" % lon, "%.6f" % lat
        elif kind == "outside_vietnam":
            f["lat"], f["lon"] = "%.6f" % (13.75 + rng.normal(0, 0.05)), "%.6f" % (100.50 + rng.normal(0, 0.05))
        elif kind == "lte_rsrp_out_of_range":
            f["tech"], f["signal_dbm"] = "LTE", "-150"
        elif kind == "umts_rscp_out_of_range":
            f["tech"], f["signal_dbm"] = "UMTS", "-10"
        elif kind == "timestamp_future":
            f["timestamp"] = "2099" + ts[4:].replace("-02-29T", "-02-28T")   # 2099 is no leap year
        elif kind == "unknown_operator":
            f["operator"] = "acme"
        elif kind == "unknown_tech":
            f["tech"], f["signal_dbm"] = "WIMAX", str(int(rng.integers(-100, -70)))
        elif kind == "signal_not_numeric":
            f["signal_dbm"] = "abc"
        elif kind == "lat_empty":
            f["lat"] = ""
        elif kind == "timestamp_malformed":
            f["timestamp"] = "yesterday"
        line = ",".join(f[c] for c in HEADER_MEAS.split(",")) + "\n"
        rows.append(line.encode("utf-8"))
    return rows, counts


# =============================================================== reference analysis
class BinnedReference:
    """Reference 'binned' classification of 100 m cells (domain.md) computed
    from the rounded lat/lon written to measurements.csv."""

    def __init__(self, cell=100.0):
        self.cell = cell
        self.parts = []

    def add(self, d):
        grp = (d["op"].astype(np.int64) * 2 + d["tech"].astype(np.int64))
        ix = np.floor(d["x"] / self.cell).astype(np.int64)
        iy = np.floor(d["y"] / self.cell).astype(np.int64)
        key = (grp << 48) | ((ix + 2 ** 23) << 24) | (iy + 2 ** 23)
        self.parts.append((key, d["signal"].astype(np.int16)))

    def result(self, min_samples=3):
        if not self.parts:
            return {}
        key = np.concatenate([p[0] for p in self.parts])
        sig = np.concatenate([p[1] for p in self.parts])
        self.parts = []
        order = np.lexsort((sig, key))
        key = key[order]
        sig = sig[order].astype(np.float64)
        starts = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
        ends = np.append(starts[1:], len(key))
        n = ends - starts
        med = (sig[starts + (n - 1) // 2] + sig[starts + n // 2]) / 2.0
        ckey = key[starts]
        grp = ckey >> 48
        out = {}
        for oi, op in enumerate(OPERATORS):
            for ti, tech in enumerate(TECHS):
                good_t, dead_t = (-105, -115) if tech == "LTE" else (-95, -105)
                m = grp == oi * 2 + ti
                nn, mm, kk = n[m], med[m], ckey[m]
                meas = nn >= min_samples
                good = meas & (mm >= good_t)
                dead = meas & (mm < dead_t)
                weak = meas & ~good & ~dead
                gapk = kk[weak | dead]
                ix = ((gapk >> 24) & (2 ** 24 - 1)) - 2 ** 23
                iy = (gapk & (2 ** 24 - 1)) - 2 ** 23
                out["%s/%s" % (op, tech)] = {
                    "cells_with_samples": int(m.sum()), "unmeasured": int((~meas).sum()),
                    "good": int(good.sum()), "weak": int(weak.sum()), "dead": int(dead.sum()),
                    "gaps": count_components(ix, iy), "samples": int(nn.sum())}
        return out


def count_components(ix, iy):
    """Number of 4-connected components of a set of grid cells."""
    cells = {(int(a), int(b)) for a, b in zip(ix, iy)}
    seen = set()
    comps = 0
    for c in sorted(cells):
        if c in seen:
            continue
        comps += 1
        stack = [c]
        seen.add(c)
        while stack:
            a, b = stack.pop()
            for nb in ((a + 1, b), (a - 1, b), (a, b + 1), (a, b - 1)):
                if nb in cells and nb not in seen:
                    seen.add(nb)
                    stack.append(nb)
    return comps


# =============================================================== output helpers
def write_csv(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow([nfc(v) if isinstance(v, str) else v for v in r])


def parse_as_of(s):
    s = s.strip()
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    dt = datetime.datetime.fromisoformat(s)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.timezone.utc)
    return int(dt.timestamp())


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="gen_demo.py",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Generate the synthetic covgap demo scenario for Bắc Giang province over the\n"
            "real boundaries in --data: operators' sites, 3G/4G measurements (drive tests\n"
            "and crowdsourced tests) with realistic coverage gaps, schools and households\n"
            "whose students-without-a-device add up exactly to the December 2021 directive\n"
            "(17,049 students).  Deterministic: same --seed and arguments give byte-identical\n"
            "files.  Model and file formats: docs/demo-scenario.md."),
        epilog=(
            "output files in DIR:\n"
            "  measurements.csv  " + HEADER_MEAS + "\n"
            "  sites.csv         site_id,operator,tech,lat,lon,height_m,azimuth_deg,band_mhz,eirp_dbm\n"
            "  schools.csv       school_id,name,level,district,commune,lat,lon,students,students_nodev\n"
            "  households.csv    household_id,category,lat,lon,students_nodev,district,commune\n"
            "  scenario.json     seed, as-of, all counts, directive totals, reference 100 m cell classes\n"
            "\nexample:\n"
            "  scripts/gen_demo.py --out /tmp/demo --seed 42 --measurements 300000 --invalid 20\n"))
    ap.add_argument("--out", required=True, metavar="DIR", help="output directory (created if missing)")
    ap.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    ap.add_argument("--measurements", type=int, default=300000, metavar="N",
                    help="number of valid measurement rows (default 300000; 60%% drive, 40%% crowd)")
    ap.add_argument("--invalid", type=int, default=0, metavar="K",
                    help="append K invalid rows spread through measurements.csv, cycling through "
                         "10 kinds of fault (default 0)")
    ap.add_argument("--as-of", default="2021-12-01T00:00:00Z", metavar="TIME",
                    help="ISO 8601 UTC time; all valid timestamps are before it "
                         "(default 2021-12-01T00:00:00Z)")
    ap.add_argument("--days", type=int, default=180,
                    help="measurements spread over this many days before --as-of (default 180)")
    ap.add_argument("--data", default=None, metavar="DIR",
                    help="boundary data folder (default: data/bacgiang next to this script's repo)")
    args = ap.parse_args(argv)
    if args.measurements < 0 or args.invalid < 0 or args.days < 1 or args.seed < 0:
        ap.error("--measurements, --invalid and --seed must be >= 0, --days >= 1")
    if args.data is None:
        here = os.path.dirname(os.path.abspath(__file__))
        cand = os.path.join(os.path.dirname(here), "data", "bacgiang")
        args.data = cand if os.path.isdir(cand) else os.path.join("data", "bacgiang")
    try:
        as_of = parse_as_of(args.as_of)
    except ValueError:
        ap.error("--as-of must be ISO 8601, e.g. 2021-12-01T00:00:00Z")
    t_end = as_of
    t_start = as_of - args.days * 86400
    T0 = time.time()
    os.makedirs(args.out, exist_ok=True)

    ss = np.random.SeedSequence(args.seed)
    (r_env, r_places, r_sites, r_schools, r_house, r_roads, r_drive, r_crowd, r_radio,
     r_invalid) = [np.random.default_rng(s) for s in ss.spawn(10)]

    prov = Province(args.data)
    log("boundaries: %s, %d districts, %d communes (%s)" % (prov.name, len(prov.districts),
                                                             len(prov.communes), args.data))
    towns, villages = build_places(r_places, prov)
    log("places: %d towns, %d village points" % (len(towns), len(villages)))
    env = Environment(r_env, prov, towns)
    roads = RoadNetwork(r_roads, prov, towns, villages)
    sites = build_sites(r_sites, prov, towns, env, roads)
    schools = build_schools(r_schools, prov)
    households = build_households(r_house, prov, schools)

    # ---- static files
    write_csv(os.path.join(args.out, "sites.csv"),
              ["site_id", "operator", "tech", "lat", "lon", "height_m", "azimuth_deg", "band_mhz",
               "eirp_dbm"],
              [[s["site_id"], s["operator"], s["tech"], "%.6f" % s["lat"], "%.6f" % s["lon"],
                s["height_m"], s["azimuth_deg"], s["band_mhz"], "%.1f" % s["eirp_dbm"]] for s in sites])
    write_csv(os.path.join(args.out, "schools.csv"),
              ["school_id", "name", "level", "district", "commune", "lat", "lon", "students",
               "students_nodev"],
              [[s["school_id"], s["name"], s["level"], s["district"], s["commune"], "%.6f" % s["lat"],
                "%.6f" % s["lon"], s["students"], s["nodev"]] for s in schools])
    write_csv(os.path.join(args.out, "households.csv"),
              ["household_id", "category", "lat", "lon", "students_nodev", "district", "commune"],
              [[h["household_id"], h["category"], "%.6f" % h["lat"], "%.6f" % h["lon"], h["nodev"],
                h["district"], h["commune"]] for h in households])

    # ---- measurements
    models = {(op, tech): SiteModel(sites, op, tech, prov.utm_bounds) for op in OPERATORS for tech in TECHS}
    N = args.measurements
    n_drive = int(round(N * DRIVE_SHARE))
    n_crowd = N - n_drive
    drive = DriveStream(r_drive, prov, roads, t_start, t_end)
    crowd = CrowdStream(r_crowd, prov, towns, villages, schools, households, n_crowd, t_start, t_end,
                        len(drive.devices))
    log("measurements: %d (drive %d%%, crowd %d%%), %d crowd handsets, chunks of %d"
        % (N, round(100 * DRIVE_SHARE), 100 - round(100 * DRIVE_SHARE), crowd.H, CHUNK_ROWS))
    writer = MeasurementWriter(os.path.join(args.out, "measurements.csv"), drive.devices + crowd.names)
    inv_rows, inv_counts = make_invalid_rows(r_invalid, args.invalid, towns, t_start, t_end)
    K = len(inv_rows)
    inv_pos = [((j + 1) * N) // (K + 1) for j in range(K)]   # before valid row inv_pos[j]
    ref = BinnedReference()
    cnt_src = np.zeros(2, dtype=np.int64)
    cnt_ot = np.zeros((3, 2), dtype=np.int64)
    nch = max(1, -(-N // CHUNK_ROWS))
    written = 0
    ji = 0
    for c in range(nch):
        nd = (c + 1) * n_drive // nch - c * n_drive // nch
        nc = (c + 1) * n_crowd // nch - c * n_crowd // nch
        parts = []
        if nd > 0:
            dd = drive.take(nd)
            dd["src"] = np.zeros(nd, dtype=np.int8)
            parts.append(dd)
        if nc > 0:
            cc = crowd.take(nc)
            cc["src"] = np.ones(nc, dtype=np.int8)
            parts.append(cc)
        if not parts:
            continue
        d = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
        compute_radio(r_radio, env, models, d)
        n = len(d["lon"])
        ins = []
        while ji < K and inv_pos[ji] < written + n:
            ins.append((inv_pos[ji] - written, inv_rows[ji]))
            ji += 1
        writer.write(d, ins)
        ref.add(d)
        cnt_src += np.bincount(d["src"], minlength=2)
        np.add.at(cnt_ot, (d["op"], d["tech"]), 1)
        written += n
        log("  chunk %d/%d: %d rows (%d drive runs so far) %.1fs" % (c + 1, nch, written, drive.runs,
                                                                       time.time() - T0))
    while ji < K:
        writer.write_raw(inv_rows[ji])
        ji += 1
    writer.close()
    log("invalid rows: %d (%s)" % (K, ", ".join("%s %d" % (k, v) for k, v in inv_counts.items())))
    refres = ref.result()
    by_code = {}
    for kind in INVALID_KINDS:
        code = INVALID_EXPECTED_CODE[kind]
        by_code[code] = by_code.get(code, 0) + inv_counts[kind]

    # ---- scenario.json
    def by_level(key):
        return {lv: sum(s[key] if key != "n" else 1 for s in schools if s["level"] == lv)
                for lv, _ in DIRECTIVE_LEVELS}

    def by_cat(key):
        return {c: sum(h[key] if key != "n" else 1 for h in households if h["category"] == c)
                for c, _ in DIRECTIVE_CATEGORIES}

    scen = {
        "generator": "scripts/gen_demo.py", "generator_version": GENERATOR_VERSION,
        "seed": args.seed, "as_of": iso(as_of), "days": args.days,
        "window_start": iso(t_start), "measurements_requested": N, "invalid_requested": args.invalid,
        "crs": {"input": "EPSG:4326", "analysis": "EPSG:32648"},
        "province": prov.name,
        "files": {"measurements": "measurements.csv", "sites": "sites.csv", "schools": "schools.csv",
                  "households": "households.csv"},
        "counts": {
            "sites": {op: {t: sum(1 for s in sites if s["operator"] == op and s["tech"] == t)
                           for t in TECHS} for op in OPERATORS},
            "sites_total": len(sites),
            "measurements": {
                "rows": N + K, "valid": N, "invalid": K,
                "by_source": {"drive": int(cnt_src[0]), "crowd": int(cnt_src[1])},
                "by_operator": {op: int(cnt_ot[i].sum()) for i, op in enumerate(OPERATORS)},
                "by_tech": {t: int(cnt_ot[:, j].sum()) for j, t in enumerate(TECHS)},
                "by_operator_tech": {"%s/%s" % (op, t): int(cnt_ot[i, j])
                                     for i, op in enumerate(OPERATORS) for j, t in enumerate(TECHS)},
                "drive_runs": drive.runs, "drive_devices": len(drive.devices),
                "crowd_handsets": crowd.H,
            },
            "invalid_by_kind": inv_counts,
            "invalid_expected_code": dict(INVALID_EXPECTED_CODE),
            "invalid_by_expected_code": by_code,
            "schools_by_level": by_level("n"),
            "schools_total": len(schools),
            "school_students_nodev_by_level": by_level("nodev"),
            "households_by_category": by_cat("n"),
            "households_total": len(households),
            "household_students_nodev_by_category": by_cat("nodev"),
        },
        "directive": {
            "source": "UBND tỉnh Bắc Giang, December 2021, programme \"Sóng và máy tính cho em\"",
            "counted_on": "2021-11-30", "report_deadline": "2021-12-20",
            "students_nodev_total": DIRECTIVE_TOTAL,
            "students_nodev_by_level": dict(DIRECTIVE_LEVELS),
            "students_nodev_by_household_category": dict(DIRECTIVE_CATEGORIES),
        },
        "reference_binned": {
            "note": "binned method of docs/domain.md on the valid rows as written (rounded lat/lon), "
                    "all within the default 365-day evidence window",
            "crs": "EPSG:32648", "cell_size_m": 100, "min_samples": 3,
            "thresholds": {"LTE": {"good": -105, "dead": -115}, "UMTS": {"good": -95, "dead": -105}},
            "by_operator_tech": refres,
        },
        "model": {
            "path_loss": "COST-231-Hata, hm=1.5 m, f clamped to 1500-2000 MHz, d >= 0.05 km, "
                         "medium city in towns, suburban correction elsewhere",
            "shadowing_sigma_db": SHADOW_SIGMA_DB, "shadowing_corr_m": SHADOW_CORR_M,
            "terrain": "synthetic, up to %.0f dB (cap %.0f dB) toward the east" % (TERRAIN_MAX_DB, TERRAIN_CAP_DB),
            "fast_fading_sigma_db": FAST_FADING_SIGMA_DB,
            "lte_rsrp_offset_db": round(RE_PER_CARRIER_DB, 2), "umts_pilot_offset_db": UMTS_PILOT_DB,
        },
    }
    with open(os.path.join(args.out, "scenario.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(scen, f, ensure_ascii=False, indent=2)
        f.write("\n")
    for key, r in refres.items():
        meas = r["good"] + r["weak"] + r["dead"]
        log("  cells %-14s measured %6d good %6d weak %5d dead %5d gaps %4d (%.1f%% not good)"
            % (key, meas, r["good"], r["weak"], r["dead"], r["gaps"],
               100.0 * (r["weak"] + r["dead"]) / max(meas, 1)))
    log("done: %d sites, %d measurement rows (%d valid, %d invalid; drive %d, crowd %d), %d schools, "
        "%d households, %d students without a device -> %s (%.1fs)"
        % (len(sites), N + K, N, K, cnt_src[0], cnt_src[1], len(schools), len(households),
           DIRECTIVE_TOTAL, args.out, time.time() - T0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
