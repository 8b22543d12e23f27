"""dev-6: independent phrasing-and-data set (format version 2), written without reading any product code.

Pure numpy + pandas, deterministic (one fixed seed per schema). `datasets()` returns the uploads, `TRUTH` the
generator's causal facts. Running this file (python generate.py) rebuilds cases.json next to it and prints
oracle checks (truth vs. an oracle estimate that knows the true design vs. the naive difference).
"""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd

# --------------------------------------------------------------------------------------------------
# Effect parameters (single source of truth for both the data and TRUTH)
# --------------------------------------------------------------------------------------------------
IRR_MM = 0.012              # grain_fields: yield_t_ha per mm of irrigation (IV: water quota from a ballot)
IRR_PROTEIN = 0.004         # grain_fields: protein_pct per mm of irrigation
LOY_MONTH = 9.0             # loyalty_members: spend12mGBP per month in the scheme
LOY_MEAN_MONTHS = 6.5       # loyaltyMonths ~ uniform integers 1..12 among members, independent of covariates
LOY_JOIN = LOY_MONTH * LOY_MEAN_MONTHS      # 58.5 GBP, yes/no effect
WARD_EROSTER = -1.2         # ward_rostering: falls_per_1k_bd, e-rostering switched on (staggered)
WARD_SICK = -0.4            # ward_rostering: staff_sick_pct
MEALS_ATTEND = 1.8          # school_meals: attend_pct after Kirkby went universal free meals (from 2022-09)
MEALS_TAKEUP = 22.0         # school_meals: lunch_takeup_pct
FARE_CAP = 6.5              # transit_fares: boardings_k per route-month once the fare cap is on (2022-01)
AB_CONV = {"ios": 0.06, "android": 0.06, "web": 0.02}   # checkout_ab: conversion probability, new checkout
AB_BASKET = 2.5             # checkout_ab: basket_usd
TOU_PEAK = -4.0             # tou_tariff: peak_share_pct, time-of-use tariff (kwh_2021 >= 4000)
TOU_KWH = -150.0            # tou_tariff: kwh_2022
COACH_MISSED = -0.9         # credit_coaching: missed_pmts_12m, mandatory coaching (cr_score < 600)
COACH_SAVE = 220.0          # credit_coaching: savings_bal_usd
VOUCH_BURDEN = -12.0        # housing_lottery: rent_burden_pct, using a voucher (IV: lottery win)
VOUCH_EARN = 1.5            # housing_lottery: earnings_k
ALT_DIRECT = 0.06           # altitude_camp: vo2_post per camp night (direct)
ALT_HB = 0.04               # altitude_camp: hb_end_gdl per camp night
HB_VO2 = 1.5                # altitude_camp: vo2_post per g/dL of haemoglobin
ALT_NIGHT = ALT_DIRECT + ALT_HB * HB_VO2     # 0.12 vo2 per night (total)
ALT_MEAN_NIGHTS = 17.5      # camp_nights ~ uniform integers 7..28 among campers, independent of covariates
ALT_CAMP = ALT_NIGHT * ALT_MEAN_NIGHTS       # 2.1, yes/no effect on vo2_post
ALT_TT_NIGHT = -3.0         # altitude_camp: tt_20k_s per camp night
ALT_TT_CAMP = ALT_TT_NIGHT * ALT_MEAN_NIGHTS  # -52.5
FLEX = {"North": -3.0, "Scotland": -2.0, "South": -1.0, "Midlands": -1.0}   # flex_work: sick_days_yr


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _months(start: str, n: int) -> list[str]:
    return [str(p) for p in pd.period_range(start, periods=n, freq="M")]


def _sprinkle_na(df: pd.DataFrame, col: str, frac: float, rng: np.random.Generator) -> None:
    idx = rng.choice(len(df), size=int(frac * len(df)), replace=False)
    df.loc[df.index[idx], col] = np.nan


# --------------------------------------------------------------------------------------------------
# 1. grain fields: continuous instrument (water quota from a historical ballot), unmeasured farmer skill
# --------------------------------------------------------------------------------------------------
def grain_fields() -> pd.DataFrame:
    r = _rng(701)
    n = 1800
    skill = r.normal(0, 1, n)
    soil = r.choice([1, 2, 3, 4], n, p=[0.2, 0.35, 0.3, 0.15])
    quota = np.round(r.uniform(2, 12, n), 2)
    irr = np.clip(60 + 14 * quota + 30 * skill + 8 * (soil == 4) + r.normal(0, 20, n), 0, None)
    n_kg = np.round(r.normal(140, 25, n) + 10 * (soil >= 3), 0)
    rain = np.round(r.normal(310, 60, n), 0)
    y = (2.6 + IRR_MM * irr + 0.55 * skill + 0.25 * soil + 0.004 * n_kg + 0.002 * rain + r.normal(0, 0.45, n))
    prot = 10.5 + IRR_PROTEIN * irr + 0.3 * skill + r.normal(0, 0.6, n)
    ndvi = np.clip(0.35 + 0.0009 * irr + 0.03 * skill + r.normal(0, 0.04, n), 0, 1)
    df = pd.DataFrame({
        "field_id": [f"FLD-{i:05d}" for i in r.choice(np.arange(1, 40000), n, replace=False)],
        "district": r.choice(["Wimmera", "Mallee", "Riverina", "Darling Downs"], n),
        "soil_cls": soil,
        "quota_ML": quota,
        "irrig_mm": np.round(irr, 1),
        "N_kg_ha": n_kg,
        "rain_mm_season": rain,
        "farmer_age": r.integers(24, 78, n),
        "ndvi_jul": np.round(ndvi, 3),
        "yield_t_ha": np.round(y, 2),
        "protein_pct": np.round(prot, 2),
    })
    _sprinkle_na(df, "rain_mm_season", 0.05, r)
    _sprinkle_na(df, "ndvi_jul", 0.03, r)
    return df


# --------------------------------------------------------------------------------------------------
# 2. retail loyalty: strong confounder priorSpendGBP, yes/no + dose pair, collider couponsRedeemed
# --------------------------------------------------------------------------------------------------
def loyalty_members() -> pd.DataFrame:
    r = _rng(702)
    n = 4000
    age = r.integers(18, 80, n).astype(float)
    prior = np.round(r.gamma(3, 120, n), 2)
    email = r.random(n) < 0.55
    p = 1 / (1 + np.exp(-(-1.6 + 0.004 * prior + 0.4 * email)))
    joined = r.random(n) < p
    months = np.where(joined, r.integers(1, 13, n), 0)
    spend = 60 + 0.8 * prior + 0.6 * age + 15 * email + LOY_MONTH * months + r.normal(0, 60, n)
    coupons = r.poisson(np.clip(0.5 + 2.0 * joined + 0.006 * spend, 0.1, None))
    df = pd.DataFrame({
        "custId": np.sort(r.choice(np.arange(100000, 999999), n, replace=False)),
        "storeRegion": r.choice(["NE", "NW", "Mids", "SE", "SW"], n),
        "ageYrs": age,
        "emailOptIn": np.where(email, "Y", "N"),
        "priorSpendGBP": prior,
        "joinedLoyalty": np.where(joined, "yes", "no"),
        "loyaltyMonths": months,
        "couponsRedeemed": coupons,
        "spend12mGBP": np.round(spend, 2),
    })
    _sprinkle_na(df, "ageYrs", 0.04, r)
    return df


