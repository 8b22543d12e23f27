"""heldout-7: independent phrasing-and-data set (format version 2), written without reading any product code.

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
