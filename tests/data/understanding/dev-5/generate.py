"""dev-5 (written as a held-out set, now a development set): independent phrasing-and-data set (format version 2).

Pure numpy + pandas, deterministic. `datasets()` returns the uploads, `TRUTH` the generator's causal facts.
Running this file (python generate.py) rebuilds cases.json next to it and prints oracle checks.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd

# --------------------------------------------------------------------------------------------------
# Effect parameters (single source of truth for both the data and TRUTH)
# --------------------------------------------------------------------------------------------------
WATER_PRV = -3.5            # nrw_pct points, pressure-reducing valves on
PORT_GATE = -11.0           # truck_turn_min, automated gate on (staggered)
LIB_CARDS = 55.0            # active_cardholders per branch-month after Harbor went fine-free
LIB_LATE = 12.0             # late_returns per branch-month
REST_NEXT = 5.0             # next_insp_score jump from a follow-up visit (score < 70)
REST_COMPL = -0.8           # complaints_12m
ADM_ENROL = 0.15            # enrolled probability from merit bursary (score >= 85)
WIND_INSP = 0.8             # availability_pct per extra inspection per year (IV)
DENT_SMS = -0.06            # no-show probability from SMS reminder (randomised)
DENT_DAYS_DIRECT = -9.0     # days_to_next_booking, direct effect of the SMS reminder
NOSHOW_DAYS = 6.0           # a missed appointment adds 6 days before the next booking
DENT_DAYS = DENT_DAYS_DIRECT + NOSHOW_DAYS * DENT_SMS   # total effect -9.36
TEL_DIRECT = -150.0         # claimCostUSD direct effect of telematics
TEL_KM = -2500.0            # telematics effect on annualKm
KM_COST = 0.04              # claimCostUSD per km
TEL_TOTAL = TEL_DIRECT + TEL_KM * KM_COST   # -250
DEDUCT = -0.15              # claimCostUSD per USD of deductible
RIDE_MONTH = 0.6            # rides_last_month per month subscribed
RIDE_MEAN_MONTHS = 12.5     # sub_months ~ uniform integers 1..24 among subscribers, independent of covariates
RIDE_SUB = RIDE_MONTH * RIDE_MEAN_MONTHS    # 7.5
RES_POST = {"forest": -5.0, "savanna": -2.0, "wetland": -1.5}   # poaching_incidents, ranger post
RES_PATROL = -0.04          # poaching_incidents per patrol km per week
CC_HR_DIRECT = 0.5          # csat per coaching hour (direct)
CC_ESC_PER_HR = -0.25       # escalations per coaching hour
ESC_CSAT = -1.2             # csat per escalation
CC_HR_TOTAL = CC_HR_DIRECT + CC_ESC_PER_HR * ESC_CSAT   # 0.8
CC_MEAN_HRS = 11.0          # coaching_hrs ~ uniform integers 2..20 among coached, independent of covariates
CC_COACHED = CC_HR_TOTAL * CC_MEAN_HRS      # 8.8
CC_AHT_HR = -4.0            # aht_sec per coaching hour
CC_AHT_COACHED = CC_AHT_HR * CC_MEAN_HRS    # -44
FISH_ITQ = 14.0             # cpue_kg_hr for Northern Shelf from 2016
PARK = {"retail": -10.0, "residential": -4.0, "office": -4.0, "mixed": -4.0}   # occupancy_pct
PARK_CIT = -3.0             # citations_mo
VET_RX = -1.4               # wt_change_kg, prescription diet
VET_EX = -0.015             # wt_change_kg per minute of daily exercise
CLM_REVIEW = 6.0            # days_to_settle added by fraud review (IV: filed on a Monday)


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _months(start: str, n: int) -> list[str]:
    return [str(p) for p in pd.period_range(start, periods=n, freq="M")]


def _sprinkle_na(df: pd.DataFrame, col: str, frac: float, rng: np.random.Generator) -> None:
    idx = rng.choice(len(df), size=int(frac * len(df)), replace=False)
    df.loc[df.index[idx], col] = np.nan


# --------------------------------------------------------------------------------------------------
# A. water utility: panel, one switch-on date
# --------------------------------------------------------------------------------------------------
def water_nrw() -> pd.DataFrame:
    r = _rng(501)
    a = ["Ash", "Birch", "Cedar", "Dale", "Elm", "Fern", "Glen", "Holt", "Ivy", "Juniper", "Kings", "Lark"]
    b = ["North", "South", "Central"]
    districts = [f"{x} {y}" for x in a for y in b]  # 36
    months = _months("2019-01", 48)
    n_d = len(districts)
    base = r.normal(24, 4, n_d)
    # high-loss districts were picked for the valve programme
    treated = np.zeros(n_d, bool)
    treated[np.argsort(base + r.normal(0, 2, n_d))[-14:]] = True
    mains = r.uniform(40, 260, n_d).round(1)
    conns = (mains * r.uniform(45, 80, n_d)).astype(int)
    rows = []
    for i, d in enumerate(districts):
        for t, m in enumerate(months):
            on = int(treated[i] and m >= "2021-04")
            season = 1.2 * np.sin(2 * np.pi * t / 12)
            nrw = base[i] - 0.03 * t + season + WATER_PRV * on + r.normal(0, 1.2)
            press = 52 + r.normal(0, 3) - 9 * on + 0.02 * mains[i]
            bursts = r.poisson(max(0.2, 0.04 * mains[i] * (1 - 0.35 * on)))
            rows.append((d, m, on, round(nrw, 2), round(press, 1), bursts, mains[i], conns[i],
                         round(max(0, r.gamma(2, 35)), 1)))
    df = pd.DataFrame(rows, columns=["district", "month", "prv_installed", "nrw_pct", "avg_pressure_m",
                                     "burst_count", "mains_km", "connections", "rainfall_mm"])
    _sprinkle_na(df, "rainfall_mm", 0.04, r)
    return df


# --------------------------------------------------------------------------------------------------
# B. container terminals: staggered adoption
# --------------------------------------------------------------------------------------------------
def port_gates() -> pd.DataFrame:
    r = _rng(502)
    ports = ["Rotterdam", "Antwerp", "Felixstowe", "Gdansk", "Valencia", "Genoa"]
    quarters = [f"{y}Q{q}" for y in range(2018, 2024) for q in range(1, 5)]  # 24
    n = 30
    size = r.lognormal(0, 0.5, n)
    fe = 48 + 10 * np.log(size) + r.normal(0, 4, n)
    order = np.argsort(-size + r.normal(0, 0.4, n))   # bigger terminals adopt earlier
    cohorts = ["2019Q3"] * 5 + ["2020Q2"] * 5 + ["2021Q1"] * 5 + ["2022Q1"] * 5 + [None] * 10
    start = [None] * n
    for k, i in enumerate(order):
        start[i] = cohorts[k]
    rows = []
    for i in range(n):
        tid = f"TRM-{i + 3:02d}"
        for t, q in enumerate(quarters):
            on = int(start[i] is not None and q >= start[i])
            turn = fe[i] + 0.25 * t + 1.5 * (q.endswith("Q4")) + PORT_GATE * on + r.normal(0, 2.5)
            teu = size[i] * 180 * (1 + 0.01 * t) + r.normal(0, 10)
            rows.append((tid, ports[i % 6], q, on, round(turn, 1), round(teu, 1), int(2 + round(size[i] * 4)),
                         "Y" if r.random() < 0.04 else "N"))
    df = pd.DataFrame(rows, columns=["terminal_id", "port", "quarter", "auto_gate", "truck_turn_min", "teu_k",
                                     "gate_lanes", "labour_dispute"])
    _sprinkle_na(df, "teu_k", 0.03, r)
    return df


# --------------------------------------------------------------------------------------------------
# C. public libraries: group x post named by a value
# --------------------------------------------------------------------------------------------------
def library_fines() -> pd.DataFrame:
    r = _rng(503)
    systems = ["Harbor"] * 8 + ["Eastside"] * 9 + ["Valley"] * 8 + ["Northgate"] * 7
    names = ["Pier", "Lighthouse", "Dockside", "Anchor", "Marina", "Bayview", "Seawall", "Tideway",
             "Maple", "Oakridge", "Sunrise", "Parkside", "Elmwood", "Riverbend", "Fairview", "Cobble", "Heights",
             "Orchard", "Meadow", "Willow", "Creekside", "Hollow", "Stonebridge", "Mill", "Grove",
             "Summit", "Pinecrest", "Aspen", "Northfield", "Highland", "Crown", "Ridge"]
    months = _months("2021-01", 36)
    n = len(systems)
    base_cards = r.normal(900, 150, n) + np.where(np.array(systems) == "Harbor", -180, 0)
    base_late = r.normal(70, 12, n) + np.where(np.array(systems) == "Harbor", 15, 0)
    sqft = r.integers(4000, 30000, n)
    hrs_wk = r.choice([40, 48, 56, 60], n)
    rows = []
    for i in range(n):
        for t, m in enumerate(months):
            post = systems[i] == "Harbor" and m >= "2022-09"
            summer = 1 if m[-2:] in ("06", "07", "08") else 0
            cards = base_cards[i] + 3.0 * t + 25 * summer + LIB_CARDS * post + r.normal(0, 12)
            late = base_late[i] + 0.4 * t + 8 * summer + LIB_LATE * post + r.normal(0, 5)
            checkouts = 2.1 * cards + r.normal(0, 60)
            rows.append((f"{names[i]} Branch", systems[i], m, int(round(cards)), int(round(late)),
                         int(round(checkouts)), int(sqft[i]), int(hrs_wk[i]),
                         int(r.poisson(9))))
    df = pd.DataFrame(rows, columns=["branch_name", "library_system", "month", "active_cardholders",
                                     "late_returns", "checkouts", "sq_ft", "open_hrs_wk", "programs_held"])
    df["programs_held"] = df["programs_held"].astype(float)
    _sprinkle_na(df, "programs_held", 0.05, r)
    return df


# --------------------------------------------------------------------------------------------------
# D. restaurant hygiene: cutoff below 70
# --------------------------------------------------------------------------------------------------
def restaurant_hygiene() -> pd.DataFrame:
    r = _rng(504)
    n = 2400
    boroughs = np.array(["Northside", "Riverside", "Old Town", "Harbourfront"])
    cuisines = np.array(["pizza", "chinese", "indian", "cafe", "burger", "sushi", "mexican", "bakery"])
    bor = boroughs[r.integers(0, 4, n)]
    chain = r.random(n) < 0.3
    quality = r.normal(0, 1, n)
    score = np.clip(np.round(74 + 9 * quality + 3 * chain + r.normal(0, 5, n)), 30, 100).astype(int)
    follow = score < 70
    nxt = 27 + 0.6 * score + 2.5 * quality + 2 * chain + REST_NEXT * follow + r.normal(0, 5, n)
    compl = 4.5 - 0.025 * score - 0.3 * quality + REST_COMPL * follow + r.normal(0, 0.6, n)
    df = pd.DataFrame({
        "permit_no": [f"FP-{x}" for x in r.choice(np.arange(100000, 999999), n, replace=False)],
        "borough": bor,
        "cuisine": cuisines[r.integers(0, 8, n)],
        "seats": r.integers(10, 180, n),
        "chain_outlet": np.where(chain, "yes", "no"),
        "yrs_open": np.round(r.gamma(2, 4, n), 1),
        "insp_score": score,
        "critical_viol": np.clip(np.round((85 - score) / 8 + r.normal(0, 1, n)), 0, None).astype(int),
        "followup_visit": np.where(follow, "Y", "N"),
        "next_insp_score": np.clip(np.round(nxt, 1), 0, 100),
        "complaints_12m": np.round(compl, 2),
    })
    _sprinkle_na(df, "yrs_open", 0.06, r)
    return df


# --------------------------------------------------------------------------------------------------
# E. university admissions: cutoff above 85, sequence-number id, numeric codes
# --------------------------------------------------------------------------------------------------
def admissions_bursary() -> pd.DataFrame:
    r = _rng(505)
    n = 5000
    seq = np.sort(r.choice(np.arange(10001, 19000), n, replace=False))
    stype = r.choice([1, 2, 3, 4], n, p=[0.45, 0.25, 0.2, 0.1])
    ability = r.normal(0, 1, n)
    score = np.clip(np.round(75 + 8 * ability + 1.5 * (stype == 3) + r.normal(0, 4, n), 1), 40, 100)
    burs = score >= 85
    first_gen = r.random(n) < 0.3
    p = 0.45 + 0.004 * (score - 75) + ADM_ENROL * burs - 0.05 * first_gen + 0.02 * (stype == 1)
    enrolled = (r.random(n) < p).astype(int)
    df = pd.DataFrame({
        "app_seq": seq,
        "entrance_score": score,
        "school_type_cd": stype,
        "interview_band": r.choice([1, 2, 3, 4, 5], n),
        "first_gen": np.where(first_gen, "Y", "N"),
        "home_region": r.choice(["North West", "Midlands", "London", "Scotland", "Wales", "South East"], n),
        "merit_bursary": np.where(burs, "true", "false"),
        "enrolled": enrolled,
        "distance_home_km": np.round(r.gamma(2, 60, n), 0),
    })
    _sprinkle_na(df, "distance_home_km", 0.05, r)
    return df


# --------------------------------------------------------------------------------------------------
# F. wind farms: instrument (depot distance), unmeasured wear
# --------------------------------------------------------------------------------------------------
def wind_turbines() -> pd.DataFrame:
    r = _rng(506)
    n = 1800
    farms = np.array(["Ridgeback", "Saltmarsh", "Kestrel Hill", "Blackmoor", "Dunmore", "Gale Point"])
    farm = farms[r.integers(0, 6, n)]
    dist = np.round(r.uniform(5, 120, n), 1)
    wear = r.normal(0, 1, n)             # unmeasured
    hub = r.choice([80, 95, 105, 120], n)
    insp = np.clip(np.round(8 - 0.05 * dist + 1.4 * wear + r.normal(0, 1.2, n)), 0, None)
    avail = 86 + WIND_INSP * insp - 3.0 * wear + 0.03 * (hub - 95) + r.normal(0, 1.5, n)
    df = pd.DataFrame({
        "turbine_id": [f"WT-{i:04d}" for i in range(1, n + 1)],
        "farm": farm,
        "model": r.choice(["V112", "SG 4.5", "N131", "E-82"], n),
        "hub_height_m": hub,
        "commissioned_yr": r.integers(2008, 2020, n),
        "depot_dist_km": dist,
        "inspections_yr": insp.astype(int),
        "gearbox_temp_c": np.round(62 + 2.5 * wear - 0.4 * insp + r.normal(0, 2, n), 1),
        "availability_pct": np.round(np.clip(avail, 0, 100), 2),
    })
    _sprinkle_na(df, "gearbox_temp_c", 0.05, r)
    return df


# --------------------------------------------------------------------------------------------------
# G. dental practices: randomised SMS reminder
# --------------------------------------------------------------------------------------------------
def dental_reminders() -> pd.DataFrame:
    r = _rng(507)
    n = 4200
    age = r.integers(18, 86, n)
    ins = r.choice(["private", "public", "none"], n, p=[0.5, 0.35, 0.15])
    sms = (r.random(n) < 0.5).astype(int)
    p = 0.22 + DENT_SMS * sms + 0.05 * (ins == "none") - 0.001 * (age - 40)
    noshow = r.random(n) < p
    days = 45 + DENT_DAYS_DIRECT * sms + 0.1 * (age - 40) + NOSHOW_DAYS * noshow + r.normal(0, 8, n)
    dates = pd.Timestamp("2024-01-02") + pd.to_timedelta(r.integers(0, 365, n), unit="D")
    replied = (sms == 1) & (r.random(n) < np.where(noshow, 0.2, 0.7))
    df = pd.DataFrame({
        "pt_id": [f"P{x:06d}" for x in r.choice(np.arange(1, 999999), n, replace=False)],
        "practice": r.choice(["Elm Street", "Castle Rd", "Queensway", "Mill Lane", "Harbour View", "St Anne's"], n),
        "appt_date": dates.strftime("%Y-%m-%d"),
        "age": age,
        "insurance": ins,
        "sms_reminder": sms,
        "confirm_reply": np.where(replied, "yes", "no"),
        "no_show": np.where(noshow, "yes", "no"),
        "days_to_next_booking": np.round(np.clip(days, 0, None), 0),
    })
    _sprinkle_na(df, "days_to_next_booking", 0.03, r)
    return df


# --------------------------------------------------------------------------------------------------
# H. motor insurance: telematics, strong pre-treatment confounder, neutral mediator
# --------------------------------------------------------------------------------------------------
def telematics_claims() -> pd.DataFrame:
    r = _rng(508)
    n = 5000
    tenure = np.round(r.gamma(2.0, 3.0, n), 1)
    age = r.integers(18, 80, n)
    vtype = r.choice(["hatchback", "sedan", "SUV", "van"], n, p=[0.35, 0.3, 0.25, 0.1])
    lo = -1.4 + 0.22 * tenure - 0.015 * (age - 45)
    opt = r.random(n) < 1 / (1 + np.exp(-lo))
    ded = r.choice([250, 500, 1000, 1500], n)
    # higher-tenure, older drivers pick higher deductibles
    ded = np.where(r.random(n) < 0.04 * tenure, np.minimum(ded * 2, 1500), ded)
    km = 15000 + TEL_KM * opt - 40 * (age - 45) + 1500 * (vtype == "van") + r.normal(0, 2500, n)
    cost = (1600 - 45 * tenure + DEDUCT * ded + KM_COST * km + TEL_DIRECT * opt + 8 * np.abs(age - 45)
            + 200 * (vtype == "van") + r.normal(0, 300, n))
    df = pd.DataFrame({
        "policyNo": [f"PL-{x}" for x in r.choice(np.arange(200000, 899999), n, replace=False)],
        "region": r.choice(["NE", "NW", "SE", "SW", "MID"], n),
        "driverAge": age,
        "vehicleType": vtype,
        "custTenureYrs": tenure,
        "deductibleUSD": ded,
        "telematicsOptIn": np.where(opt, "Y", "N"),
        "annualKm": np.round(km, 0),
        "claimCostUSD": np.round(cost, 2),
    })
    _sprinkle_na(df, "region", 0.03, r)
    return df


# --------------------------------------------------------------------------------------------------
# I. ride-hailing rider survey: sequence number, numeric codes, yes/no + dose pair
# --------------------------------------------------------------------------------------------------
def ride_survey() -> pd.DataFrame:
    r = _rng(509)
    n = 2600
    resp = np.sort(r.choice(np.arange(1, 6000), n, replace=False))
    inc = r.choice([1, 2, 3, 4, 5, 6], n)
    edu = np.clip(np.round(1 + 0.5 * inc + r.normal(0.5, 1, n)), 1, 5).astype(int)
    car = r.random(n) < 0.25 + 0.08 * inc
    city = r.choice(["Lisbon", "Porto", "Braga", "Faro"], n, p=[0.4, 0.3, 0.2, 0.1])
    lo = -1.2 + 0.3 * inc - 1.2 * car + 0.1 * edu
    sub = r.random(n) < 1 / (1 + np.exp(-lo))
    months = np.where(sub, r.integers(1, 25, n), 0)
    rides = 6 + 0.9 * inc - 2.5 * car + 0.3 * edu + 1.0 * (city == "Lisbon") + RIDE_MONTH * months + r.normal(0, 2.5, n)
    age = r.integers(18, 75, n)
    df = pd.DataFrame({
        "resp_no": resp,
        "age": age,
        "edu_cat": edu,
        "inc_band": inc,
        "city": city,
        "owns_car": np.where(car, "yes", "no"),
        "subscriber": np.where(sub, "yes", "no"),
        "sub_months": months,
        "rides_last_month": np.clip(np.round(rides), 0, None).astype(int),
        "app_rating": np.clip(np.round(3.6 + 0.03 * months + r.normal(0, 0.7, n), 1), 1, 5),
    })
    df["edu_cat"] = df["edu_cat"].astype(float)
    _sprinkle_na(df, "edu_cat", 0.04, r)
    return df


# --------------------------------------------------------------------------------------------------
# J. wildlife conservation: subgroup effects by habitat
# --------------------------------------------------------------------------------------------------
def reserve_sectors() -> pd.DataFrame:
    r = _rng(510)
    n = 1500
    hab = r.choice(["forest", "savanna", "wetland"], n, p=[0.35, 0.45, 0.2])
    area = np.round(r.uniform(20, 160, n), 1)
    dist = np.round(r.gamma(2, 6, n), 1)
    lo = 0.4 - 0.12 * dist + 0.01 * area
    post = r.random(n) < 1 / (1 + np.exp(-lo))
    patrol = np.round(np.clip(20 + 0.5 * area - 0.8 * dist + r.normal(0, 12, n), 0, None), 1)
    eff = np.vectorize(RES_POST.get)(hab)
    inc = 16 - 0.35 * dist + 0.05 * area + 2.0 * (hab == "forest") + eff * post + RES_PATROL * patrol + r.normal(0, 2, n)
    df = pd.DataFrame({
        "sector_code": [f"KZ-{i}" for i in r.choice(np.arange(100, 9999), n, replace=False)],
        "reserve": r.choice(["Mbeya East", "Lunda", "Okavu", "Tessa Plains"], n),
        "habitat": hab,
        "area_km2": area,
        "dist_village_km": dist,
        "tourist_visits_yr": r.poisson(300, n),
        "ranger_post": np.where(post, "yes", "no"),
        "patrol_km_wk": patrol,
        "poaching_incidents": np.round(np.clip(inc, 0, None), 1),
    })
    _sprinkle_na(df, "tourist_visits_yr", 0.05, r)
    return df


# --------------------------------------------------------------------------------------------------
# K. call centres: strong tenure confounder, yes/no + dose, neutral mediator
# --------------------------------------------------------------------------------------------------
def call_centre() -> pd.DataFrame:
    r = _rng(511)
    n = 3200
    site = r.choice(["Manila", "Leeds", "Austin", "Krakow"], n)
    tenure = np.round(r.gamma(2, 12, n)).astype(int)
    lo = -1.0 + 0.045 * tenure
    coached = r.random(n) < 1 / (1 + np.exp(-lo))
    hrs = np.where(coached, r.integers(2, 21, n), 0)
    esc = 12 - 0.05 * tenure + CC_ESC_PER_HR * hrs + r.normal(0, 1.5, n)
    csat = 62 + 0.15 * tenure + CC_HR_DIRECT * hrs + ESC_CSAT * esc + 2 * (site == "Krakow") + r.normal(0, 3, n)
    aht = 430 - 1.1 * tenure + CC_AHT_HR * hrs + 15 * (site == "Manila") + r.normal(0, 25, n)
    df = pd.DataFrame({
        "agent_id": [f"A{x}" for x in r.choice(np.arange(1000, 9999), n, replace=False)],
        "site": site,
        "shift": r.choice(["day", "swing", "night"], n),
        "tenure_months": tenure,
        "coached": np.where(coached, "true", "false"),
        "coaching_hrs": hrs,
        "escalations": np.round(esc, 1),
        "aht_sec": np.round(aht, 0),
        "csat": np.round(csat, 1),
    })
    _sprinkle_na(df, "shift", 0.04, r)
    return df


# --------------------------------------------------------------------------------------------------
# L. fisheries: group x post, region named by value, year period
# --------------------------------------------------------------------------------------------------
def fishery_zones() -> pd.DataFrame:
    r = _rng(512)
    regions = ["Northern Shelf"] * 12 + ["Southern Bight"] * 11 + ["Western Banks"] * 12 + ["Eastern Deeps"] * 10
    pref = {"Northern Shelf": "NS", "Southern Bight": "SB", "Western Banks": "WB", "Eastern Deeps": "ED"}
    years = list(range(2008, 2022))
    rows = []
    cnt: dict[str, int] = {}
    for reg in regions:
        cnt[reg] = cnt.get(reg, 0) + 1
        zone = f"{pref[reg]}-{cnt[reg]:02d}"
        fe = r.normal(120, 15) + (25 if reg == "Northern Shelf" else 0)
        ves0 = r.integers(20, 60)
        for y in years:
            post = reg == "Northern Shelf" and y >= 2016
            yfx = -1.5 * (y - 2008) + 4 * np.sin(y)
            sst = 11 + 0.05 * (y - 2008) + r.normal(0, 0.4)
            cpue = fe + yfx + FISH_ITQ * post + r.normal(0, 5)
            ves = max(3, int(ves0 - 0.5 * (y - 2008) - (12 if post else 0) + r.normal(0, 2)))
            rows.append((zone, reg, y, round(cpue, 1), ves, round(sst, 2), round(max(0, r.normal(40, 10)), 1)))
    df = pd.DataFrame(rows, columns=["zone", "region", "year", "cpue_kg_hr", "vessels_active", "sst_c", "discards_t"])
    _sprinkle_na(df, "discards_t", 0.05, r)
    return df


# --------------------------------------------------------------------------------------------------
# M. municipal parking: randomised, subgroup by land use, numeric zone code
# --------------------------------------------------------------------------------------------------
def parking_pricing() -> pd.DataFrame:
    r = _rng(513)
    n = 2000
    lu = r.choice(["retail", "residential", "office", "mixed"], n, p=[0.3, 0.3, 0.2, 0.2])
    zone = r.choice([1, 2, 3, 4, 5], n)
    dp = (r.random(n) < 0.5).astype(int)
    eff = np.vectorize(PARK.get)(lu)
    occ = 78 + 4 * (lu == "retail") - 2 * zone + eff * dp + r.normal(0, 6, n)
    cit = 16 - 1.0 * zone + PARK_CIT * dp + r.normal(0, 3, n)
    spaces = r.integers(8, 60, n)
    df = pd.DataFrame({
        "block_id": [f"BLK-{x}" for x in r.choice(np.arange(1000, 9999), n, replace=False)],
        "zone_cd": zone,
        "land_use": lu,
        "spaces": spaces,
        "demand_pricing": dp,
        "occupancy_pct": np.round(np.clip(occ, 0, 100), 1),
        "citations_mo": np.round(np.clip(cit, 0, None), 1),
        "meter_rev_usd": np.round(spaces * (occ / 100) * (220 + 60 * dp) + r.normal(0, 80, n), 0),
    })
    _sprinkle_na(df, "meter_rev_usd", 0.04, r)
    return df


# --------------------------------------------------------------------------------------------------
# N. veterinary clinics: prescription diet, neutral collider, continuous exercise
# --------------------------------------------------------------------------------------------------
def vet_weight() -> pd.DataFrame:
    r = _rng(514)
    n = 2200
    species = r.choice(["dog", "cat"], n, p=[0.6, 0.4])
    bcs = np.clip(np.round(r.normal(6, 1.4, n)), 1, 9).astype(int)
    age = np.round(r.uniform(1, 15, n), 1)
    rx = r.random(n) < 1 / (1 + np.exp(-(-3.5 + 0.6 * bcs)))
    ex = np.round(np.clip(np.where(species == "dog", 45, 10) - 2 * (bcs - 5) - 1.5 * (age - 7) + r.normal(0, 12, n), 0, None), 0)
    wt = 0.2 + 0.25 * (bcs - 5) + 0.03 * age + VET_RX * rx + VET_EX * ex + r.normal(0, 0.6, n)
    recheck = r.poisson(0.4 + 1.1 * rx + 0.7 * np.clip(-wt, 0, None))
    df = pd.DataFrame({
        "patient_no": r.choice(np.arange(10000, 99999), n, replace=False),
        "clinic": r.choice(["Greenway Vets", "Paws & Claws", "Riverside Animal Hosp", "Oak Vet Centre"], n),
        "species": species,
        "breed_size": np.where(species == "dog", r.choice(["small", "medium", "large"], n), None),
        "sex": r.choice(["MN", "FS", "M", "F"], n, p=[0.35, 0.35, 0.15, 0.15]),
        "age_yrs": age,
        "bcs_baseline": bcs,
        "rx_diet": np.where(rx, "Y", "N"),
        "exercise_min_day": ex,
        "recheck_visits": recheck,
        "wt_change_kg": np.round(wt, 2),
    })
    return df


# --------------------------------------------------------------------------------------------------
# O. insurance claims handling: binary instrument (Monday rota), unmeasured suspicion, neutral post column
# --------------------------------------------------------------------------------------------------
def claims_review() -> pd.DataFrame:
    r = _rng(515)
    n = 3000
    dates = pd.Timestamp("2023-01-02") + pd.to_timedelta(r.integers(0, 540, n), unit="D")
    monday = np.asarray(dates.dayofweek == 0)
    line = r.choice([1, 2, 3, 4], n, p=[0.4, 0.3, 0.2, 0.1])      # 1 motor, 2 home, 3 travel, 4 pet
    amount = np.round(r.lognormal(7.4, 0.8, n), 2)
    suspicion = r.normal(0, 1, n)       # unmeasured
    p = 0.10 + 0.45 * monday + 0.10 * suspicion.clip(-1, 2) + 0.03 * (line == 1)
    review = r.random(n) < np.clip(p, 0, 1)
    days = 18 + CLM_REVIEW * review + 3.5 * suspicion + 0.001 * amount + 3 * (line == 2) + r.normal(0, 3, n)
    touches = r.poisson(np.clip(3 + 2.5 * review + 0.15 * days, 0.5, None))
    df = pd.DataFrame({
        "ClaimRef": [f"CLM{x}" for x in r.choice(np.arange(100000, 999999), n, replace=False)],
        "date_filed": dates.strftime("%d/%m/%Y"),
        "filed_monday": np.where(monday, "yes", "no"),
        "line_cd": line,
        "claim_amt_gbp": amount,
        "claimant_age": r.integers(18, 90, n),
        "fraud_review": np.where(review, "Y", "N"),
        "handler_touches": touches,
        "days_to_settle": np.round(np.clip(days, 1, None), 0),
    })
    df["claimant_age"] = df["claimant_age"].astype(float)
    _sprinkle_na(df, "claimant_age", 0.05, r)
    return df


_BUILDERS = {
    "water_nrw": water_nrw,
    "port_gates": port_gates,
    "library_fines": library_fines,
    "restaurant_hygiene": restaurant_hygiene,
    "admissions_bursary": admissions_bursary,
    "wind_turbines": wind_turbines,
    "dental_reminders": dental_reminders,
    "telematics_claims": telematics_claims,
    "ride_survey": ride_survey,
    "reserve_sectors": reserve_sectors,
    "call_centre": call_centre,
    "fishery_zones": fishery_zones,
    "parking_pricing": parking_pricing,
    "vet_weight": vet_weight,
    "claims_review": claims_review,
}


def datasets() -> dict[str, pd.DataFrame]:
    return {name: build() for name, build in _BUILDERS.items()}


def _res_shares() -> dict[str, float]:
    df = reserve_sectors()
    return df["habitat"].value_counts(normalize=True).to_dict()


def _park_shares() -> dict[str, float]:
    df = parking_pricing()
    return df["land_use"].value_counts(normalize=True).to_dict()


_RS = _res_shares()
RES_ATE = float(sum(_RS[h] * e for h, e in RES_POST.items()))
_PS = _park_shares()
PARK_ATE = float(sum(_PS[h] * e for h, e in PARK.items()))

TRUTH: dict[str, dict] = {
    "water_nrw": {
        "effects": [{"treatment": "prv_installed", "outcome": "nrw_pct", "effect": WATER_PRV, "scale": "binary_ate"}],
        "design": "did",
        "design_details": {"unit": "district", "period": "month", "treatment_start": "2021-04"},
        "pre_treatment": ["mains_km", "connections"],
        "post_treatment": ["avg_pressure_m", "burst_count"],
        "notes": "Panel of 36 districts x 48 months. 14 high-loss districts got pressure-reducing valves from 2021-04. "
                 "Treated districts have higher baseline losses, so a cross-sectional comparison is wrong; unit and "
                 "month effects are needed. avg_pressure_m and burst_count are consequences of the valves.",
    },
    "port_gates": {
        "effects": [{"treatment": "auto_gate", "outcome": "truck_turn_min", "effect": PORT_GATE, "scale": "binary_ate"}],
        "design": "did",
        "design_details": {"unit": "terminal_id", "period": "quarter"},
        "pre_treatment": ["gate_lanes"],
        "post_treatment": [],
        "notes": "Staggered adoption: 20 of 30 terminals switch auto_gate on in 2019Q3, 2020Q2, 2021Q1 or 2022Q1; 10 "
                 "never. Bigger (slower) terminals adopt earlier. Effect is constant over time and cohorts, so "
                 "two-way fixed effects and heterogeneity-robust estimators agree.",
    },
    "library_fines": {
        "effects": [
            {"treatment": "fine_free (Harbor x month>=2022-09)", "outcome": "active_cardholders", "effect": LIB_CARDS, "scale": "binary_ate"},
            {"treatment": "fine_free (Harbor x month>=2022-09)", "outcome": "late_returns", "effect": LIB_LATE, "scale": "binary_ate"},
        ],
        "design": "did",
        "design_details": {"unit": "branch_name", "period": "month", "group_column": "library_system",
                           "treated_groups": ["Harbor"], "treatment_start": "2022-09"},
        "pre_treatment": ["sq_ft", "open_hrs_wk"],
        "post_treatment": ["checkouts"],
        "notes": "No treatment column: the Harbor system went fine-free from September 2022. Harbor has fewer "
                 "cardholders and more late returns at baseline; trends are parallel. checkouts is driven by "
                 "cardholders (post-treatment).",
    },
    "restaurant_hygiene": {
        "effects": [
            {"treatment": "followup_visit", "outcome": "next_insp_score", "effect": REST_NEXT, "scale": "binary_ate"},
            {"treatment": "followup_visit", "outcome": "complaints_12m", "effect": REST_COMPL, "scale": "binary_ate"},
        ],
        "design": "rdd",
        "design_details": {"running": "insp_score", "cutoff": 70, "cutoff_side": "below"},
        "pre_treatment": ["chain_outlet", "seats", "yrs_open", "critical_viol"],
        "post_treatment": [],
        "notes": "Sharp cutoff: followup_visit = Y exactly when insp_score < 70. next score depends strongly on the "
                 "current score (slope 0.6) and on unobserved quality, so naive Y-vs-N is badly biased (negative).",
    },
    "admissions_bursary": {
        "effects": [{"treatment": "merit_bursary", "outcome": "enrolled", "effect": ADM_ENROL, "scale": "binary_ate"}],
        "design": "rdd",
        "design_details": {"running": "entrance_score", "cutoff": 85, "cutoff_side": "above"},
        "pre_treatment": ["school_type_cd", "first_gen", "interview_band", "home_region"],
        "post_treatment": [],
        "notes": "Sharp cutoff at entrance_score >= 85. app_seq is a sequence number with gaps (not a covariate); "
                 "school_type_cd (1-4) and interview_band (1-5) are numeric codes. Enrolment probability is linear, "
                 "so the effect is a probability difference of 0.15.",
    },
    "wind_turbines": {
        "effects": [{"treatment": "inspections_yr", "outcome": "availability_pct", "effect": WIND_INSP, "scale": "per_unit"}],
        "design": "iv",
        "design_details": {"instrument": "depot_dist_km"},
        "pre_treatment": ["hub_height_m", "commissioned_yr", "model", "farm"],
        "post_treatment": ["gearbox_temp_c"],
        "notes": "Unmeasured wear raises inspections and lowers availability, so OLS is biased down (can even be "
                 "negative). depot_dist_km shifts inspections and has no other path to availability.",
    },
    "dental_reminders": {
        "effects": [
            {"treatment": "sms_reminder", "outcome": "no_show", "effect": DENT_SMS, "scale": "binary_ate"},
            {"treatment": "sms_reminder", "outcome": "days_to_next_booking", "effect": DENT_DAYS, "scale": "binary_ate"},
        ],
        "design": "randomised",
        "pre_treatment": ["age", "insurance", "practice"],
        "post_treatment": ["confirm_reply"],
        "notes": "sms_reminder randomised 50/50. no_show is yes/no text; effect is on the probability (linear model). "
                 "confirm_reply only exists for texted patients and depends on whether they showed up (collider/"
                 "post-treatment, neutral name). days_to_next_booking: direct -9 plus 6 days per no-show, so the "
                 "total effect is -9 + 6*(-0.06) = -9.36.",
    },
    "telematics_claims": {
        "effects": [
            {"treatment": "telematicsOptIn", "outcome": "claimCostUSD", "effect": TEL_TOTAL, "scale": "binary_ate"},
            {"treatment": "deductibleUSD", "outcome": "claimCostUSD", "effect": DEDUCT, "scale": "per_unit"},
        ],
        "design": "backdoor",
        "pre_treatment": ["custTenureYrs", "driverAge", "vehicleType", "region"],
        "post_treatment": ["annualKm"],
        "notes": "custTenureYrs is a strong pre-treatment confounder (long-tenure customers opt in and claim less). "
                 "annualKm is a mediator with a neutral name: telematics reduces km (-2500) and km raises cost "
                 "(0.04/km); total effect -150 + -100 = -250. Adjusting for annualKm gives -150 (direct only).",
    },
    "ride_survey": {
        "effects": [
            {"treatment": "sub_months", "outcome": "rides_last_month", "effect": RIDE_MONTH, "scale": "per_unit"},
            {"treatment": "subscriber", "outcome": "rides_last_month", "effect": RIDE_SUB, "scale": "binary_ate"},
        ],
        "design": "backdoor",
        "pre_treatment": ["inc_band", "owns_car", "edu_cat", "city", "age"],
        "post_treatment": ["app_rating"],
        "notes": "resp_no is a survey sequence number with gaps; edu_cat (1-5) and inc_band (1-6) are numeric codes. "
                 "Rides depend on sub_months linearly (0.6/month); sub_months among subscribers is uniform 1..24 "
                 "independent of covariates, so subscribing (at the observed dose mix) is worth 0.6*12.5 = 7.5. "
                 "Outcome is rounded and clipped at 0, which barely matters.",
    },
    "reserve_sectors": {
        "effects": [
            {"treatment": "ranger_post", "outcome": "poaching_incidents", "effect": RES_ATE, "scale": "binary_ate",
             "subgroups": [{"column": "habitat", "op": "==", "value": h, "effect": e} for h, e in RES_POST.items()]},
            {"treatment": "patrol_km_wk", "outcome": "poaching_incidents", "effect": RES_PATROL, "scale": "per_unit"},
        ],
        "design": "backdoor",
        "pre_treatment": ["dist_village_km", "area_km2", "habitat"],
        "post_treatment": [],
        "notes": "Ranger posts were put near villages (where poaching is high): naive comparison is biased. Effect "
                 "differs by habitat; the overall ATE is the sample-share-weighted average of habitat effects.",
    },
    "call_centre": {
        "effects": [
            {"treatment": "coaching_hrs", "outcome": "csat", "effect": CC_HR_TOTAL, "scale": "per_unit"},
            {"treatment": "coached", "outcome": "csat", "effect": CC_COACHED, "scale": "binary_ate"},
            {"treatment": "coaching_hrs", "outcome": "aht_sec", "effect": CC_AHT_HR, "scale": "per_unit"},
            {"treatment": "coached", "outcome": "aht_sec", "effect": CC_AHT_COACHED, "scale": "binary_ate"},
        ],
        "design": "backdoor",
        "pre_treatment": ["tenure_months", "site", "shift"],
        "post_treatment": ["escalations"],
        "notes": "tenure_months strongly confounds (long-tenure agents get coached and score higher). escalations is a "
                 "mediator (coaching lowers it; it lowers csat): total per-hour effect 0.5 + 0.25*1.2 = 0.8. "
                 "coaching_hrs among coached agents is uniform 2..20 independent of covariates, so coached is worth "
                 "0.8*11 = 8.8 csat and -4*11 = -44 aht_sec.",
    },
    "fishery_zones": {
        "effects": [{"treatment": "ITQ (Northern Shelf x year>=2016)", "outcome": "cpue_kg_hr", "effect": FISH_ITQ, "scale": "binary_ate"}],
        "design": "did",
        "design_details": {"unit": "zone", "period": "year", "group_column": "region",
                           "treated_groups": ["Northern Shelf"], "treatment_start": "2016"},
        "pre_treatment": [],
        "post_treatment": ["vessels_active"],
        "notes": "No treatment column: Northern Shelf zones moved to transferable quotas from 2016. They already had "
                 "higher CPUE before; vessels_active falls after the reform (post-treatment).",
    },
    "parking_pricing": {
        "effects": [
            {"treatment": "demand_pricing", "outcome": "occupancy_pct", "effect": PARK_ATE, "scale": "binary_ate",
             "subgroups": [{"column": "land_use", "op": "==", "value": h, "effect": e} for h, e in PARK.items()]},
            {"treatment": "demand_pricing", "outcome": "citations_mo", "effect": PARK_CIT, "scale": "binary_ate"},
        ],
        "design": "randomised",
        "pre_treatment": ["zone_cd", "land_use", "spaces"],
        "post_treatment": ["meter_rev_usd"],
        "notes": "Blocks randomised to demand pricing. Occupancy effect -10 on retail blocks, -4 elsewhere; overall "
                 "ATE is the sample-share-weighted average. zone_cd is a numeric code 1-5.",
    },
    "vet_weight": {
        "effects": [
            {"treatment": "rx_diet", "outcome": "wt_change_kg", "effect": VET_RX, "scale": "binary_ate"},
            {"treatment": "exercise_min_day", "outcome": "wt_change_kg", "effect": VET_EX, "scale": "per_unit"},
        ],
        "design": "backdoor",
        "pre_treatment": ["bcs_baseline", "age_yrs", "species"],
        "post_treatment": ["recheck_visits"],
        "notes": "bcs_baseline (1-9 code) drives diet prescription and weight change. recheck_visits is a collider "
                 "(caused by the diet and by weight loss) with a neutral name: adjusting for it biases the effect.",
    },
    "claims_review": {
        "effects": [{"treatment": "fraud_review", "outcome": "days_to_settle", "effect": CLM_REVIEW, "scale": "binary_ate"}],
        "design": "iv",
        "design_details": {"instrument": "filed_monday"},
        "pre_treatment": ["line_cd", "claim_amt_gbp", "claimant_age"],
        "post_treatment": ["handler_touches"],
        "notes": "Unmeasured suspicion sends claims to fraud review and slows settlement, so the naive gap is too "
                 "big. Claims filed on a Monday are routed to review far more often because of a staffing rota and "
                 "the weekday has no other path to settlement time. Effect is constant, so LATE = ATE = 6 days. "
                 "line_cd is a numeric code (1-4). handler_touches is post-treatment with a neutral name.",
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

    # ---------------- causal, no special design (or design not stated) ----------------
    T, K = "telematicsOptIn", "claimCostUSD"
    C("telematics_claims", "does opting into the telematics box actually lower what we pay out in claims?", T, K, TEL_TOTAL, "backdoor")
    C("telematics_claims", "Effect of telematicsOptIn on claimCostUSD", T, K, TEL_TOTAL, "backdoor")
    C("telematics_claims", "i suspect the black-box customers are mostly our loyal long tenure folks anyway... whats the real effect of telematics on claim cost once u account for that", T, K, TEL_TOTAL, "backdoor")
    C("telematics_claims", "how much does a higher deductable reduce claim cost, per dollar of deductible?", "deductibleUSD", K, DEDUCT, "backdoor", contrast={"kind": "per_unit"})
    C("telematics_claims", "Estimate the causal effect of telematics participation on claims cost, controlling only for customer tenure and driver age.", T, K, TEL_TOTAL, "backdoor", adjust_only=["custTenureYrs", "driverAge"])
    C("telematics_claims", "what is telematics doing to claim costs? please don't control for annualKm", T, K, TEL_TOTAL, "backdoor", exclude=["annualKm"])

    R_ = "rides_last_month"
    C("ride_survey", "Do subscribers take more rides? like is the subscription causing it or is it just that richer people subscribe", "subscriber", R_, RIDE_SUB, "backdoor")
    C("ride_survey", "effect of each additional month of subscription on rides_last_month", "sub_months", R_, RIDE_MONTH, "backdoor", contrast={"kind": "per_unit"})
    C("ride_survey", "does having the ride pass make ppl ride more", "subscriber", R_, RIDE_SUB, "backdoor")
    C("ride_survey", "How many extra rides per month does one more month on the plan buy us, net of income band and car ownership?", "sub_months", R_, RIDE_MONTH, "backdoor", contrast={"kind": "per_unit"}, adjust_only=["inc_band", "owns_car"])
    C("ride_survey", "is subscribing the reason people ride more? leave app rating out, we collect that afterwards", "subscriber", R_, RIDE_SUB, "backdoor", exclude=["app_rating"])

    C("call_centre", "did being coached improve CSAT?", "coached", "csat", CC_COACHED, "backdoor")
    C("call_centre", "whats the csat gain per hour of coaching", "coaching_hrs", "csat", CC_HR_TOTAL, "backdoor", contrast={"kind": "per_unit"})
    C("call_centre", "does coaching cut handle time? longer-tenured agents get coached more so pls adjust for tenure", "coached", "aht_sec", CC_AHT_COACHED, "backdoor")
    C("call_centre", "aht_sec ~ coaching_hrs, causal effect?", "coaching_hrs", "aht_sec", CC_AHT_HR, "backdoor")
    C("call_centre", "Effect of being coached on csat -- but don't adjust for escalations, they're tallied after the coaching sessions", "coached", "csat", CC_COACHED, "backdoor", exclude=["escalations"])
    C("call_centre", "Is the coaching programme (coached yes/no) actually worth it in terms of customer satisfaction scores?", "coached", "csat", CC_COACHED, "backdoor")
    C("call_centre", "how much does an hour of coaching move csat, controlling for tenure_months and site only", "coaching_hrs", "csat", CC_HR_TOTAL, "backdoor", adjust_only=["tenure_months", "site"])

    W = "wt_change_kg"
    C("vet_weight", "Does the prescription diet actually make pets lose weight?", "rx_diet", W, VET_RX, "backdoor")
    C("vet_weight", "effect of rx diet on weight change kg", "rx_diet", W, VET_RX, "backdoor")
    C("vet_weight", "how much weight does each extra minute of daily exercise take off an animal?", "exercise_min_day", W, VET_EX, "backdoor", contrast={"kind": "per_unit"})
    C("vet_weight", "chubbier animals get put on the diet more often so the raw comparison is misleading. what's the true effect of rx_diet on wt change", "rx_diet", W, VET_RX, "backdoor")
    C("vet_weight", "does rx_diet cause weight loss? (recheck visits are just follow up appts, dont adjust for those)", "rx_diet", W, VET_RX, "backdoor", exclude=["recheck_visits"])
    C("vet_weight", "exercise_min_day -> wt_change_kg ?", "exercise_min_day", W, VET_EX, "backdoor")

    P = "poaching_incidents"
    C("reserve_sectors", "do ranger posts reduce poaching?", "ranger_post", P, RES_ATE, "backdoor")
    C("reserve_sectors", "What is the effect of patrol kilometres per week on poaching incidents?", "patrol_km_wk", P, RES_PATROL, "backdoor", contrast={"kind": "per_unit"})
    C("reserve_sectors", "ranger posts tend to get built near villages - once you control for that, do they actually work?", "ranger_post", P, RES_ATE, "backdoor")
    C("reserve_sectors", "Impact of having a ranger post in the sector on the number of poaching incidents", "ranger_post", P, RES_ATE, "backdoor")
    C("reserve_sectors", "is more patrolling worth it? effect of patrol_km_wk on poaching_incidents adjusting for area and distance to the nearest village", "patrol_km_wk", P, RES_PATROL, "backdoor", adjust_only=["area_km2", "dist_village_km"])

    A = "availability_pct"
    C("wind_turbines", "do more inspections improve turbine availability?", "inspections_yr", A, WIND_INSP)
    C("wind_turbines", "Whats the effect of inspections per year on availability pct", "inspections_yr", A, WIND_INSP)
    C("wind_turbines", "turbines that get inspected a lot seem to have worse availability, which is weird. are the inspections themselves causing downtime??", "inspections_yr", A, WIND_INSP)

    C("dental_reminders", "do the text reminders reduce no shows", "sms_reminder", "no_show", DENT_SMS)
    C("dental_reminders", "effect of sms_reminder on days_to_next_booking", "sms_reminder", "days_to_next_booking", DENT_DAYS)
    C("dental_reminders", "Are patients who got an SMS less likely to miss their appointment, and by how much?", "sms_reminder", "no_show", DENT_SMS)

    C("parking_pricing", "does demand-based pricing bring occupancy down?", "demand_pricing", "occupancy_pct", PARK_ATE)
    C("parking_pricing", "demand pricing effect on citations", "demand_pricing", "citations_mo", PARK_CIT)

    C("restaurant_hygiene", "does getting a follow-up visit improve a restaurant's next inspection score?", "followup_visit", "next_insp_score", REST_NEXT)
    C("admissions_bursary", "does getting the merit bursary make applicants more likely to enrol", "merit_bursary", "enrolled", ADM_ENROL)

    # ---------------- designs said in words or visible in the shape ----------------
    wdd = {"unit": "district", "period": "month", "treatment_start": "2021-04"}
    C("water_nrw", "we put pressure reducing valves into some districts starting april 2021 -- what did that do to non-revenue water?", "prv_installed", "nrw_pct", WATER_PRV, "did", wdd)
    C("water_nrw", "effect of prv_installed on nrw_pct. it's a district by month panel", "prv_installed", "nrw_pct", WATER_PRV, "did", wdd)
    C("water_nrw", "Did the PRV programme bring NRW down? I'd like to compare before/after against the districts that never got valves.", "prv_installed", "nrw_pct", WATER_PRV, "did", wdd)
    C("water_nrw", "diff in diff pls: prv on nrw", "prv_installed", "nrw_pct", WATER_PRV, "did", wdd)

    pdd = {"unit": "terminal_id", "period": "quarter"}
    C("port_gates", "Terminals rolled out automated gates at different times between 2019 and 2022. Did that cut truck turnaround?", "auto_gate", "truck_turn_min", PORT_GATE, "did", pdd)
    C("port_gates", "staggered rollout of auto_gate - effect on truck_turn_min?", "auto_gate", "truck_turn_min", PORT_GATE, "did", pdd)
    C("port_gates", "how many minutes per truck visit did the auto gates save us", "auto_gate", "truck_turn_min", PORT_GATE, "did", pdd)

    ldd = {"unit": "branch_name", "period": "month", "group_column": "library_system", "treated_groups": ["Harbor"], "treatment_start": "2022-09"}
    C("library_fines", "The Harbor libraries went fine-free in September 2022. Did that bring in more active cardholders?", None, "active_cardholders", LIB_CARDS, "did", ldd)
    C("library_fines", "harbor system scrapped overdue fines from sept '22 -- effect on late returns?", None, "late_returns", LIB_LATE, "did", ldd)
    C("library_fines", "Since Sep 2022 the Harbor branches don't charge fines any more. Did late_returns go up because of it, relative to the other systems?", None, "late_returns", LIB_LATE, "did", ldd)

    fdd = {"unit": "zone", "period": "year", "group_column": "region", "treated_groups": ["Northern Shelf"], "treatment_start": "2016"}
    C("fishery_zones", "Northern Shelf switched to ITQs in 2016. effect on cpue?", None, "cpue_kg_hr", FISH_ITQ, "did", fdd)
    C("fishery_zones", "catch shares came in for the northern shelf zones from 2016 onwards while the other regions kept the old quota system. what did that do to catch per unit effort", None, "cpue_kg_hr", FISH_ITQ, "did", fdd)
    C("fishery_zones", "did the 2016 quota reform in the Northern Shelf raise cpue_kg_hr compared with the other regions?", None, "cpue_kg_hr", FISH_ITQ, "did", fdd)

    rdd_r = {"running": "insp_score", "cutoff": 70, "cutoff_side": "below"}
    C("restaurant_hygiene", "any restaurant that scored under 70 got an automatic follow-up inspection. did the follow-up improve their next score?", "followup_visit", "next_insp_score", REST_NEXT, "rdd", rdd_r)
    C("restaurant_hygiene", "places below 70 on the inspection get a follow up visit; does that reduce complaints over the next 12 months?", "followup_visit", "complaints_12m", REST_COMPL, "rdd", rdd_r)
    C("restaurant_hygiene", "rule is: score less than seventy means a reinspection visit. effect on next_insp_score?", "followup_visit", "next_insp_score", REST_NEXT, "rdd", rdd_r)

    rdd_a = {"running": "entrance_score", "cutoff": 85, "cutoff_side": "above"}
    C("admissions_bursary", "Everyone with an entrance score of 85 or more was offered the merit bursary. Did the bursary change whether they enrolled?", "merit_bursary", "enrolled", ADM_ENROL, "rdd", rdd_a)
    C("admissions_bursary", "bursary threshold is 85 pts on the entrance exam. effect on enrolment?", "merit_bursary", "enrolled", ADM_ENROL, "rdd", rdd_a)
    C("admissions_bursary", "applicants at or above eighty-five got the money. does the money make them more likely to actually come here?", "merit_bursary", "enrolled", ADM_ENROL, "rdd", rdd_a)

    ivd = {"instrument": "depot_dist_km"}
    C("wind_turbines", "Distance to the service depot affects how often crews can get out to a turbine but shouldn't affect output otherwise. Use that to get the effect of inspections on availability.", "inspections_yr", A, WIND_INSP, "iv", ivd)
    C("wind_turbines", "can you use depot_dist_km as an instrument for inspections_yr -> availability_pct", "inspections_yr", A, WIND_INSP, "iv", ivd)
    C("wind_turbines", "there's unobserved wear on the machines messing up any comparison. how far the turbine is from the depot is basically arbitrary and only changes how often we inspect it. what's the real effect of an extra inspection on availability?", "inspections_yr", A, WIND_INSP, "iv", ivd)

    C("dental_reminders", "we randomly assigned patients to get an sms reminder or not. what's the effect on no-shows?", "sms_reminder", "no_show", DENT_SMS, "randomised")
    C("dental_reminders", "RCT - sms_reminder was a coin flip. effect on days to next booking", "sms_reminder", "days_to_next_booking", DENT_DAYS, "randomised")
    C("dental_reminders", "The booking system allocated the text reminders at random. Did they cut missed appointments?", "sms_reminder", "no_show", DENT_SMS, "randomised")
    C("parking_pricing", "blocks were randomly picked for demand pricing in the pilot. what did it do to occupancy?", "demand_pricing", "occupancy_pct", PARK_ATE, "randomised")
    C("parking_pricing", "this was a randomized pilot; how did demand_pricing change citations_mo", "demand_pricing", "citations_mo", PARK_CIT, "randomised")

    # ---------------- subgroups and by-group ----------------
    C("reserve_sectors", "do ranger posts reduce poaching in forest sectors specifically?", "ranger_post", P, RES_POST["forest"], "backdoor", subgroup=_F("habitat", "==", "forest"))
    C("reserve_sectors", "effect of ranger posts for the savanna sectors only", "ranger_post", P, RES_POST["savanna"], "backdoor", subgroup=_F("habitat", "==", "savanna"))
    C("reserve_sectors", "does the effect of a ranger post on poaching differ by habitat?", "ranger_post", P, None, "backdoor", by_group="habitat")
    C("reserve_sectors", "wetland only: ranger_post -> poaching_incidents", "ranger_post", P, RES_POST["wetland"], "backdoor", subgroup=_F("habitat", "==", "wetland"))
    C("parking_pricing", "for retail blocks, how much did demand pricing cut occupancy?", "demand_pricing", "occupancy_pct", PARK["retail"], subgroup=_F("land_use", "==", "retail"))
    C("parking_pricing", "is the pricing effect on occupancy different across land use types?", "demand_pricing", "occupancy_pct", None, by_group="land_use")
    C("parking_pricing", "demand pricing effect on occupancy among residential blocks (assignment was random)", "demand_pricing", "occupancy_pct", PARK["residential"], "randomised", subgroup=_F("land_use", "==", "residential"))
    C("parking_pricing", "leaving out retail, what did demand pricing do to occupancy?", "demand_pricing", "occupancy_pct", PARK["residential"], subgroup=_F("land_use", "!=", "retail"))
    C("call_centre", "effect of coaching hours on csat for the Manila site", "coaching_hrs", "csat", CC_HR_TOTAL, "backdoor", subgroup=_F("site", "==", "Manila"))
    C("vet_weight", "for dogs only, does the rx diet work?", "rx_diet", W, VET_RX, "backdoor", subgroup=_F("species", "==", "dog"))
    C("telematics_claims", "among drivers over 60, what's the effect of telematics on claim cost", T, K, TEL_TOTAL, "backdoor", subgroup=_F("driverAge", ">", 60))
    C("ride_survey", "does the subscription effect on rides vary between cities?", "subscriber", R_, None, "backdoor", by_group="city")
    C("dental_reminders", "does the sms effect on no shows vary by insurance type", "sms_reminder", "no_show", None, by_group="insurance")

    # ---------------- contrasts ----------------
    dmean = float(D["telematics_claims"]["deductibleUSD"].mean())
    pmean = float(D["reserve_sectors"]["patrol_km_wk"].mean())
    hmean = float(D["call_centre"]["coaching_hrs"].mean())
    C("telematics_claims", "if we raised everyone's deductible by $500, how much would claim costs change?", "deductibleUSD", K, 500 * DEDUCT, "backdoor", contrast={"kind": "increase", "amount": 500})
    C("telematics_claims", "what happens to claim cost if deductibles double?", "deductibleUSD", K, DEDUCT * dmean, "backdoor", contrast={"kind": "double"})
    C("telematics_claims", "going from a 250 to a 1000 dollar deductible -- effect on claimCostUSD?", "deductibleUSD", K, (1000 - 250) * DEDUCT, "backdoor", contrast={"kind": "from_to", "from": 250, "to": 1000})
    C("ride_survey", "if people stayed subscribed 6 months longer how many more rides would we get per month?", "sub_months", R_, 6 * RIDE_MONTH, "backdoor", contrast={"kind": "increase", "amount": 6})
    C("call_centre", "if every agent got an extra 5 hrs of coaching, csat goes up by how much?", "coaching_hrs", "csat", 5 * CC_HR_TOTAL, "backdoor", contrast={"kind": "increase", "amount": 5})
    C("call_centre", "What if we halved coaching hours -- what happens to average handle time?", "coaching_hrs", "aht_sec", CC_AHT_HR * (-hmean / 2), "backdoor", contrast={"kind": "half"})
    C("call_centre", "what would csat look like if coaching went from 4 to 12 hours", "coaching_hrs", "csat", 8 * CC_HR_TOTAL, "backdoor", contrast={"kind": "from_to", "from": 4, "to": 12})
    C("vet_weight", "if owners added 30 more minutes of exercise a day, what happens to weight change?", "exercise_min_day", W, 30 * VET_EX, "backdoor", contrast={"kind": "increase", "amount": 30})
    C("vet_weight", "what if dogs got 20 minutes less exercise per day", "exercise_min_day", W, -20 * VET_EX, "backdoor", contrast={"kind": "decrease", "amount": 20}, subgroup=_F("species", "==", "dog"))
    C("reserve_sectors", "we're thinking of doubling patrol distance. impact on poaching?", "patrol_km_wk", P, RES_PATROL * pmean, "backdoor", contrast={"kind": "double"})
    C("reserve_sectors", "if weekly patrols went from 30 to 50 km, how many fewer incidents?", "patrol_km_wk", P, 20 * RES_PATROL, "backdoor", contrast={"kind": "from_to", "from": 30, "to": 50})
    C("wind_turbines", "what would two extra inspections a year do to availability? depot distance can serve as the instrument", "inspections_yr", A, 2 * WIND_INSP, "iv", ivd, contrast={"kind": "increase", "amount": 2})
    C("dental_reminders", "what would happen to no-shows if we stopped sending the reminder texts altogether?", "sms_reminder", "no_show", -DENT_SMS, contrast={"kind": "stop"})

    # ---------------- descriptive with filters ----------------
    Dq("water_nrw", "average nrw_pct across all districts in 2022", "mean", ["nrw_pct"], [_F("month", ">=", "2022-01"), _F("month", "<=", "2022-12")])
    Dq("port_gates", "mean truck turn time at the Rotterdam terminals since 2023", "mean", ["truck_turn_min"], [_F("port", "==", "Rotterdam"), _F("quarter", ">=", "2023Q1")])
    Dq("library_fines", "total checkouts for the Valley system in 2023?", "sum", ["checkouts"], [_F("library_system", "==", "Valley"), _F("month", ">=", "2023-01"), _F("month", "<=", "2023-12")])
    Dq("restaurant_hygiene", "how many restaurants in Old Town scored below 70?", "count", ["insp_score"], [_F("borough", "==", "Old Town"), _F("insp_score", "<", 70)])
    Share("admissions_bursary", "what fraction of first-gen applicants ended up enrolling", "enrolled", 1, [_F("first_gen", "==", "Y")])
    Dq("wind_turbines", "highest availability on the Ridgeback farm?", "max", ["availability_pct"], [_F("farm", "==", "Ridgeback")])
    Dq("dental_reminders", "how many no-shows have we had since March 2024", "count", ["no_show"], [_F("no_show", "==", "yes"), _F("appt_date", ">=", "2024-03-01")])
    Dq("telematics_claims", "Average claim cost for drivers over 60?", "mean", ["claimCostUSD"], [_F("driverAge", ">", 60)])
    Dq("ride_survey", "median rides last month for respondents in Porto", "median", ["rides_last_month"], [_F("city", "==", "Porto")])
    Dq("reserve_sectors", "how many forest sectors have a ranger post", "count", ["ranger_post"], [_F("habitat", "==", "forest"), _F("ranger_post", "==", "yes")])
    Dq("call_centre", "std dev of csat at Leeds", "sd", ["csat"], [_F("site", "==", "Leeds")])
    Dq("fishery_zones", "avg cpue in the Northern Shelf before 2016", "mean", ["cpue_kg_hr"], [_F("region", "==", "Northern Shelf"), _F("year", "<", 2016)])
    Dq("parking_pricing", "average occupancy on retail blocks in zone 3", "mean", ["occupancy_pct"], [_F("land_use", "==", "retail"), _F("zone_cd", "==", 3)])
    Dq("vet_weight", "what's the average age of cats with a body condition score over 7", "mean", ["age_yrs"], [_F("species", "==", "cat"), _F("bcs_baseline", ">", 7)])
    Dq("call_centre", "average handle time by site", "by_group", ["aht_sec"], group_by="site")
    Dq("ride_survey", "correlation between sub_months and rides_last_month?", "correlation", ["sub_months", "rides_last_month"])
    Share("parking_pricing", "what share of blocks are retail?", "land_use", "retail")

    # ---------------- claims review (binary instrument) ----------------
    civ = {"instrument": "filed_monday"}
    C("claims_review", "does sending a claim to fraud review slow down settlement?", "fraud_review", "days_to_settle", CLM_REVIEW)
    C("claims_review", "Effect of fraud_review on days_to_settle please", "fraud_review", "days_to_settle", CLM_REVIEW)
    C("claims_review", "Because of the staff rota, claims lodged on a Monday get pushed into fraud review much more often, and the day of the week shouldn't matter for settlement otherwise. Can you use that to estimate how many days a review adds?", "fraud_review", "days_to_settle", CLM_REVIEW, "iv", civ)
    C("claims_review", "use filed_monday as an IV for fraud_review -> days_to_settle", "fraud_review", "days_to_settle", CLM_REVIEW, "iv", civ)
    C("claims_review", "handlers only refer the dodgy-looking claims so the raw gap is inflated. monday filing is as good as random and drives referrals - how long does a fraud review really add to settlement?", "fraud_review", "days_to_settle", CLM_REVIEW, "iv", civ)
    C("claims_review", "if we started putting every claim through fraud review, how much longer would settlement take (monday claims are the natural experiment here)", "fraud_review", "days_to_settle", CLM_REVIEW, "iv", civ, contrast={"kind": "start"})
    Dq("claims_review", "avg days to settle for motor claims (line_cd 1) over 5000 pounds", "mean", ["days_to_settle"], [_F("line_cd", "==", 1), _F("claim_amt_gbp", ">", 5000)])
    U("claims_review", "does the handler's team leader affect settlement time?", "unanswerable")

    # ---------------- unanswerable / other ----------------
    U("water_nrw", "what's the effect of customer complaints on nrw?", "unanswerable")
    U("port_gates", "did the new union agreement for crane operators reduce turn times?", "unanswerable")
    U("library_fines", "did launching the mobile app increase checkouts", "unanswerable")
    U("restaurant_hygiene", "does the head chef's level of food safety training affect inspection scores?", "unanswerable")
    U("fishery_zones", "effect of diesel prices on cpue", "unanswerable")
    U("telematics_claims", "What's the effect of credit score on claim costs?", "unanswerable")
    U("vet_weight", "does the brand of kibble affect weight change", "unanswerable")
    U("dental_reminders", "did the dentist's years of experience affect no-shows?", "unanswerable")
    U("call_centre", "hello! what kind of questions can I ask you about this file?", "other")
    U("reserve_sectors", "thanks, that's really helpful", "other")
    U("parking_pricing", "can you export the results as a pdf?", "other")
    U("fishery_zones", "what does difference-in-differences actually mean?", "other")
    return cases


TIMING_OPTS = [{"id": "before", "label": "Measured before — keep adjusting for it"},
               {"id": "after", "label": "Measured after — leave it out"},
               {"id": "unsure", "label": "Not sure — show me both"}]
DESIGN_OPTS = [{"id": "yes", "label": "Yes, use this design"}, {"id": "no", "label": "No, plain adjustment instead"}]


def _numbered(cols: list[str]) -> list[dict]:
    return [{"id": str(i + 1), "label": c} for i, c in enumerate(cols)]


def build_replies() -> list[dict]:
    out: list[dict] = []

    def timing(schema, q, about, reply, expected):
        text = ("Was " + ", ".join(f"`{a}`" for a in about) + " measured before or after the treatment? "
                "If after, I should not adjust for it.")
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
    # timing
    tq = "does the telematics box lower claim cost?"
    timing("telematics_claims", tq, ["annualKm"], "after - that's the mileage the box logs once it's installed", {"decisions": {"annualKm": "after"}})
    timing("telematics_claims", tq, ["custTenureYrs"], "no, it wasn't measured after. tenure is counted from before anyone opted in", {"decisions": {"custTenureYrs": "before"}})
    timing("telematics_claims", tq, ["annualKm", "driverAge"], "age is obviously before. km: after", {"decisions": {"driverAge": "before", "annualKm": "after"}})
    cq = "did coaching improve csat?"
    timing("call_centre", cq, ["tenure_months", "escalations"], "keep tenure but drop escalations", {"decisions": {"tenure_months": "before", "escalations": "after"}})
    timing("call_centre", cq, ["escalations"], "escalations are counted over the month following the coaching, so leave them out", {"decisions": {"escalations": "after"}})
    timing("call_centre", cq, ["tenure_months"], "what do you mean by measured?", U)
    timing("call_centre", cq, ["escalations"], "before I answer, can you explain why it matters?", U)
    vq = "does the rx diet make pets lose weight?"
    timing("vet_weight", vq, ["bcs_baseline"], "keep it", {"decisions": {"bcs_baseline": "before"}})
    timing("vet_weight", vq, ["recheck_visits"], "those come later, once the diet has started", {"decisions": {"recheck_visits": "after"}})
    timing("vet_weight", vq, ["recheck_visits", "bcs_baseline"], "bcs gets scored at the first consult; the recheck visits happen afterwards", {"decisions": {"bcs_baseline": "before", "recheck_visits": "after"}})
    timing("vet_weight", vq, ["exercise_min_day"], "pretty sure owners report exercise at intake, so keep it in", {"decisions": {"exercise_min_day": "before"}})
    rq = "do subscribers ride more?"
    timing("ride_survey", rq, ["app_rating"], "not sure honestly", {"decisions": {"app_rating": "unsure"}})
    timing("ride_survey", rq, ["inc_band", "app_rating"], "income comes from the screener so that's before. no idea about the rating", {"decisions": {"inc_band": "before", "app_rating": "unsure"}})
    timing("ride_survey", rq, ["edu_cat"], "is it going to rain tomorrow?", U)
    timing("wind_turbines", "do more inspections raise availability?", ["gearbox_temp_c"], "idk, show me both versions", {"decisions": {"gearbox_temp_c": "unsure"}})
    timing("dental_reminders", "do sms reminders reduce no-shows?", ["confirm_reply"], "that's the patient texting back, which can only happen once we've sent the sms", {"decisions": {"confirm_reply": "after"}})
    timing("restaurant_hygiene", "does the follow-up visit improve the next score?", ["critical_viol"], "it comes from the same inspection that produced the score, not after the follow-up", {"decisions": {"critical_viol": "before"}})
    timing("admissions_bursary", "does the bursary raise enrolment?", ["interview_band"], "interviews happen before any offers go out", {"decisions": {"interview_band": "before"}})
    timing("water_nrw", "did the valves reduce nrw?", ["avg_pressure_m"], "pressure drops because of the valves, so it's downstream", {"decisions": {"avg_pressure_m": "after"}})
    timing("reserve_sectors", "do ranger posts reduce poaching?", ["tourist_visits_yr"], "before", {"decisions": {"tourist_visits_yr": "before"}})
    timing("reserve_sectors", "do ranger posts reduce poaching?", ["dist_village_km"], "it can't be after, villages don't move", {"decisions": {"dist_village_km": "before"}})
    timing("fishery_zones", "did ITQs raise cpue in the northern shelf?", ["vessels_active"], "after -- the fleet consolidated once quota became tradable", {"decisions": {"vessels_active": "after"}})
    timing("parking_pricing", "does demand pricing lower occupancy?", ["meter_rev_usd"], "revenue is recorded during the pilot, so it's post-treatment. exclude it", {"decisions": {"meter_rev_usd": "after"}})
    timing("call_centre", cq, ["shift", "escalations"], "both were there before coaching started", {"decisions": {"shift": "before", "escalations": "before"}})
    # choose treatment
    choose("ride_survey", "does the subscription increase rides?", "choose_treatment", "Which column is the treatment?", ["subscriber", "sub_months"], "2", {"treatment": "sub_months"})
    choose("ride_survey", "does the subscription increase rides?", "choose_treatment", "Which column is the treatment?", ["subscriber", "sub_months"], "the yes/no one", {"treatment": "subscriber"})
    choose("call_centre", "does coaching help csat", "choose_treatment", "Which column should I treat as the treatment?", ["coached", "coaching_hrs"], "hours please", {"treatment": "coaching_hrs"})
    choose("call_centre", "does coaching help csat", "choose_treatment", "Which column should I treat as the treatment?", ["coached", "coaching_hrs"], "1", {"treatment": "coached"})
    choose("call_centre", "does coaching help csat", "choose_treatment", "Which column should I treat as the treatment?", ["coached", "coaching_hrs"], "either is fine, you pick", U)
    choose("reserve_sectors", "does ranger presence cut poaching", "choose_treatment", "Which column is the treatment?", ["ranger_post", "patrol_km_wk"], "patrol distance", {"treatment": "patrol_km_wk"})
    choose("telematics_claims", "does our product design affect claims", "choose_treatment", "Which column is the treatment?", ["telematicsOptIn", "deductibleUSD"], "the black box one", {"treatment": "telematicsOptIn"})
    # choose outcome
    choose("call_centre", "what does coaching do for performance", "choose_outcome", "Which outcome do you mean?", ["csat", "aht_sec"], "handle time", {"outcome": "aht_sec"})
    choose("dental_reminders", "do the reminders work?", "choose_outcome", "Which outcome should I look at?", ["no_show", "days_to_next_booking"], "no-shows obviously", {"outcome": "no_show"})
    choose("restaurant_hygiene", "does the follow-up visit help?", "choose_outcome", "Which outcome do you mean?", ["next_insp_score", "complaints_12m"], "2", {"outcome": "complaints_12m"})
    choose("library_fines", "did going fine-free in Harbor help?", "choose_outcome", "Which outcome should I use?", ["active_cardholders", "late_returns", "checkouts"], "number 1", {"outcome": "active_cardholders"})
    choose("parking_pricing", "what did demand pricing do?", "choose_outcome", "Which outcome should I use?", ["occupancy_pct", "citations_mo"], "hmm both are interesting", U)
    choose("wind_turbines", "do inspections help?", "choose_outcome", "Which outcome should I use?", ["availability_pct", "gearbox_temp_c"], "not the temperature, the other one", {"outcome": "availability_pct"})
    # choose column
    choose("library_fines", "did going fine free in harbor help cardholders?", "choose_column", "Which column names the group that changed its policy?", ["library_system", "branch_name"], "library_system", {"column": "library_system"})
    choose("fishery_zones", "did ITQs raise cpue?", "choose_column", "Which column is the time period?", ["year", "zone"], "1", {"column": "year"})
    choose("water_nrw", "did the valves reduce nrw?", "choose_column", "Which column identifies the unit that is followed over time?", ["district", "month"], "district", {"column": "district"})
    choose("admissions_bursary", "does the bursary raise enrolment? cutoff is 85", "choose_column", "Which column is the score the cutoff applies to?", ["entrance_score", "app_seq"], "the score, not the sequence number", {"column": "entrance_score"})
    choose("port_gates", "did the auto gates cut turn times?", "choose_column", "Which column is the time period?", ["quarter", "terminal_id"], "the one with values like 2019Q3", {"column": "quarter"})
    # confirm design
    design("restaurant_hygiene", "does the follow-up visit improve the next score? under 70 gets one", "Follow-up visits look like they go to restaurants scoring below 70. Use a regression discontinuity at 70?", ["insp_score"], "yes", {"design_confirmed": True})
    design("admissions_bursary", "does the bursary raise enrolment?", "Bursaries seem to start at an entrance score of 85. Use a regression discontinuity there?", ["entrance_score"], "no, the cutoff wasn't applied strictly, just adjust normally", {"design_confirmed": False})
    design("wind_turbines", "effect of inspections on availability", "Should I use depot_dist_km as an instrument for inspections_yr?", ["depot_dist_km"], "yep go for it", {"design_confirmed": True})
    design("water_nrw", "did the valves reduce nrw?", "Compare districts before and after the valves against districts that never got them (difference-in-differences)?", ["district", "month"], "nah, plain adjustment is fine", {"design_confirmed": False})
    design("fishery_zones", "did ITQs raise cpue?", "Use a difference-in-differences design with Northern Shelf as the treated region from 2016?", ["region", "year"], "what's a difference in differences?", U)
    design("dental_reminders", "do reminders cut no-shows?", "Was sms_reminder randomly assigned, so I can compare the groups directly?", ["sms_reminder"], "yes it was a coin flip", {"design_confirmed": True})
    design("library_fines", "did fine-free Harbor get more cardholders?", "Treat Harbor from 2022-09 as treated and compare with the other systems over time?", ["library_system", "month"], "No thanks", {"design_confirmed": False})
    design("port_gates", "did auto gates cut turn times?", "Terminals switch auto_gate on in different quarters. Use a staggered difference-in-differences?", ["terminal_id", "quarter"], "sure, sounds right", {"design_confirmed": True})
    design("admissions_bursary", "does the bursary raise enrolment?", "Bursaries seem to start at an entrance score of 85. Use a regression discontinuity there?", ["entrance_score"], "hmm maybe, let me ask my colleague first", U)
    timing("claims_review", "does fraud review slow settlement?", ["handler_touches"], "drop it", {"decisions": {"handler_touches": "after"}})
    timing("claims_review", "does fraud review slow settlement?", ["claim_amt_gbp", "line_cd"], "leave both in, they're on the claim form", {"decisions": {"claim_amt_gbp": "before", "line_cd": "before"}})
    timing("claims_review", "does fraud review slow settlement?", ["handler_touches", "claim_amt_gbp"], "the amount is known when it's filed. touches pile up after the review, so no to that one", {"decisions": {"claim_amt_gbp": "before", "handler_touches": "after"}})
    design("claims_review", "how long does fraud review add?", "Should I use filed_monday as an instrument for fraud_review?", ["filed_monday"], "yes, that's what the rota does", {"design_confirmed": True})
    design("claims_review", "how long does fraud review add?", "Should I use filed_monday as an instrument for fraud_review?", ["filed_monday"], "no - monday claims are different, weekend accidents", {"design_confirmed": False})
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


def checks() -> None:
    D = datasets()
    yn = lambda s: s.isin(["Y", "yes", "true", 1]).astype(float)  # noqa: E731
    rows = []
    # water TWFE
    d = D["water_nrw"]
    b = _ols(d.nrw_pct, pd.concat([d[["prv_installed"]], _dummies(d, ["district", "month"])], axis=1))
    rows.append(("water prv->nrw (TWFE)", WATER_PRV, b["prv_installed"], d.groupby("prv_installed").nrw_pct.mean().diff().iloc[-1]))
    d = D["port_gates"]
    b = _ols(d.truck_turn_min, pd.concat([d[["auto_gate"]], _dummies(d, ["terminal_id", "quarter"])], axis=1))
    rows.append(("port auto_gate (TWFE)", PORT_GATE, b["auto_gate"], d.groupby("auto_gate").truck_turn_min.mean().diff().iloc[-1]))
    d = D["library_fines"].copy()
    d["D"] = ((d.library_system == "Harbor") & (d.month >= "2022-09")).astype(float)
    for o, tv in [("active_cardholders", LIB_CARDS), ("late_returns", LIB_LATE)]:
        b = _ols(d[o], pd.concat([d[["D"]], _dummies(d, ["branch_name", "month"])], axis=1))
        rows.append((f"library {o} (TWFE)", tv, b["D"], d[d.month >= "2022-09"].groupby(d.library_system == "Harbor")[o].mean().diff().iloc[-1]))
    d = D["fishery_zones"].copy()
    d["D"] = ((d.region == "Northern Shelf") & (d.year >= 2016)).astype(float)
    b = _ols(d.cpue_kg_hr, pd.concat([d[["D"]], _dummies(d, ["zone", "year"])], axis=1))
    rows.append(("fishery ITQ (TWFE)", FISH_ITQ, b["D"], d[d.year >= 2016].groupby(d.region == "Northern Shelf").cpue_kg_hr.mean().diff().iloc[-1]))
    # RDD: local linear, bandwidth 12
    d = D["restaurant_hygiene"].copy()
    d["T"] = yn(d.followup_visit)
    assert (d["T"] == (d.insp_score < 70)).all()
    w = d[(d.insp_score - 70).abs() <= 12].copy()
    w["x"] = w.insp_score - 70
    w["Tx"] = w["T"] * w.x
    for o, tv in [("next_insp_score", REST_NEXT), ("complaints_12m", REST_COMPL)]:
        b = _ols(w[o], w[["T", "x", "Tx"]])
        rows.append((f"restaurant {o} (RDD)", tv, b["T"], d.groupby("T")[o].mean().diff().iloc[-1]))
    d = D["admissions_bursary"].copy()
    d["T"] = yn(d.merit_bursary)
    assert (d["T"] == (d.entrance_score >= 85)).all()
    d["x"] = d.entrance_score - 85
    d["Tx"] = d["T"] * d.x
    b = _ols(d.enrolled, d[["T", "x", "Tx"]])
    rows.append(("admissions enrolled (RDD global linear)", ADM_ENROL, b["T"], d.groupby("T").enrolled.mean().diff().iloc[-1]))
    # IV
    d = D["wind_turbines"]
    z, x, y = d.depot_dist_km, d.inspections_yr, d.availability_pct
    iv = np.cov(z, y)[0, 1] / np.cov(z, x)[0, 1]
    rows.append(("wind inspections (Wald IV)", WIND_INSP, iv, _ols(y, d[["inspections_yr"]])["inspections_yr"]))
    # randomised
    d = D["dental_reminders"].copy()
    d["ns"] = yn(d.no_show)
    rows.append(("dental no_show (diff)", DENT_SMS, d.groupby("sms_reminder").ns.mean().diff().iloc[-1], np.nan))
    rows.append(("dental days (diff)", DENT_DAYS, d.groupby("sms_reminder").days_to_next_booking.mean().diff().iloc[-1], np.nan))
    d = D["parking_pricing"]
    rows.append(("parking occupancy (diff)", PARK_ATE, d.groupby("demand_pricing").occupancy_pct.mean().diff().iloc[-1], np.nan))
    for lu in ["retail", "residential"]:
        s = d[d.land_use == lu]
        rows.append((f"parking occupancy {lu}", PARK[lu], s.groupby("demand_pricing").occupancy_pct.mean().diff().iloc[-1], np.nan))
    s = d[d.land_use != "retail"]
    rows.append(("parking occupancy non-retail", PARK["residential"], s.groupby("demand_pricing").occupancy_pct.mean().diff().iloc[-1], np.nan))
    rows.append(("parking citations (diff)", PARK_CIT, d.groupby("demand_pricing").citations_mo.mean().diff().iloc[-1], np.nan))
    # backdoor
    d = D["telematics_claims"].copy()
    d["T"] = yn(d.telematicsOptIn)
    d["absage"] = (d.driverAge - 45).abs()
    X = pd.concat([d[["T", "custTenureYrs", "absage", "driverAge", "deductibleUSD"]], _dummies(d, ["vehicleType"])], axis=1)
    b = _ols(d.claimCostUSD, X)
    rows.append(("telematics total (adj tenure, age, vtype)", TEL_TOTAL, b["T"], d.groupby("T").claimCostUSD.mean().diff().iloc[-1]))
    rows.append(("deductible per $", DEDUCT, b["deductibleUSD"], _ols(d.claimCostUSD, d[["deductibleUSD"]])["deductibleUSD"]))
    b2 = _ols(d.claimCostUSD, pd.concat([X, d[["annualKm"]]], axis=1))
    rows.append(("telematics if annualKm adjusted (wrong)", TEL_TOTAL, b2["T"], np.nan))
    s = d[d.driverAge > 60]
    b = _ols(s.claimCostUSD, pd.concat([s[["T", "custTenureYrs", "absage", "deductibleUSD"]], _dummies(s, ["vehicleType"])], axis=1))
    rows.append(("telematics, age>60", TEL_TOTAL, b["T"], np.nan))
    d = D["ride_survey"].copy()
    d["S"] = yn(d.subscriber)
    d["car"] = yn(d.owns_car)
    X = pd.concat([d[["inc_band", "car", "edu_cat"]], _dummies(d, ["city"])], axis=1)
    rows.append(("ride sub_months", RIDE_MONTH, _ols(d.rides_last_month, pd.concat([d[["sub_months"]], X], axis=1))["sub_months"], np.nan))
    rows.append(("ride subscriber", RIDE_SUB, _ols(d.rides_last_month, pd.concat([d[["S"]], X], axis=1))["S"], d.groupby("S").rides_last_month.mean().diff().iloc[-1]))
    d = D["reserve_sectors"].copy()
    d["T"] = yn(d.ranger_post)
    X = pd.concat([d[["dist_village_km", "area_km2", "patrol_km_wk"]], _dummies(d, ["habitat"])], axis=1)
    for h in RES_POST:
        X[f"T_{h}"] = d["T"] * (d.habitat == h)
    b = _ols(d.poaching_incidents, X)
    for h in RES_POST:
        rows.append((f"reserve ranger_post {h}", RES_POST[h], b[f"T_{h}"], np.nan))
    rows.append(("reserve ranger_post ATE (share-weighted)", RES_ATE, sum(_RS[h] * b[f"T_{h}"] for h in RES_POST), d.groupby("T").poaching_incidents.mean().diff().iloc[-1]))
    rows.append(("reserve patrol per km", RES_PATROL, b["patrol_km_wk"], np.nan))
    d = D["call_centre"].copy()
    d["T"] = yn(d.coached)
    X = pd.concat([d[["tenure_months"]], _dummies(d, ["site"])], axis=1)
    for o, tv_h, tv_b in [("csat", CC_HR_TOTAL, CC_COACHED), ("aht_sec", CC_AHT_HR, CC_AHT_COACHED)]:
        rows.append((f"call {o} per hr", tv_h, _ols(d[o], pd.concat([d[["coaching_hrs"]], X], axis=1))["coaching_hrs"], np.nan))
        rows.append((f"call {o} coached", tv_b, _ols(d[o], pd.concat([d[["T"]], X], axis=1))["T"], d.groupby("T")[o].mean().diff().iloc[-1]))
    s = d[d.site == "Manila"]
    rows.append(("call csat per hr, Manila", CC_HR_TOTAL, _ols(s.csat, s[["coaching_hrs", "tenure_months"]])["coaching_hrs"], np.nan))
    rows.append(("call csat per hr adj escalations (wrong)", CC_HR_TOTAL, _ols(d.csat, pd.concat([d[["coaching_hrs", "escalations"]], X], axis=1))["coaching_hrs"], np.nan))
    d = D["vet_weight"].copy()
    d["T"] = yn(d.rx_diet)
    X = pd.concat([d[["T", "bcs_baseline", "age_yrs", "exercise_min_day"]]], axis=1)
    b = _ols(d.wt_change_kg, X)
    rows.append(("vet rx_diet", VET_RX, b["T"], d.groupby("T").wt_change_kg.mean().diff().iloc[-1]))
    rows.append(("vet exercise per min", VET_EX, b["exercise_min_day"], np.nan))
    rows.append(("vet rx_diet adj recheck (wrong)", VET_RX, _ols(d.wt_change_kg, pd.concat([X, d[["recheck_visits"]]], axis=1))["T"], np.nan))
    s = d[d.species == "dog"]
    rows.append(("vet rx_diet dogs", VET_RX, _ols(s.wt_change_kg, s[["T", "bcs_baseline", "age_yrs", "exercise_min_day"]])["T"], np.nan))
    d = D["claims_review"]
    z = yn(d.filed_monday); x = yn(d.fraud_review); y = d.days_to_settle
    rows.append(("claims review (Wald IV)", CLM_REVIEW, np.cov(z, y)[0, 1] / np.cov(z, x)[0, 1], x.groupby(x).size().pipe(lambda _: y[x == 1].mean() - y[x == 0].mean())))
    print(f"{'check':48s} {'truth':>9s} {'oracle':>9s} {'naive':>9s}")
    for name, tv, est, naive in rows:
        print(f"{name:48s} {tv:9.3f} {est:9.3f} {naive:9.3f}")


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    qs = build_cases()
    rs = build_replies()
    with open(os.path.join(here, "cases.json"), "w") as fh:
        json.dump({"set": "dev-5", "cases": qs + rs}, fh, indent=1, ensure_ascii=False)
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
    print("questions", len(qs), dict(kinds), "replies", len(rs), Counter(r["prompt"]["kind"] for r in rs))
    checks()