# --------------------------------------------------------------------------------------------------
# 3. hospital wards: staggered e-rostering, quarters "2019Q1"..., post-treatment agency_shift_hrs
# --------------------------------------------------------------------------------------------------
def ward_rostering() -> pd.DataFrame:
    r = _rng(703)
    sites = ["St Aldric", "Kingsmead", "Royal Vale", "Northbrook"]
    specs = ["MED", "SURG", "ORTH", "ELD", "RESP", "CARD", "STRK", "GEN"]
    wards = [f"{s[:3].upper().replace(' ', '')}-{sp}" for s in sites for sp in specs]  # 32
    quarters = [f"{y}Q{q}" for y in range(2019, 2024) for q in range(1, 5)]  # 20
    n = len(wards)
    base = r.normal(6.0, 1.0, n)
    order = np.argsort(-(base + r.normal(0, 0.5, n)))   # wards with more falls adopt first
    cohorts = ["2020Q3"] * 7 + ["2021Q2"] * 7 + ["2022Q1"] * 7 + [None] * 11
    start = [None] * n
    for k, i in enumerate(order):
        start[i] = cohorts[k]
    beds = r.integers(18, 36, n)
    rows = []
    for i, w in enumerate(wards):
        for t, q in enumerate(quarters):
            on = int(start[i] is not None and q >= start[i])
            winter = 0.5 * (q.endswith("Q1") or q.endswith("Q4"))
            falls = base[i] - 0.03 * t + winter + WARD_EROSTER * on + r.normal(0, 0.6)
            sick = 5.0 + 0.2 * (base[i] - 6) + 0.4 * winter + WARD_SICK * on + r.normal(0, 0.5)
            agency = max(0.0, 300 + 8 * beds[i] - 90 * on + r.normal(0, 40))
            rows.append((w, sites[i // 8], q, beds[i], on, round(falls, 2), round(sick, 2), round(agency, 0),
                         round(r.uniform(0.78, 0.99), 3)))
    df = pd.DataFrame(rows, columns=["ward_cd", "site", "qtr", "beds", "e_roster", "falls_per_1k_bd",
                                     "staff_sick_pct", "agency_shift_hrs", "bed_occ_rate"])
    _sprinkle_na(df, "bed_occ_rate", 0.05, r)
    return df


# --------------------------------------------------------------------------------------------------
# 4. school meals: no treatment column, Kirkby LA went universal free meals from September 2022
# --------------------------------------------------------------------------------------------------
def school_meals() -> pd.DataFrame:
    r = _rng(704)
    las = ["Kirkby"] * 15 + ["Ashdale"] * 16 + ["Marston"] * 15 + ["Fenwick"] * 14
    months = _months("2021-01", 30)
    n = len(las)
    urns = r.choice(np.arange(100000, 150000), n, replace=False)
    fsm = np.round(np.clip(r.normal(22, 8, n) + 6 * (np.array(las) == "Kirkby"), 3, 60), 1)
    pupils = r.integers(120, 620, n)
    base_att = 95.0 - 0.08 * fsm + r.normal(0, 0.7, n)
    base_take = 45 + 0.5 * fsm + r.normal(0, 4, n)
    rows = []
    for i in range(n):
        for t, m in enumerate(months):
            on = int(las[i] == "Kirkby" and m >= "2022-09")
            mo = int(m[-2:])
            winter = -1.0 * (mo in (12, 1, 2))
            att = base_att[i] + winter + 0.01 * t + MEALS_ATTEND * on + r.normal(0, 0.6)
            take = base_take[i] + 0.05 * t + MEALS_TAKEUP * on + r.normal(0, 3)
            staff = round(pupils[i] / 110 + 0.04 * take / 10 + r.normal(0, 0.2), 1)
            rows.append((int(urns[i]), las[i], m, int(pupils[i]), fsm[i], round(min(att, 100), 2), round(take, 1),
                         staff))
    df = pd.DataFrame(rows, columns=["school_urn", "local_auth", "month", "pupils_n", "fsm_elig_pct", "attend_pct",
                                     "lunch_takeup_pct", "kitchen_fte"])
    _sprinkle_na(df, "kitchen_fte", 0.04, r)
    return df


# --------------------------------------------------------------------------------------------------
# 5. bus routes: one switch-on date (fare cap on 16 routes from 2022-01)
# --------------------------------------------------------------------------------------------------
def transit_fares() -> pd.DataFrame:
    r = _rng(705)
    n = 40
    routes = [f"{k}{s}" for k, s in zip(r.choice(np.arange(1, 99), n, replace=False), r.choice(["", "", "A", "X"], n))]
    months = _months("2020-07", 36)
    base = r.normal(48, 10, n)
    treated = np.zeros(n, bool)
    treated[np.argsort(base + r.normal(0, 4, n))[:16]] = True   # low-ridership corridors got the cap
    km = np.round(r.uniform(6, 28, n), 1)
    depots = ["Eastgate", "Millbank", "Southmoor"]
    rows = []
    for i in range(n):
        for t, m in enumerate(months):
            on = int(treated[i] and m >= "2022-01")
            recovery = 8 * (1 - np.exp(-t / 8))      # post-pandemic recovery, common to all routes
            board = base[i] + recovery + FARE_CAP * on + r.normal(0, 2.2)
            crowd = 0.9 * board / (km[i] + 10) + r.normal(0, 0.1)
            rev = board * (1.75 - 0.35 * on) + r.normal(0, 3)
            rows.append((routes[i], depots[i % 3], m, km[i], on, round(board, 2), round(crowd, 2), round(rev, 1)))
    df = pd.DataFrame(rows, columns=["route_no", "depot", "month", "route_km", "fare_cap", "boardings_k",
                                     "crowding_idx", "farebox_rev_k"])
    _sprinkle_na(df, "crowding_idx", 0.05, r)
    return df


# --------------------------------------------------------------------------------------------------
# 6. software A/B: randomised new checkout, conversion effect differs by platform
# --------------------------------------------------------------------------------------------------
def checkout_ab() -> pd.DataFrame:
    r = _rng(706)
    n = 5000
    plat = r.choice(["ios", "android", "web"], n, p=[0.3, 0.25, 0.45])
    arm = r.random(n) < 0.5
    prior = r.poisson(1.5, n)
    base = 0.18 + 0.03 * np.minimum(prior, 5) - 0.03 * (plat == "android")
    eff = np.array([AB_CONV[p] for p in plat])
    conv = (r.random(n) < base + eff * arm).astype(int)
    basket = 38 + 4 * np.minimum(prior, 5) + AB_BASKET * arm + r.normal(0, 12, n)
    steps = np.clip(np.round(2 + 2.5 * conv + 0.6 * arm + r.normal(0, 0.8, n)), 0, 6).astype(int)
    df = pd.DataFrame({
        "sessionId": [f"s_{x:08x}" for x in r.choice(np.arange(10**7, 10**9), n, replace=False)],
        "platform": plat,
        "countryCd": r.choice(["US", "GB", "DE", "FR", "CA"], n, p=[0.4, 0.2, 0.15, 0.15, 0.1]),
        "priorOrders": prior,
        "new_checkout": np.where(arm, "true", "false"),
        "pageLoadMs": np.round(r.gamma(4, 220, n) + 300 * (plat == "web"), 0),
        "basket_usd": np.round(basket, 2),
        "steps_done": steps,
        "converted": conv,
    })
    _sprinkle_na(df, "pageLoadMs", 0.06, r)
    return df


# --------------------------------------------------------------------------------------------------
# 7. energy: households using 4000 kWh or more in 2021 were moved to a time-of-use tariff (RDD, above)
# --------------------------------------------------------------------------------------------------
def tou_tariff() -> pd.DataFrame:
    r = _rng(707)
    n = 3000
    occ = r.choice([1, 2, 3, 4, 5], n, p=[0.2, 0.32, 0.2, 0.2, 0.08])
    dwell = r.choice(["flat", "terraced", "semi", "detached"], n, p=[0.25, 0.3, 0.3, 0.15])
    ev = r.random(n) < 0.12
    kwh21 = np.round(np.clip(2200 + 420 * occ + 600 * (dwell == "detached") + 900 * ev + r.normal(0, 700, n), 600, None), 0)
    tou = kwh21 >= 4000
    peak = 38 - 0.0012 * (kwh21 - 4000) + 1.5 * ev + TOU_PEAK * tou + r.normal(0, 3, n)
    kwh22 = 0.92 * kwh21 + 80 * occ + TOU_KWH * tou + r.normal(0, 250, n)
    logins = r.poisson(np.where(tou, 9, 3))
    df = pd.DataFrame({
        "acct_no": np.sort(r.choice(np.arange(5_000_000, 5_090_000), n, replace=False)),
        "dwelling": dwell,
        "occupants": occ.astype(float),
        "has_ev": np.where(ev, "Y", "N"),
        "kwh_2021": kwh21,
        "tou_tariff": np.where(tou, "Y", "N"),
        "app_logins": logins,
        "peak_share_pct": np.round(peak, 2),
        "kwh_2022": np.round(kwh22, 0),
    })
    _sprinkle_na(df, "occupants", 0.05, r)
    return df


# --------------------------------------------------------------------------------------------------
# 8. credit union: members scoring below 600 get mandatory financial coaching (RDD, below)
# --------------------------------------------------------------------------------------------------
def credit_coaching() -> pd.DataFrame:
    r = _rng(708)
    n = 2500
    inc = np.round(r.gamma(4, 11, n), 1)
    score = np.clip(np.round(640 + 0.6 * (inc - 44) + r.normal(0, 55, n)), 400, 850).astype(int)
    coach = score < 600
    missed = np.clip(4.2 - 0.006 * (score - 600) - 0.01 * (inc - 44) + COACH_MISSED * coach + r.normal(0, 0.9, n), 0, None)
    save = 900 + 3.0 * (score - 600) + 15 * (inc - 44) + COACH_SAVE * coach + r.normal(0, 300, n)
    sessions = np.where(coach, r.integers(1, 9, n), 0)
    df = pd.DataFrame({
        "member_ref": [f"CU{x}" for x in np.sort(r.choice(np.arange(20000, 80000), n, replace=False))],
        "branch": r.choice(["Downtown", "Lakeside", "Westfield", "Airport Rd"], n),
        "age": r.integers(19, 75, n),
        "income_k": inc,
        "cr_score": score,
        "fin_coach": coach.astype(int),
        "sessions_attended": sessions,
        "missed_pmts_12m": np.round(missed, 2),
        "savings_bal_usd": np.round(save, 2),
    })
    _sprinkle_na(df, "income_k", 0.04, r)
    return df


# --------------------------------------------------------------------------------------------------
# 9. housing vouchers: binary instrument (waitlist lottery), unmeasured motivation drives take-up
# --------------------------------------------------------------------------------------------------
def housing_lottery() -> pd.DataFrame:
    r = _rng(709)
    n = 2200
    win = r.random(n) < 0.4
    motiv = r.normal(0, 1, n)
    inc = np.round(r.gamma(5, 4.2, n), 1)
    size = r.choice([1, 2, 3, 4, 5, 6], n, p=[0.15, 0.25, 0.25, 0.2, 0.1, 0.05])
    p_use = np.where(win, 0.55 + 0.12 * motiv, 0.06 + 0.04 * motiv)
    used = r.random(n) < np.clip(p_use, 0.01, 0.99)
    # motivated households have lower rent burden and higher earnings anyway
    burden = 52 - 0.35 * (inc - 21) - 4 * motiv + 1.0 * size + VOUCH_BURDEN * used + r.normal(0, 6, n)
    earn = 0.9 * inc + 2.0 * motiv + VOUCH_EARN * used + r.normal(0, 3, n)
    pov = 28 - 7 * used - 2 * motiv + r.normal(0, 5, n)
    df = pd.DataFrame({
        "hh_id": np.arange(1, n + 1) * 3 + r.integers(0, 3, n),
        "metro": r.choice(["Fresno", "Tulsa", "Dayton", "Spokane"], n),
        "hh_size": size,
        "base_income_k": inc,
        "lottery_win": np.where(win, "Y", "N"),
        "used_voucher": np.where(used, "Y", "N"),
        "nbhd_pov_pct": np.round(np.clip(pov, 1, None), 1),
        "rent_burden_pct": np.round(burden, 1),
        "earnings_k": np.round(earn, 2),
    })
    _sprinkle_na(df, "base_income_k", 0.04, r)
    return df


# --------------------------------------------------------------------------------------------------
# 10. altitude camps: strong confounder vo2_pre, yes/no + dose pair, mediator hb_end_gdl
# --------------------------------------------------------------------------------------------------
def altitude_camp() -> pd.DataFrame:
    r = _rng(710)
    n = 1200
    sport = r.choice(["rowing", "cycling", "running", "triathlon"], n)
    female = r.random(n) < 0.45
    funded = r.random(n) < 0.35
    vo2pre = np.round(58 - 6 * female + 4 * funded + r.normal(0, 5, n), 1)
    p = 1 / (1 + np.exp(-(-1.0 + 0.12 * (vo2pre - 58) + 0.9 * funded)))
    camp = r.random(n) < p
    nights = np.where(camp, r.integers(7, 29, n), 0)
    hb = 14.2 - 1.3 * female + ALT_HB * nights + r.normal(0, 0.5, n)
    vo2post = 0.9 * vo2pre + 3.0 + ALT_DIRECT * nights + HB_VO2 * (hb - (14.2 - 1.3 * female)) + r.normal(0, 1.2, n)
    tt = 1900 - 8 * (vo2pre - 58) + 60 * female + ALT_TT_NIGHT * nights + r.normal(0, 25, n)
    df = pd.DataFrame({
        "athlete_id": [f"ATH{x:04d}" for x in r.choice(np.arange(1, 9999), n, replace=False)],
        "sport": sport,
        "sex": np.where(female, "F", "M"),
        "age": r.integers(17, 36, n),
        "lottery_funded": np.where(funded, "yes", "no"),
        "vo2_pre": vo2pre,
        "alt_camp": np.where(camp, 1, 0),
        "camp_nights": nights,
        "hb_end_gdl": np.round(hb, 2),
        "vo2_post": np.round(vo2post, 1),
        "tt_20k_s": np.round(tt, 0),
    })
    _sprinkle_na(df, "hb_end_gdl", 0.05, r)
    return df


# --------------------------------------------------------------------------------------------------
# 11. HR: flexible schedules, effect on sickness differs by region, collider eng_score
# --------------------------------------------------------------------------------------------------
def flex_work() -> pd.DataFrame:
    r = _rng(711)
    n = 3600
    reg = r.choice(["North", "South", "Midlands", "Scotland"], n, p=[0.3, 0.3, 0.25, 0.15])
    commute = np.round(r.gamma(2.2, 9, n), 1)
    tenure = np.round(r.gamma(2, 3.5, n), 1)
    dept = r.choice([1, 2, 3, 4, 5, 6], n)
    p = 1 / (1 + np.exp(-(-1.3 + 0.05 * commute + 0.05 * tenure)))
    flex = r.random(n) < p
    eff = np.array([FLEX[g] for g in reg])
    sick = np.clip(6.5 + 0.12 * commute - 0.05 * tenure + 0.3 * (dept == 2) + eff * flex + r.normal(0, 2.0, n), 0, None)
    eng = 62 + 6 * flex - 1.2 * sick + r.normal(0, 6, n)
    df = pd.DataFrame({
        "emp_no": np.sort(r.choice(np.arange(10000, 60000), n, replace=False)),
        "region": reg,
        "dept_cd": dept,
        "tenure_yrs": tenure,
        "commute_km": commute,
        "flex_sched": np.where(flex, "Y", "N"),
        "eng_score": np.round(eng, 1),
        "sick_days_yr": np.round(sick, 1),
    })
    _sprinkle_na(df, "tenure_yrs", 0.05, r)
    _sprinkle_na(df, "eng_score", 0.03, r)
    return df


_BUILDERS = {
    "grain_fields": grain_fields,
    "loyalty_members": loyalty_members,
    "ward_rostering": ward_rostering,
    "school_meals": school_meals,
    "transit_fares": transit_fares,
    "checkout_ab": checkout_ab,
    "tou_tariff": tou_tariff,
    "credit_coaching": credit_coaching,
    "housing_lottery": housing_lottery,
    "altitude_camp": altitude_camp,
    "flex_work": flex_work,
}


def datasets() -> dict[str, pd.DataFrame]:
    return {name: build() for name, build in _BUILDERS.items()}


def _shares(build, col: str) -> dict[str, float]:
    return build()[col].value_counts(normalize=True).to_dict()


_AS = _shares(checkout_ab, "platform")
AB_ATE = float(sum(_AS[k] * e for k, e in AB_CONV.items()))
_FS = _shares(flex_work, "region")
FLEX_ATE = float(sum(_FS[k] * e for k, e in FLEX.items()))

TRUTH: dict[str, dict] = {
    "grain_fields": {
        "effects": [
            {"treatment": "irrig_mm", "outcome": "yield_t_ha", "effect": IRR_MM, "scale": "per_unit"},
            {"treatment": "irrig_mm", "outcome": "protein_pct", "effect": IRR_PROTEIN, "scale": "per_unit"},
        ],
        "design": "iv",
        "design_details": {"instrument": "quota_ML"},
        "pre_treatment": ["soil_cls", "N_kg_ha", "rain_mm_season", "farmer_age", "district"],
        "post_treatment": ["ndvi_jul"],
        "notes": "Unmeasured farmer skill raises both irrigation and yield, so OLS is biased upward. quota_ML (water "
                 "allocation set by a historical ballot, continuous) moves irrigation and nothing else. ndvi_jul is a "
                 "mid-season vegetation index, caused by irrigation (post-treatment).",
    },
    "loyalty_members": {
        "effects": [
            {"treatment": "loyaltyMonths", "outcome": "spend12mGBP", "effect": LOY_MONTH, "scale": "per_unit"},
            {"treatment": "joinedLoyalty", "outcome": "spend12mGBP", "effect": LOY_JOIN, "scale": "binary_ate"},
        ],
        "design": "backdoor",
        "pre_treatment": ["priorSpendGBP", "emailOptIn", "ageYrs", "storeRegion"],
        "post_treatment": ["couponsRedeemed"],
        "notes": "priorSpendGBP strongly drives both joining and later spend (naive difference far too big). "
                 "couponsRedeemed is a collider (raised by membership and by spend). Among members loyaltyMonths is "
                 "uniform 1..12, independent of covariates, so the yes/no effect is 9 x 6.5 = 58.5.",
    },
    "ward_rostering": {
        "effects": [
            {"treatment": "e_roster", "outcome": "falls_per_1k_bd", "effect": WARD_EROSTER, "scale": "binary_ate"},
            {"treatment": "e_roster", "outcome": "staff_sick_pct", "effect": WARD_SICK, "scale": "binary_ate"},
        ],
        "design": "did",
        "design_details": {"unit": "ward_cd", "period": "qtr"},
        "pre_treatment": ["beds", "site"],
        "post_treatment": ["agency_shift_hrs"],
        "notes": "Staggered: 21 of 32 wards switch e_roster on in 2020Q3, 2021Q2 or 2022Q1 (7 each), 11 never. Wards "
                 "with more falls adopt first. Constant effect, so TWFE is unbiased. agency_shift_hrs falls when "
                 "e-rostering starts (post-treatment).",
    },
    "school_meals": {
        "effects": [
            {"treatment": "universal_fsm (Kirkby x month>=2022-09)", "outcome": "attend_pct", "effect": MEALS_ATTEND, "scale": "binary_ate"},
            {"treatment": "universal_fsm (Kirkby x month>=2022-09)", "outcome": "lunch_takeup_pct", "effect": MEALS_TAKEUP, "scale": "binary_ate"},
        ],
        "design": "did",
        "design_details": {"unit": "school_urn", "period": "month", "group_column": "local_auth",
                           "treated_groups": ["Kirkby"], "treatment_start": "2022-09"},
        "pre_treatment": ["pupils_n", "fsm_elig_pct"],
        "post_treatment": ["kitchen_fte"],
        "notes": "No treatment column: Kirkby local authority made school meals free for all pupils from September "
                 "2022. Kirkby schools have more free-meal-eligible pupils and lower attendance at baseline; trends "
                 "are parallel. kitchen_fte follows take-up (post-treatment).",
    },
    "transit_fares": {
        "effects": [{"treatment": "fare_cap", "outcome": "boardings_k", "effect": FARE_CAP, "scale": "binary_ate"}],
        "design": "did",
        "design_details": {"unit": "route_no", "period": "month", "treatment_start": "2022-01"},
        "pre_treatment": ["route_km", "depot"],
        "post_treatment": ["crowding_idx", "farebox_rev_k"],
        "notes": "40 routes x 36 months; the 16 lowest-ridership routes got the fare cap from 2022-01 (one date). "
                 "Common post-pandemic recovery trend, so a before/after on treated routes alone is biased up and a "
                 "cross-section is biased down. crowding_idx and farebox_rev_k are consequences of boardings/the cap.",
    },
    "checkout_ab": {
        "effects": [
            {"treatment": "new_checkout", "outcome": "converted", "effect": AB_ATE, "scale": "binary_ate",
             "subgroups": [{"column": "platform", "op": "==", "value": k, "effect": e} for k, e in AB_CONV.items()]},
            {"treatment": "new_checkout", "outcome": "basket_usd", "effect": AB_BASKET, "scale": "binary_ate"},
        ],
        "design": "randomised",
        "pre_treatment": ["platform", "countryCd", "priorOrders", "pageLoadMs"],
        "post_treatment": ["steps_done"],
        "notes": "new_checkout randomised 50/50. Conversion effect +0.06 on ios and android, +0.02 on web; overall "
                 "truth is the sample-share-weighted average. steps_done is a collider (raised by the new flow and "
                 "by converting).",
    },
    "tou_tariff": {
        "effects": [
            {"treatment": "tou_tariff", "outcome": "peak_share_pct", "effect": TOU_PEAK, "scale": "binary_ate"},
            {"treatment": "tou_tariff", "outcome": "kwh_2022", "effect": TOU_KWH, "scale": "binary_ate"},
        ],
        "design": "rdd",
        "design_details": {"running": "kwh_2021", "cutoff": 4000, "cutoff_side": "above"},
        "pre_treatment": ["dwelling", "occupants", "has_ev", "kwh_2021"],
        "post_treatment": ["app_logins"],
        "notes": "tou_tariff = Y exactly when kwh_2021 >= 4000. Peak share falls with consumption and kwh_2022 rises "
                 "with it, so the naive comparison overstates the peak-share drop and gets the kwh_2022 sign wrong. "
                 "app_logins rise after the move.",
    },
    "credit_coaching": {
        "effects": [
            {"treatment": "fin_coach", "outcome": "missed_pmts_12m", "effect": COACH_MISSED, "scale": "binary_ate"},
            {"treatment": "fin_coach", "outcome": "savings_bal_usd", "effect": COACH_SAVE, "scale": "binary_ate"},
        ],
        "design": "rdd",
        "design_details": {"running": "cr_score", "cutoff": 600, "cutoff_side": "below"},
        "pre_treatment": ["age", "income_k", "branch"],
        "post_treatment": ["sessions_attended"],
        "notes": "fin_coach = 1 exactly when cr_score < 600. Low scorers miss more payments and save less anyway, so "
                 "the naive difference understates the missed-payment drop and gets the savings sign wrong. "
                 "sessions_attended is positive only for coached members.",
    },
    "housing_lottery": {
        "effects": [
            {"treatment": "used_voucher", "outcome": "rent_burden_pct", "effect": VOUCH_BURDEN, "scale": "binary_ate"},
            {"treatment": "used_voucher", "outcome": "earnings_k", "effect": VOUCH_EARN, "scale": "binary_ate"},
        ],
        "design": "iv",
        "design_details": {"instrument": "lottery_win"},
        "pre_treatment": ["metro", "hh_size", "base_income_k"],
        "post_treatment": ["nbhd_pov_pct"],
        "notes": "Unmeasured motivation raises take-up and lowers rent burden / raises earnings. lottery_win (waitlist "
                 "lottery, 40% winners) is the binary instrument. Constant effect, so LATE = ATE. nbhd_pov_pct is "
                 "the poverty rate of the neighbourhood lived in afterwards (post-treatment).",
    },
    "altitude_camp": {
        "effects": [
            {"treatment": "camp_nights", "outcome": "vo2_post", "effect": ALT_NIGHT, "scale": "per_unit"},
            {"treatment": "alt_camp", "outcome": "vo2_post", "effect": ALT_CAMP, "scale": "binary_ate"},
            {"treatment": "camp_nights", "outcome": "tt_20k_s", "effect": ALT_TT_NIGHT, "scale": "per_unit"},
            {"treatment": "alt_camp", "outcome": "tt_20k_s", "effect": ALT_TT_CAMP, "scale": "binary_ate"},
        ],
        "design": "backdoor",
        "pre_treatment": ["vo2_pre", "lottery_funded", "sex", "age", "sport"],
        "post_treatment": ["hb_end_gdl"],
        "notes": "Fitter and funded athletes go to camp (vo2_pre is a strong confounder). hb_end_gdl (haemoglobin at "
                 "the end of the camp) is a mediator: per night 0.06 direct + 0.04 x 1.5 via Hb = 0.12 total. "
                 "camp_nights uniform 7..28 among campers (mean 17.5).",
    },
    "flex_work": {
        "effects": [
            {"treatment": "flex_sched", "outcome": "sick_days_yr", "effect": FLEX_ATE, "scale": "binary_ate",
             "subgroups": [{"column": "region", "op": "==", "value": k, "effect": e} for k, e in FLEX.items()]},
        ],
        "design": "backdoor",
        "pre_treatment": ["commute_km", "tenure_yrs", "dept_cd", "region"],
        "post_treatment": ["eng_score"],
        "notes": "Long commutes drive both flexible schedules and sickness (strong confounder). Effect -3 North, -2 "
                 "Scotland, -1 South and Midlands; overall truth is the share-weighted average. eng_score is a "
                 "collider (engagement survey taken afterwards: raised by flex, lowered by sick days).",
    },
}


# ==================================================================================================
# cases.json builder (run this file). Descriptive answers come from the generated data via pandas;
# causal truths come from the parameters above.
# ==================================================================================================
def _apply(df: pd.DataFrame, filters: list[dict] | None) -> pd.DataFrame:
    out = df
    for f in filters or []:
        c, op, v = f["column"], f["op"], f["value"]
        s = out[c]
        m = {"==": s == v, "!=": s != v, ">": s > v, ">=": s >= v, "<": s < v, "<=": s <= v}[op]
        out = out[m]
    return out


def _F(column: str, op: str, value) -> dict:
    return {"column": column, "op": op, "value": value}


def build_cases() -> list[dict]:
    D = datasets()
    cases: list[dict] = []

    def C(schema, q, t, o, truth, design=None, dd=None, subgroup=None, by_group=None, contrast=None,
          adjust_only=None, exclude=None):
        e: dict = {"intent": "causal"}
        if t is not None:
            e["treatment"] = t
        e["outcome"] = o
        if design:
            e["design"] = design
        if dd:
            e["design_details"] = dd
        if subgroup:
            e["subgroup"] = subgroup
        if by_group:
            e["by_group"] = by_group
        if contrast:
            e["contrast"] = contrast
        if adjust_only:
            e["adjust_only"] = adjust_only
        if exclude:
            e["exclude"] = exclude
        if truth is not None:
            e["truth"] = round(float(truth), 6)
        cases.append({"schema": schema, "question": q, "expected": e})

    def Dq(schema, q, kind, cols, filters=None, group_by=None):
        df = _apply(D[schema], filters)
        e: dict = {"intent": "descriptive", "descriptive_kind": kind, "descriptive_columns": cols}
        if group_by:
            e["group_by"] = group_by
        if filters:
            e["filters"] = filters
        c = cols[0]
        if kind == "count":
            ans = int(len(df))
        elif kind == "mean":
            ans = float(df[c].mean())
        elif kind == "median":
            ans = float(df[c].median())
        elif kind == "max":
            ans = float(df[c].max())
        elif kind == "min":
            ans = float(df[c].min())
        elif kind == "sum":
            ans = float(df[c].sum())
        elif kind == "sd":
            ans = float(df[c].std())
        elif kind == "correlation":
            ans = float(df[cols[0]].corr(df[cols[1]]))
        elif kind == "by_group":
            ans = {str(k): round(float(v), 6) for k, v in df.groupby(group_by)[c].mean().items()}
        else:
            raise ValueError(kind)
        e["answer"] = ans if isinstance(ans, (int, dict)) else round(ans, 6)
        cases.append({"schema": schema, "question": q, "expected": e})

    def Share(schema, q, col, value, filters=None):
        df = _apply(D[schema], filters)
        e: dict = {"intent": "descriptive", "descriptive_kind": "share", "descriptive_columns": [col]}
        if filters:
            e["filters"] = filters
        e["answer"] = round(float((df[col] == value).mean()), 6)
        cases.append({"schema": schema, "question": q, "expected": e})

    def U(schema, q, intent):
        cases.append({"schema": schema, "question": q, "expected": {"intent": intent}})

    # ---------------- grain_fields: IV with a continuous instrument ----------------
    G, I, Y = "grain_fields", "irrig_mm", "yield_t_ha"
    gdd = {"instrument": "quota_ML"}
    irr_mean = float(D[G][I].mean())
    C(G, "does more irrigation actually raise wheat yields, or is it just that the better growers water more?", I, Y, IRR_MM, contrast={"kind": "per_unit"})
    C(G, "Water quotas round here were handed out by a ballot back in the 80s, so how many megalitres a field is allowed is basically luck. "
         "The quota changes how much a grower can irrigate but nothing else about the field. Using that, what's the yield gain per mm of irrigation?",
      I, Y, IRR_MM, "iv", gdd, contrast={"kind": "per_unit"})
    C(G, "use quota_ML as an instrument: effect of irrig_mm on protein_pct", I, "protein_pct", IRR_PROTEIN, "iv", gdd)
    C(G, "what would an extra 50mm of irrigation do to yeild? instrument it with the water allocation", I, Y, 50 * IRR_MM, "iv", gdd, contrast={"kind": "increase", "amount": 50})
    C(G, "If irrigation were doubled on every field, how much would t/ha change? The allocation ballot is our natural experiment.", I, Y, IRR_MM * irr_mean, "iv", gdd, contrast={"kind": "double"})
    C(G, "effect of watering on yield per hectare -- don't adjust for ndvi_jul, that's mid season", I, Y, IRR_MM, exclude=["ndvi_jul"])

    # ---------------- loyalty_members: backdoor, strong confounder, collider, yes/no + dose ----------------
    L, LJ, LM, LS = "loyalty_members", "joinedLoyalty", "loyaltyMonths", "spend12mGBP"
    C(L, "Did joining the loyalty scheme make customers spend more over the next 12 months? Big spenders were always more likely to sign up, so watch out for that.", LJ, LS, LOY_JOIN, "backdoor")
    C(L, "effect of joinedLoyalty on spend12mGBP", LJ, LS, LOY_JOIN, "backdoor")
    C(L, "how much extra do customers spend for each month they've been in the loyalty programme?", LM, LS, LOY_MONTH, "backdoor", contrast={"kind": "per_unit"})
    C(L, "effect of the loyalty card on 12 month spend, controlling only for prior spend and whether they opted into emails", LJ, LS, LOY_JOIN, "backdoor", adjust_only=["priorSpendGBP", "emailOptIn"])
    C(L, "does loyalty membership raise spend? do not control for coupons redeemed", LJ, LS, LOY_JOIN, "backdoor", exclude=["couponsRedeemed"])
    C(L, "if members stayed in the scheme for 12 months rather than 3, how much more would they spend?", LM, LS, 9 * LOY_MONTH, "backdoor", contrast={"kind": "from_to", "from": 3, "to": 12})
    C(L, "what would happen to customer spend if we shut the loyalty programme down", LJ, LS, -LOY_JOIN, "backdoor", contrast={"kind": "stop"})

    # ---------------- ward_rostering: staggered panel ----------------
    W = "ward_rostering"
    wdd = {"unit": "ward_cd", "period": "qtr"}
    C(W, "Wards moved onto e-rostering at different points between 2020 and 2022. Did it reduce patient falls?", "e_roster", "falls_per_1k_bd", WARD_EROSTER, "did", wdd)
    C(W, "did electronic rostering cut staff sickness? it was a staggered rollout, so compare with the wards that hadn't switched yet", "e_roster", "staff_sick_pct", WARD_SICK, "did", wdd)
    C(W, "impact of e-rostering on falls per 1000 bed days, leaving agency hours out of the model", "e_roster", "falls_per_1k_bd", WARD_EROSTER, "did", wdd, exclude=["agency_shift_hrs"])
    C(W, "if the trust switched e-rostering off again, what would happen to falls?", "e_roster", "falls_per_1k_bd", -WARD_EROSTER, "did", wdd, contrast={"kind": "stop"})
    C(W, "e_roster -> falls_per_1k_bd, ward x quarter panel", "e_roster", "falls_per_1k_bd", WARD_EROSTER, "did", wdd)

    # ---------------- school_meals: policy named by value + date in words ----------------
    S = "school_meals"
    sdd = {"unit": "school_urn", "period": "month", "group_column": "local_auth", "treated_groups": ["Kirkby"], "treatment_start": "2022-09"}
    C(S, "Kirkby council made school lunches free for every pupil from September 2022. Did attendance go up?", None, "attend_pct", MEALS_ATTEND, "did", sdd)
    C(S, "what did universal free school meals in kirkby (from sept 2022) do to lunch take-up", None, "lunch_takeup_pct", MEALS_TAKEUP, "did", sdd)
    C(S, "Kirkby LA brought in universal FSM in September '22. Compared with the other authorities, how much did attendance change? Don't control for kitchen staffing.", None, "attend_pct", MEALS_ATTEND, "did", sdd, exclude=["kitchen_fte"])
    C(S, "since 09/2022 all Kirkby primaries give free lunches to everyone -- effect on the lunch take up rate relative to Ashdale, Marston and Fenwick?", None, "lunch_takeup_pct", MEALS_TAKEUP, "did", sdd)

    # ---------------- transit_fares: one switch-on date ----------------
    T_ = "transit_fares"
    tdd = {"unit": "route_no", "period": "month", "treatment_start": "2022-01"}
    C(T_, "We capped fares on 16 routes from January 2022. How many extra boardings did that bring?", "fare_cap", "boardings_k", FARE_CAP, "did", tdd)
    C(T_, "fare_cap -> boardings_k, comparing capped routes before vs after against the routes that never got it", "fare_cap", "boardings_k", FARE_CAP, "did", tdd)
    C(T_, "did the £2 fare cap increase ridership? dont adjust for crowding or farebox revenue, they're outcomes of it", "fare_cap", "boardings_k", FARE_CAP, "did", tdd, exclude=["crowding_idx", "farebox_rev_k"])
    C(T_, "what would scrapping the fare cap do to boardings on those routes?", "fare_cap", "boardings_k", -FARE_CAP, "did", tdd, contrast={"kind": "stop"})

    # ---------------- checkout_ab: randomised, heterogeneous by platform ----------------
    A = "checkout_ab"
    C(A, "We ran an A/B test where half of sessions were randomly shown the new checkout. Did it lift conversion?", "new_checkout", "converted", AB_ATE, "randomised")
    C(A, "new_checkout vs converted. it was a randomized experiment", "new_checkout", "converted", AB_ATE, "randomised")
    C(A, "did the redesigned checkout raise basket size?", "new_checkout", "basket_usd", AB_BASKET)
    C(A, "conversion effect of the new checkout for ios users only", "new_checkout", "converted", AB_CONV["ios"], subgroup=_F("platform", "==", "ios"))
    C(A, "leaving out web traffic, what did the new checkout do to conversion?", "new_checkout", "converted", AB_CONV["ios"], subgroup=_F("platform", "!=", "web"))
    C(A, "does the effect of the new checkout on conversion differ by platform?", "new_checkout", "converted", None, by_group="platform")
    C(A, "Assignment was random. Effect of new_checkout on converted among web sessions, and don't adjust for steps_done", "new_checkout", "converted", AB_CONV["web"], "randomised", subgroup=_F("platform", "==", "web"), exclude=["steps_done"])
    C(A, "if we rolled the new checkout back for everyone what happens to conversion", "new_checkout", "converted", -AB_ATE, contrast={"kind": "stop"})

    # ---------------- tou_tariff: RDD, cutoff above ----------------
    E = "tou_tariff"
    edd = {"running": "kwh_2021", "cutoff": 4000, "cutoff_side": "above"}
    C(E, "Every household that used 4,000 kWh or more in 2021 was switched onto the time-of-use tariff. Did that lower the share of electricity they use at peak?", "tou_tariff", "peak_share_pct", TOU_PEAK, "rdd", edd)
    C(E, "homes at or above four thousand kilowatt hours in 2021 got moved to TOU. what did that do to their 2022 consumption?", "tou_tariff", "kwh_2022", TOU_KWH, "rdd", edd)
    C(E, "effect of tou_tariff on peak_share_pct", "tou_tariff", "peak_share_pct", TOU_PEAK)
    C(E, "anyone at 4k kWh and up in 2021 goes on the tariff automatically. compare just either side of that line for peak share, and don't adjust for app logins", "tou_tariff", "peak_share_pct", TOU_PEAK, "rdd", edd, exclude=["app_logins"])

    # ---------------- credit_coaching: RDD, cutoff below ----------------
    K = "credit_coaching"
    kdd = {"running": "cr_score", "cutoff": 600, "cutoff_side": "below"}
    C(K, "members with a credit score under 600 have to do financial coaching. does the coaching reduce missed payments?", "fin_coach", "missed_pmts_12m", COACH_MISSED, "rdd", kdd)
    C(K, "Coaching is compulsory for anyone scoring below six hundred. Using that threshold, estimate its effect on savings balances.", "fin_coach", "savings_bal_usd", COACH_SAVE, "rdd", kdd)
    C(K, "fin_coach effect on missed_pmts_12m", "fin_coach", "missed_pmts_12m", COACH_MISSED)
    C(K, "does coaching help members save? Downtown branch only, using the sub-600 cutoff", "fin_coach", "savings_bal_usd", COACH_SAVE, "rdd", kdd, subgroup=_F("branch", "==", "Downtown"))
    C(K, "what would happen to missed payments if we stopped the coaching programme?", "fin_coach", "missed_pmts_12m", -COACH_MISSED, contrast={"kind": "stop"})

    # ---------------- housing_lottery: IV, binary instrument ----------------
    H = "housing_lottery"
    hdd = {"instrument": "lottery_win"}
    C(H, "do housing vouchers reduce rent burden?", "used_voucher", "rent_burden_pct", VOUCH_BURDEN)
    C(H, "Vouchers were offered through a waitlist lottery. Winning only matters through whether a family ends up using a voucher. "
         "Use that to estimate the voucher's effect on rent burden.", "used_voucher", "rent_burden_pct", VOUCH_BURDEN, "iv", hdd)
    C(H, "effect of used_voucher on earnings_k with lottery_win as the instrument", "used_voucher", "earnings_k", VOUCH_EARN, "iv", hdd)
    C(H, "did using a voucher raise earnigns? dont control for the neighbourhood poverty rate", "used_voucher", "earnings_k", VOUCH_EARN, exclude=["nbhd_pov_pct"])
    C(H, "what if every family on the waitlist used a voucher -- effect on rent burden? the lottery draw is random so use it as the instrument", "used_voucher", "rent_burden_pct", VOUCH_BURDEN, "iv", hdd, contrast={"kind": "start"})

    # ---------------- altitude_camp: backdoor, strong confounder, mediator ----------------
    AC = "altitude_camp"
    C(AC, "Does altitude camp improve VO2max? The fitter athletes tend to be the ones who go.", "alt_camp", "vo2_post", ALT_CAMP, "backdoor")
    C(AC, "per night at altitude, how much does vo2 go up?", "camp_nights", "vo2_post", ALT_NIGHT, "backdoor", contrast={"kind": "per_unit"})
    C(AC, "effect of alt_camp on vo2_post, controlling only for vo2_pre and lottery_funded", "alt_camp", "vo2_post", ALT_CAMP, "backdoor", adjust_only=["vo2_pre", "lottery_funded"])
    C(AC, "how does going on a camp affect 20k time trial times? please don't adjust for the end-of-camp haemoglobin", "alt_camp", "tt_20k_s", ALT_TT_CAMP, "backdoor", exclude=["hb_end_gdl"])
    C(AC, "going from a 10-night camp to a 24-night camp, what happens to post-season vo2?", "camp_nights", "vo2_post", 14 * ALT_NIGHT, "backdoor", contrast={"kind": "from_to", "from": 10, "to": 24})
    C(AC, "if athletes spent 7 more nights at altitude, how much would their 20k time change", "camp_nights", "tt_20k_s", 7 * ALT_TT_NIGHT, "backdoor", contrast={"kind": "increase", "amount": 7})
    C(AC, "does the camp effect on vo2 differ between sports?", "alt_camp", "vo2_post", None, "backdoor", by_group="sport")

    # ---------------- flex_work: backdoor + subgroups by region ----------------
    FW, FT, FO = "flex_work", "flex_sched", "sick_days_yr"
    fs = _shares(flex_work, "region")
    no_scot = sum(fs[k] * FLEX[k] for k in FLEX if k != "Scotland") / sum(fs[k] for k in FLEX if k != "Scotland")
    C(FW, "Do flexible schedules reduce sick days? People with long commutes are both more likely to get flex and more likely to be off sick.", FT, FO, FLEX_ATE, "backdoor")
    C(FW, "flex_sched -> sick_days_yr in the North region", FT, FO, FLEX["North"], "backdoor", subgroup=_F("region", "==", "North"))
    C(FW, "effect of flexi-time on sickness absence, by region", FT, FO, None, "backdoor", by_group="region")
    C(FW, "leaving out Scotland, what's the effect of flex on sick days?", FT, FO, no_scot, "backdoor", subgroup=_F("region", "!=", "Scotland"))
    C(FW, "only for scottish staff: did flexible working cut sick days", FT, FO, FLEX["Scotland"], "backdoor", subgroup=_F("region", "==", "Scotland"))
    C(FW, "impact of flex schedules on sick days, but do not adjust for the engagement score", FT, FO, FLEX_ATE, "backdoor", exclude=["eng_score"])
    C(FW, "if we ended flexible schedules for everyone, what would happen to sickness absence?", FT, FO, -FLEX_ATE, "backdoor", contrast={"kind": "stop"})

    # ---------------- descriptive ----------------
    Dq(G, "average yield in the Mallee district", "mean", [Y], [_F("district", "==", "Mallee")])
    Share(L, "what share of customers joined the loyalty scheme?", LJ, "yes")
    Dq(L, "median prior spend for customers of NE stores", "median", ["priorSpendGBP"], [_F("storeRegion", "==", "NE")])
    Dq(W, "mean falls per 1k bed days by site", "by_group", ["falls_per_1k_bd"], group_by="site")
    Dq(W, "how many ward-quarters had e-rostering switched on during 2022?", "count", ["e_roster"], [_F("e_roster", "==", 1), _F("qtr", ">=", "2022Q1"), _F("qtr", "<=", "2022Q4")])
    Dq(S, "average attendance in Marston schools in 2022", "mean", ["attend_pct"], [_F("local_auth", "==", "Marston"), _F("month", ">=", "2022-01"), _F("month", "<=", "2022-12")])
    Dq(T_, "total boardings on route 44X in 2021", "sum", ["boardings_k"], [_F("route_no", "==", "44X"), _F("month", ">=", "2021-01"), _F("month", "<=", "2021-12")])
    Dq(A, "conversion rate by platform", "by_group", ["converted"], group_by="platform")
    Dq(A, "what's the average page load time on web?", "mean", ["pageLoadMs"], [_F("platform", "==", "web")])
    Dq(E, "how many households have an EV?", "count", ["has_ev"], [_F("has_ev", "==", "Y")])
    Dq(K, "average income of members scoring below 600", "mean", ["income_k"], [_F("cr_score", "<", 600)])
    Share(H, "what fraction of lottery winners actually used their voucher", "used_voucher", "Y", [_F("lottery_win", "==", "Y")])
    Dq(AC, "correlation between vo2_pre and vo2_post?", "correlation", ["vo2_pre", "vo2_post"])
    Dq(FW, "standard deviation of commute distance in the Midlands", "sd", ["commute_km"], [_F("region", "==", "Midlands")])

    # ---------------- unanswerable / other ----------------
    U(G, "does the seed variety affect yield?", "unanswerable")
    U(S, "did the free meals improve reading scores?", "unanswerable")
    U(T_, "does driver experience affect punctuality on these routes?", "unanswerable")
    U(E, "does the tariff change how often people run their dishwasher?", "unanswerable")
    U(H, "do vouchers improve children's test scores?", "unanswerable")
    U(FW, "does the line manager's gender affect sick days?", "unanswerable")
    U(A, "thanks, that's useful", "other")
    U(H, "can you explain what an instrumental variable is, in plain terms?", "other")
    U(W, "hi - what can you do with this spreadsheet?", "other")
    return cases


TIMING_OPTS = [{"id": "before", "label": "Before the treatment — keep adjusting for it"},
               {"id": "after", "label": "After the treatment — leave it out"},
               {"id": "unsure", "label": "Not sure — show me both"}]
DESIGN_OPTS = [{"id": "yes", "label": "Yes, use this design"}, {"id": "no", "label": "No, plain adjustment instead"}]


def _numbered(cols: list[str]) -> list[dict]:
    return [{"id": str(i + 1), "label": c} for i, c in enumerate(cols)]


def build_replies() -> list[dict]:
    out: list[dict] = []

    def timing(schema, q, about, reply, expected):
        text = ("Were " if len(about) > 1 else "Was ") + ", ".join(f"`{a}`" for a in about) + \
            " recorded before or after the treatment started? Anything recorded after could be changed by the " \
            "treatment, so I would leave it out of the adjustment."
        out.append({"schema": schema, "question": q,
                    "prompt": {"kind": "timing", "text": text, "about": about, "options": TIMING_OPTS},
                    "reply": reply, "expected": expected})

    def choose(schema, q, kind, text, cols, reply, expected):
        out.append({"schema": schema, "question": q,
                    "prompt": {"kind": kind, "text": text, "about": cols, "options": _numbered(cols)},
                    "reply": reply, "expected": expected})

    def design(schema, q, text, about, reply, expected):
        out.append({"schema": schema, "question": q,
                    "prompt": {"kind": "confirm_design", "text": text, "about": about, "options": DESIGN_OPTS},
                    "reply": reply, "expected": expected})

    U = {"unsettled": True}

    def dec(**kw):
        return {"decisions": kw}

    # ---------------- timing ----------------
    lq = "did joining the loyalty scheme raise spend?"
    timing("loyalty_members", lq, ["couponsRedeemed"], "no, not before. you can only redeem coupons once you're a member", dec(couponsRedeemed="after"))
    timing("loyalty_members", lq, ["priorSpendGBP"], "it's their spend in the 12 months before they signed up", dec(priorSpendGBP="before"))
    timing("loyalty_members", lq, ["priorSpendGBP", "couponsRedeemed"], "prior spend is pre-enrolment obviously; coupons come afterwards", dec(priorSpendGBP="before", couponsRedeemed="after"))
    timing("loyalty_members", lq, ["ageYrs", "emailOptIn"], "both captured when the account was opened, way before the scheme launched", dec(ageYrs="before", emailOptIn="before"))
    aq = "does altitude camp raise vo2max?"
    timing("altitude_camp", aq, ["hb_end_gdl"], "that's the blood test on the last day of camp", dec(hb_end_gdl="after"))
    timing("altitude_camp", aq, ["vo2_pre"], "it's the baseline lab test", dec(vo2_pre="before"))
    timing("altitude_camp", aq, ["hb_end_gdl", "vo2_pre"], "the first one is after, the second one is before", dec(hb_end_gdl="after", vo2_pre="before"))
    gq = "does irrigation raise yield?"
    timing("grain_fields", gq, ["ndvi_jul"], "ndvi comes from the july satellite pass, mid-season, so the watering had already started", dec(ndvi_jul="after"))
    timing("grain_fields", gq, ["N_kg_ha", "ndvi_jul"], "fertiliser goes on at sowing, keep it. not sure about the ndvi", dec(N_kg_ha="before", ndvi_jul="unsure"))
    wq = "did e-rostering reduce falls?"
    timing("ward_rostering", wq, ["agency_shift_hrs"], "not before -- agency shifts get booked through the roster system, so they change once it goes live", dec(agency_shift_hrs="after"))
    fq = "does flexible working reduce sick days?"
    timing("flex_work", fq, ["eng_score"], "it comes from the annual staff survey, which ran after people moved onto flex", dec(eng_score="after"))
    timing("flex_work", fq, ["commute_km", "eng_score"], "commute: before. engagement: after.", dec(commute_km="before", eng_score="after"))
    timing("flex_work", fq, ["tenure_yrs"], "no idea, sorry", dec(tenure_yrs="unsure"))
    timing("flex_work", fq, ["tenure_yrs"], "tenure is counted up to the survey date, so strictly speaking it's measured after", dec(tenure_yrs="after"))
    cq = "did the new checkout lift conversion?"
    timing("checkout_ab", cq, ["steps_done"], "logged during the checkout session itself, i.e. after the variant was assigned", dec(steps_done="after"))
    hq = "do vouchers lower rent burden?"
    timing("housing_lottery", hq, ["nbhd_pov_pct"], "that's the poverty rate where they were living at the follow-up visit", dec(nbhd_pov_pct="after"))
    timing("housing_lottery", hq, ["base_income_k", "hh_size"], "both from the application form -- neither was measured after", dec(base_income_k="before", hh_size="before"))
    timing("credit_coaching", "does the coaching cut missed payments?", ["sessions_attended"], "it literally counts the coaching sessions, so it can't be before", dec(sessions_attended="after"))
    timing("credit_coaching", "does the coaching cut missed payments?", ["income_k"], "logged at enrolment", dec(income_k="before"))
    timing("transit_fares", "did the fare cap raise boardings?", ["crowding_idx", "farebox_rev_k"], "both of those respond to ridership, so they're after", dec(crowding_idx="after", farebox_rev_k="after"))
    timing("tou_tariff", "did the tariff cut peak use?", ["app_logins"], "why does it matter when it was recorded?", U)
    sq = "did free meals in Kirkby raise attendance?"
    timing("school_meals", sq, ["kitchen_fte"], "could be either honestly", dec(kitchen_fte="unsure"))
    timing("school_meals", sq, ["kitchen_fte"], "I think after -- the council hired extra kitchen staff for the rollout", dec(kitchen_fte="after"))

    # ---------------- choose treatment ----------------
    choose("loyalty_members", "does the loyalty scheme raise spend?", "choose_treatment", "Which of these is the treatment?", ["joinedLoyalty", "loyaltyMonths"], "how long they've been a member", {"treatment": "loyaltyMonths"})
    choose("loyalty_members", "does the loyalty scheme raise spend?", "choose_treatment", "Which of these is the treatment?", ["joinedLoyalty", "loyaltyMonths"], "the first one", {"treatment": "joinedLoyalty"})
    choose("altitude_camp", "is altitude training worth it?", "choose_treatment", "Which column is the treatment?", ["alt_camp", "camp_nights"], "number of nights", {"treatment": "camp_nights"})
    choose("altitude_camp", "is altitude training worth it?", "choose_treatment", "Which column is the treatment?", ["alt_camp", "camp_nights"], "whether they went at all", {"treatment": "alt_camp"})
    choose("grain_fields", "does water help yield?", "choose_treatment", "Which column is the treatment?", ["irrig_mm", "quota_ML"], "the water actually applied, not the allocation", {"treatment": "irrig_mm"})
    choose("housing_lottery", "do vouchers help families?", "choose_treatment", "Which column is the treatment?", ["lottery_win", "used_voucher"], "whether they actually used it", {"treatment": "used_voucher"})
    # ---------------- choose outcome ----------------
    choose("altitude_camp", "does altitude camp help performance?", "choose_outcome", "Which outcome should I use?", ["vo2_post", "tt_20k_s"], "the time trial", {"outcome": "tt_20k_s"})
    choose("tou_tariff", "did the tariff change behaviour?", "choose_outcome", "Which outcome do you mean?", ["peak_share_pct", "kwh_2022"], "total consumption", {"outcome": "kwh_2022"})
    choose("credit_coaching", "does coaching work?", "choose_outcome", "Which outcome do you mean?", ["missed_pmts_12m", "savings_bal_usd"], "savings", {"outcome": "savings_bal_usd"})
    choose("checkout_ab", "how did the new checkout do?", "choose_outcome", "Which outcome should I use?", ["converted", "basket_usd"], "both matter to us", U)
    choose("housing_lottery", "do vouchers help families?", "choose_outcome", "Which outcome should I use?", ["rent_burden_pct", "earnings_k"], "the second", {"outcome": "earnings_k"})
    # ---------------- choose column ----------------
    choose("school_meals", "did free meals in Kirkby raise attendance?", "choose_column", "Which column names the group that changed its policy?", ["local_auth", "school_urn"], "the council", {"column": "local_auth"})
    choose("transit_fares", "did the fare cap raise boardings?", "choose_column", "Which column identifies the unit followed over time?", ["depot", "route_no"], "each bus route", {"column": "route_no"})
    choose("tou_tariff", "did the tariff cut peak use? 4000 kWh and up were moved", "choose_column", "Which column does the 4000 cutoff apply to?", ["kwh_2021", "kwh_2022"], "last year's usage, the 2021 one", {"column": "kwh_2021"})
    # ---------------- confirm design ----------------
    design("tou_tariff", "did the tariff cut peak use?", "Households at 4000 kWh or more in kwh_2021 all have tou_tariff = Y. Use a regression discontinuity at 4000?", ["kwh_2021"], "yes, that's exactly how the switch worked", {"design_confirmed": True})
    design("credit_coaching", "does the coaching cut missed payments?", "Everyone below 600 on cr_score has fin_coach = 1. Use a regression discontinuity at 600?", ["cr_score"], "no -- plenty of people got the rule waived, so the threshold isn't sharp. just adjust", {"design_confirmed": False})
    design("housing_lottery", "do vouchers lower rent burden?", "Use lottery_win as an instrument for used_voucher?", ["lottery_win"], "yes please", {"design_confirmed": True})
    design("grain_fields", "does irrigation raise yield?", "Use quota_ML as an instrument for irrig_mm?", ["quota_ML"], "no, quotas have been traded for years so they're not random any more", {"design_confirmed": False})
    design("checkout_ab", "did the new checkout lift conversion?", "Compare sessions with and without new_checkout, adjusting for platform, countryCd and priorOrders?", ["platform", "countryCd", "priorOrders"], "no, it was randomised -- just compare the two arms", {"design_confirmed": False})
    design("ward_rostering", "did e-rostering reduce falls?", "Wards switch e_roster on in different quarters. Use a staggered difference-in-differences?", ["ward_cd", "qtr"], "go ahead", {"design_confirmed": True})
    design("school_meals", "did free meals in Kirkby raise attendance?", "Treat Kirkby schools from 2022-09 as treated and compare with the other local authorities over time?", ["local_auth", "month"], "correct, that's the policy", {"design_confirmed": True})
    design("transit_fares", "did the fare cap raise boardings?", "Compare capped routes before and after January 2022 with the routes that never got the cap (difference-in-differences)?", ["route_no", "month"], "not sure, what would the alternative be?", U)
    design("housing_lottery", "do vouchers lower rent burden?", "Compare voucher users with non-users, adjusting for metro, hh_size and base_income_k?", ["metro", "hh_size", "base_income_k"], "no -- use the lottery draw instead, that's the clean comparison", {"design_confirmed": False})
    design("altitude_camp", "does altitude camp raise vo2max?", "Was alt_camp randomly assigned, so I can compare the groups directly?", ["alt_camp"], "nope, the coaches picked who went", {"design_confirmed": False})
    return out


# ==================================================================================================
# Oracle checks
# ==================================================================================================
def _ols(y: pd.Series, X: pd.DataFrame) -> pd.Series:
    X = X.astype(float).copy()
    X.insert(0, "_const", 1.0)
    ok = y.notna() & X.notna().all(axis=1)
    b, *_ = np.linalg.lstsq(X[ok].to_numpy(), y[ok].astype(float).to_numpy(), rcond=None)
    return pd.Series(b, index=X.columns)


def _dummies(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    return pd.get_dummies(df[cols].astype(str), drop_first=True)


def _naive(d: pd.DataFrame, t: pd.Series, o: str) -> float:
    return float(d[o][t == 1].mean() - d[o][t == 0].mean())


def checks() -> None:
    D = datasets()
    yn = lambda s: s.isin(["Y", "yes", "true", 1]).astype(float)  # noqa: E731
    rows = []
    # IV continuous
    d = D["grain_fields"]
    for o, tv in [("yield_t_ha", IRR_MM), ("protein_pct", IRR_PROTEIN)]:
        iv = np.cov(d.quota_ML, d[o])[0, 1] / np.cov(d.quota_ML, d.irrig_mm)[0, 1]
        rows.append((f"grain irrig->{o} (Wald IV)", tv, iv, _ols(d[o], d[["irrig_mm"]])["irrig_mm"]))
    # loyalty backdoor
    d = D["loyalty_members"].copy()
    d["T"] = yn(d.joinedLoyalty)
    d["em"] = yn(d.emailOptIn)
    X = d[["priorSpendGBP", "em"]]
    rows.append(("loyalty joined (adj prior, email)", LOY_JOIN, _ols(d.spend12mGBP, pd.concat([d[["T"]], X], axis=1))["T"], _naive(d, d["T"], "spend12mGBP")))
    rows.append(("loyalty per month", LOY_MONTH, _ols(d.spend12mGBP, pd.concat([d[["loyaltyMonths"]], X], axis=1))["loyaltyMonths"], np.nan))
    rows.append(("loyalty joined adj coupons (wrong)", LOY_JOIN, _ols(d.spend12mGBP, pd.concat([d[["T", "couponsRedeemed"]], X], axis=1))["T"], np.nan))
    # panels
    d = D["ward_rostering"]
    for o, tv in [("falls_per_1k_bd", WARD_EROSTER), ("staff_sick_pct", WARD_SICK)]:
        b = _ols(d[o], pd.concat([d[["e_roster"]], _dummies(d, ["ward_cd", "qtr"])], axis=1))
        rows.append((f"ward {o} (TWFE)", tv, b["e_roster"], _naive(d, d.e_roster, o)))
    d = D["school_meals"].copy()
    d["D"] = ((d.local_auth == "Kirkby") & (d.month >= "2022-09")).astype(float)
    for o, tv in [("attend_pct", MEALS_ATTEND), ("lunch_takeup_pct", MEALS_TAKEUP)]:
        b = _ols(d[o], pd.concat([d[["D"]], _dummies(d, ["school_urn", "month"])], axis=1))
        post = d[d.month >= "2022-09"]
        rows.append((f"school {o} (TWFE)", tv, b["D"], _naive(post, (post.local_auth == "Kirkby").astype(int), o)))
    d = D["transit_fares"]
    b = _ols(d.boardings_k, pd.concat([d[["fare_cap"]], _dummies(d, ["route_no", "month"])], axis=1))
    rows.append(("transit fare_cap (TWFE)", FARE_CAP, b["fare_cap"], _naive(d, d.fare_cap, "boardings_k")))
    # randomised
    d = D["checkout_ab"].copy()
    d["T"] = yn(d.new_checkout)
    rows.append(("checkout converted (diff)", AB_ATE, _naive(d, d["T"], "converted"), np.nan))
    for p in AB_CONV:
        s = d[d.platform == p]
        rows.append((f"checkout converted {p}", AB_CONV[p], _naive(s, s["T"], "converted"), np.nan))
    rows.append(("checkout basket (diff)", AB_BASKET, _naive(d, d["T"], "basket_usd"), np.nan))
    # RDD local linear
    for name, run, cut, side, T, outs in [
        ("tou_tariff", "kwh_2021", 4000, "above", "tou_tariff", [("peak_share_pct", TOU_PEAK), ("kwh_2022", TOU_KWH)]),
        ("credit_coaching", "cr_score", 600, "below", "fin_coach", [("missed_pmts_12m", COACH_MISSED), ("savings_bal_usd", COACH_SAVE)]),
    ]:
        d = D[name].copy()
        d["T"] = yn(d[T])
        want = (d[run] >= cut) if side == "above" else (d[run] < cut)
        assert (d["T"] == want.astype(float)).all()
        bw = 0.5 * d[run].std()
        w = d[(d[run] - cut).abs() <= bw].copy()
        w["x"] = w[run] - cut
        w["Tx"] = w["T"] * w["x"]
        for o, tv in outs:
            rows.append((f"{name} {o} (RDD)", tv, _ols(w[o], w[["T", "x", "Tx"]])["T"], _naive(d, d["T"], o)))
    # IV binary
    d = D["housing_lottery"]
    z, x = yn(d.lottery_win), yn(d.used_voucher)
    for o, tv in [("rent_burden_pct", VOUCH_BURDEN), ("earnings_k", VOUCH_EARN)]:
        rows.append((f"housing {o} (Wald IV)", tv, np.cov(z, d[o])[0, 1] / np.cov(z, x)[0, 1], _naive(d, x, o)))
    # altitude backdoor
    d = D["altitude_camp"].copy()
    d["fund"] = yn(d.lottery_funded)
    d["fem"] = (d.sex == "F").astype(float)
    X = d[["vo2_pre", "fund", "fem"]]
    for o, tv_n, tv_c in [("vo2_post", ALT_NIGHT, ALT_CAMP), ("tt_20k_s", ALT_TT_NIGHT, ALT_TT_CAMP)]:
        rows.append((f"altitude {o} per night", tv_n, _ols(d[o], pd.concat([d[["camp_nights"]], X], axis=1))["camp_nights"], np.nan))
        rows.append((f"altitude {o} camp", tv_c, _ols(d[o], pd.concat([d[["alt_camp"]], X], axis=1))["alt_camp"], _naive(d, d.alt_camp, o)))
    rows.append(("altitude vo2 camp adj hb (wrong)", ALT_CAMP, _ols(d.vo2_post, pd.concat([d[["alt_camp", "hb_end_gdl"]], X], axis=1))["alt_camp"], np.nan))
    # flex backdoor by region
    d = D["flex_work"].copy()
    d["T"] = yn(d.flex_sched)
    X = pd.concat([d[["commute_km", "tenure_yrs"]], _dummies(d, ["region", "dept_cd"])], axis=1)
    for g in FLEX:
        X[f"T_{g}"] = d["T"] * (d.region == g)
    b = _ols(d.sick_days_yr, X)
    for g in FLEX:
        rows.append((f"flex {g}", FLEX[g], b[f"T_{g}"], np.nan))
    rows.append(("flex ATE (share-weighted)", FLEX_ATE, sum(_FS[g] * b[f"T_{g}"] for g in FLEX), _naive(d, d["T"], "sick_days_yr")))
    Xw = pd.concat([d[["T", "commute_km", "tenure_yrs", "eng_score"]], _dummies(d, ["region", "dept_cd"])], axis=1)
    rows.append(("flex ATE adj eng_score (wrong)", FLEX_ATE, _ols(d.sick_days_yr, Xw)["T"], np.nan))
    print(f"{'check':48s} {'truth':>9s} {'oracle':>9s} {'naive':>9s}")
    for name, tv, est, naive in rows:
        print(f"{name:48s} {tv:9.3f} {est:9.3f} {naive:9.3f}")


def validate(cases: list[dict]) -> None:
    """Every column named in an expected reading or a prompt exists in its schema."""
    frames = datasets()
    cols = {k: set(v.columns) for k, v in frames.items()}
    for c in cases:
        have = cols[c["schema"]]
        e = c["expected"]
        named = [e.get("treatment"), e.get("outcome"), e.get("column"), e.get("by_group"), e.get("group_by")]
        named += e.get("adjust_only", []) + e.get("exclude", []) + e.get("descriptive_columns", [])
        named += [f["column"] for f in e.get("filters", [])]
        named += list(e.get("decisions", {}))
        if "subgroup" in e:
            named.append(e["subgroup"]["column"])
        dd = e.get("design_details", {})
        named += [dd.get(k) for k in ("unit", "period", "group_column", "running", "instrument")]
        if "prompt" in c:
            named += c["prompt"]["about"]
            assert set(e.get("decisions", {})) <= set(c["prompt"]["about"]), c
        missing = [n for n in named if n is not None and n not in have]
        assert not missing, (c["schema"], c.get("question"), missing)
        if "subgroup" in e:
            assert _apply(frames[c["schema"]], [e["subgroup"]]).shape[0] > 0, c
        if dd.get("treated_groups"):
            assert set(dd["treated_groups"]) <= set(frames[c["schema"]][dd["group_column"]]), c
        for f in e.get("filters", []):
            if f["op"] == "==":
                assert (frames[c["schema"]][f["column"]] == f["value"]).any(), (c, f)
    print("validated", len(cases), "cases: every named column exists")


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    qs = build_cases()
    rs = build_replies()
    validate(qs + rs)
    with open(os.path.join(here, "cases.json"), "w") as fh:
        json.dump({"set": "dev-6", "cases": qs + rs}, fh, indent=1, ensure_ascii=False)
    from collections import Counter
    kinds = Counter()
    for c in qs:
        e = c["expected"]
        if e["intent"] != "causal":
            kinds[e["intent"]] += 1
        elif "contrast" in e and e["contrast"]["kind"] != "per_unit":
            kinds["contrast"] += 1
        elif "subgroup" in e or "by_group" in e:
            kinds["subgroup/by_group"] += 1
        elif e.get("design") in ("did", "rdd", "iv", "randomised"):
            kinds["design"] += 1
        else:
            kinds["causal_plain"] += 1
    print("questions", len(qs), dict(kinds), "replies", len(rs), dict(Counter(r["prompt"]["kind"] for r in rs)))
    checks()
