"""dev-3 (written as a held-out set, now a development set): synthetic data sets with known causal effects.

Pure numpy + pandas, fixed seeds, no network. `datasets()` returns the tables a user would
upload; `TRUTH` records the simulated effects. Effects that vary between people are averaged
over the generated rows (sample average of the simulated individual effects), so the
overall figures are exact for these data; subgroup figures are the simulated effect within
that subgroup.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _yn(mask, yes="Y", no="N"):
    return np.where(mask, yes, no)


def _holes(rng, values, share):
    """Return a float/object copy of values with a share of entries set to missing."""
    out = pd.Series(values).copy()
    idx = rng.random(len(out)) < share
    out = out.astype(object) if out.dtype == object else out.astype(float)
    out[idx] = np.nan
    return out.values


# ----------------------------------------------------------------------------------------
# 1. clinic_sms: randomised SMS reminders; effect bigger for patients 65+
# ----------------------------------------------------------------------------------------
def _clinic_sms(seed=119):
    rng = np.random.default_rng(seed)
    n = 3000
    ids = np.sort(rng.choice(np.arange(100000, 999999), n, replace=False))
    age = np.clip(np.round(rng.normal(52, 17, n)), 18, 92).astype(int)
    sex = rng.choice(["F", "M"], n, p=[0.56, 0.44])
    ins = np.where(
        age >= 65,
        rng.choice(["Medicare", "Private", "Medicaid", "Uninsured"], n, p=[0.8, 0.12, 0.06, 0.02]),
        rng.choice(["Private", "Medicaid", "Uninsured", "Medicare"], n, p=[0.58, 0.27, 0.12, 0.03]),
    )
    dist = np.round(np.clip(rng.lognormal(2.0, 0.7, n), 0.3, 80), 1)
    prior = np.clip(rng.poisson(0.8, n), 0, 5)
    lead = rng.integers(1, 61, n)
    day0 = np.datetime64("2023-01-02")
    appt = day0 + rng.integers(0, 362, n).astype("timedelta64[D]")
    portal = rng.random(n) < _sigmoid(1.2 - 0.04 * (age - 52) + 0.6 * (ins == "Private") - 0.5 * (ins == "Uninsured"))
    sms = rng.random(n) < 0.5  # coin flip
    tau = 0.06 + 0.08 * (age >= 65)
    p0 = (0.70 - 0.055 * prior - 0.0015 * lead + 0.0015 * (age - 52)
          - 0.08 * (ins == "Uninsured") + 0.04 * portal)
    p = p0 + tau * sms
    assert p.min() > 0 and p.max() < 1
    attended = (rng.random(n) < p).astype(int)
    resched = rng.random(n) < (0.06 + 0.10 * sms + 0.05 * (prior > 1))
    df = pd.DataFrame({
        "patient_id": ["PT" + str(i) for i in ids],
        "appt_date": pd.to_datetime(appt).strftime("%Y-%m-%d"),
        "age": age,
        "sex": sex,
        "insurance": ins,
        "dist_km": _holes(rng, dist, 0.04),
        "prior_no_shows": prior,
        "lead_days": lead,
        "portal_user": _yn(portal, "yes", "no"),
        "sms_reminder": _yn(sms, "yes", "no"),
        "rescheduled": _yn(resched, "Y", "N"),
        "attended": attended,
    })
    truth = {
        "design": "randomised",
        "effects": [
            {"treatment": "sms_reminder", "outcome": "attended", "scale": "binary_ate",
             "effect": float(np.mean(tau)),
             "subgroups": [
                 {"column": "age", "op": ">=", "value": 65, "effect": 0.14},
                 {"column": "age", "op": "<", "value": 65, "effect": 0.06},
                 {"column": "sex", "op": "==", "value": "F", "effect": float(np.mean(tau[sex == "F"]))},
                 {"column": "sex", "op": "==", "value": "M", "effect": float(np.mean(tau[sex == "M"]))},
             ]},
            {"treatment": "portal_user", "outcome": "attended", "scale": "binary_ate", "effect": 0.04,
             "design": "backdoor"},
            {"treatment": "dist_km", "outcome": "attended", "scale": "per_unit", "effect": 0.0,
             "design": "backdoor"},
        ],
        "pre_treatment": ["age", "sex", "insurance", "dist_km", "prior_no_shows", "lead_days", "portal_user"],
        "post_treatment": ["rescheduled"],
        "notes": "sms_reminder assigned by coin flip; effect 0.14 for 65+ and 0.06 below. rescheduled is "
                 "caused by the reminder (post-treatment). portal_user is confounded by age and insurance. "
                 "dist_km has no effect.",
    }
    return df, truth


# ----------------------------------------------------------------------------------------
# 2. grocery_checkout: store x month panel, staggered adoption of self-checkout
# ----------------------------------------------------------------------------------------
def _grocery_checkout():
    rng = np.random.default_rng(3102)
    n_st = 60
    months = pd.period_range("2021-01", "2023-12", freq="M")
    sqft = np.round(rng.lognormal(np.log(38), 0.35, n_st), 1)
    region = rng.choice(["North", "South", "East", "West"], n_st)
    order = np.argsort(-(sqft + rng.normal(0, 6, n_st)))
    start = np.array([None] * n_st, dtype=object)
    start[order[:18]] = "2022-01"
    start[order[18:32]] = "2022-07"
    start[order[32:44]] = "2023-04"
    store_ids = ["ST-" + str(x) for x in rng.choice(np.arange(100, 999), n_st, replace=False)]
    re_wait = rng.normal(0, 0.8, n_st)
    re_hours = rng.normal(0, 60, n_st)
    rows = []
    for s in range(n_st):
        for t, m in enumerate(months):
            ms = str(m)
            on = int(start[s] is not None and ms >= start[s])
            season = {12: 1.5, 11: 0.8, 7: 0.4}.get(m.month, 0.0)
            foot = 6 + 0.22 * sqft[s] + 1.5 * (season > 0) + rng.normal(0, 0.8)
            wait = 3.5 + 0.08 * sqft[s] + re_wait[s] + season + 0.03 * t - 1.8 * on + rng.normal(0, 0.6)
            hours = 900 + 22 * sqft[s] + re_hours[s] + 40 * season - 140 * on + rng.normal(0, 40)
            rows.append((store_ids[s], region[s], sqft[s], ms, on, round(foot, 2), round(wait, 2), round(hours)))
    df = pd.DataFrame(rows, columns=["store_id", "region", "sqft_k", "month", "self_checkout",
                                     "footfall_k", "avg_wait_min", "cashier_hours"])
    miss = rng.random(len(df)) < 0.015
    df.loc[miss, "avg_wait_min"] = np.nan
    truth = {
        "design": "did",
        "effects": [
            {"treatment": "self_checkout", "outcome": "avg_wait_min", "scale": "binary_ate", "effect": -1.8,
             "subgroups": [{"column": "region", "op": "==", "value": r, "effect": -1.8} for r in
                           ["North", "South", "East", "West"]]},
            {"treatment": "self_checkout", "outcome": "cashier_hours", "scale": "binary_ate", "effect": -140.0},
        ],
        "unit": "store_id", "period": "month",
        "adoption": {"2022-01": 18, "2022-07": 14, "2023-04": 12, "never": 16},
        "pre_treatment": ["region", "sqft_k"],
        "post_treatment": [],
        "notes": "Staggered adoption; bigger stores adopt earlier and have longer waits, so a naive "
                 "treated vs untreated comparison shows self-checkout raising waits. Constant effect.",
    }
    return df, truth


# ----------------------------------------------------------------------------------------
# 3. pharmacy_insulin: group x post, Oregon caps insulin copays from 2020Q1, no treated column
# ----------------------------------------------------------------------------------------
def _pharmacy_insulin(seed=107):
    rng = np.random.default_rng(seed)
    states = {"Oregon": 24, "Washington": 30, "Idaho": 18, "Nevada": 20, "Utah": 22, "Montana": 16}
    st_fx = {"Oregon": 12, "Washington": 8, "Idaho": -6, "Nevada": 0, "Utah": -4, "Montana": -10}
    cp_fx = {"Oregon": 6, "Washington": 3, "Idaho": -2, "Nevada": 4, "Utah": 0, "Montana": -3}
    qtrs = [f"{y}Q{q}" for y in range(2018, 2022) for q in range(1, 5)]
    rows = []
    k = 0
    for st, cnt in states.items():
        for _ in range(cnt):
            k += 1
            pid = f"RX{rng.integers(10000, 99999)}-{k:03d}"
            chain = rng.choice(["Chain", "Independent"], p=[0.65, 0.35])
            rural = rng.random() < 0.3
            pop = round(float(rng.lognormal(np.log(18), 0.5)), 1)
            re = rng.normal(0, 10)
            rec = rng.normal(0, 4)
            for t, q in enumerate(qtrs):
                post = st == "Oregon" and q >= "2020Q1"
                qn = int(q[-1])
                fills = (110 + 1.3 * pop + st_fx[st] + re + 2.0 * t - 5 * (qn == 1)
                         + 8 * (chain == "Chain") + 14 * post + rng.normal(0, 8))
                copay = (46 + cp_fx[st] + rec + 0.6 * t + 3 * (qn == 1) - 4 * (chain == "Chain")
                         - 30 * post + rng.normal(0, 3))
                rows.append((pid, st, q, chain, "yes" if rural else "no", pop, round(fills), round(copay, 2)))
    df = pd.DataFrame(rows, columns=["pharmacy_id", "state", "qtr", "chain", "rural", "pop_served_k",
                                     "insulin_fills", "avg_copay_usd"])
    miss = rng.random(len(df)) < 0.02
    df.loc[miss, "avg_copay_usd"] = np.nan
    truth = {
        "design": "did",
        "effects": [
            {"treatment": "state == 'Oregon' and qtr >= '2020Q1'", "outcome": "insulin_fills",
             "scale": "binary_ate", "effect": 14.0},
            {"treatment": "state == 'Oregon' and qtr >= '2020Q1'", "outcome": "avg_copay_usd",
             "scale": "binary_ate", "effect": -30.0},
        ],
        "group_column": "state", "treated_groups": ["Oregon"], "period": "qtr", "treatment_start": "2020Q1",
        "unit": "pharmacy_id",
        "pre_treatment": ["chain", "rural", "pop_served_k"],
        "post_treatment": [],
        "notes": "No treated column: the treated group (Oregon) and the date (2020Q1) come only from the "
                 "words. Oregon has a higher level; all states share a trend. Parallel trends hold.",
    }
    return df, truth


# ----------------------------------------------------------------------------------------
# 4. honors_track: sharp cutoff at placement_score >= 80
# ----------------------------------------------------------------------------------------
def _honors_track():
    rng = np.random.default_rng(3104)
    n = 3200
    score = np.clip(np.round(rng.normal(70, 12, n)), 30, 100).astype(int)
    hs_gpa = np.round(np.clip(3.0 + 0.02 * (score - 72) + rng.normal(0, 0.35, n), 1.5, 4.0), 2)
    first_gen = rng.random(n) < 0.35
    bridge = rng.random(n) < _sigmoid(-1.0 + 1.0 * first_gen - 0.5 * (hs_gpa - 3))
    honors = score >= 80
    gpa2 = (0.55 + 0.022 * score + 0.35 * (hs_gpa - 3.0) + 0.15 * bridge + 0.2 * honors
            - 0.05 * first_gen + rng.normal(0, 0.3, n))
    credits = np.round(30 - 2 * honors + 2 * (hs_gpa - 3) + rng.normal(0, 2.5, n)).astype(int)
    ids = rng.choice(np.arange(20000, 90000), n, replace=False)
    df = pd.DataFrame({
        "student_id": ["S" + str(i) for i in ids],
        "gender": rng.choice(["female", "male", "nonbinary"], n, p=[0.52, 0.46, 0.02]),
        "school_type": rng.choice(["public", "private", "charter"], n, p=[0.7, 0.2, 0.1]),
        "first_gen": _yn(first_gen, "yes", "no"),
        "hs_gpa": _holes(rng, hs_gpa, 0.03),
        "summer_bridge": _yn(bridge, "Y", "N"),
        "placement_score": score,
        "honors": _yn(honors, "Y", "N"),
        "credits_year1": credits,
        "gpa_year2": np.round(gpa2, 2),
    })
    truth = {
        "design": "rdd",
        "effects": [
            {"treatment": "honors", "outcome": "gpa_year2", "scale": "binary_ate", "effect": 0.2},
            {"treatment": "honors", "outcome": "credits_year1", "scale": "binary_ate", "effect": -2.0},
            {"treatment": "summer_bridge", "outcome": "gpa_year2", "scale": "binary_ate", "effect": 0.15,
             "design": "backdoor"},
        ],
        "running": "placement_score", "cutoff": 80, "cutoff_side": "above",
        "pre_treatment": ["gender", "school_type", "first_gen", "hs_gpa", "summer_bridge", "placement_score"],
        "post_treatment": ["credits_year1"],
        "notes": "honors = placement_score >= 80 exactly (sharp). Outcome rises smoothly with the score, so "
                 "the naive honors gap is far larger than 0.2. Constant effect. summer_bridge is "
                 "confounded by first_gen and hs_gpa.",
    }
    return df, truth


# ----------------------------------------------------------------------------------------
# 5. energy_rebate: sharp cutoff below an income threshold of 32,000
# ----------------------------------------------------------------------------------------
def _energy_rebate():
    rng = np.random.default_rng(3105)
    n = 4000
    income = np.round(np.clip(rng.lognormal(np.log(45000), 0.5, n), 8000, 220000), -2)
    rebate = income < 32000
    sqft = np.round(np.clip(900 + 0.012 * income + rng.normal(0, 350, n), 450, 4500))
    age_home = np.clip(np.round(rng.gamma(2.2, 18, n)), 0, 120).astype(int)
    fuel = rng.choice(["gas", "oil", "electric", "propane"], n, p=[0.55, 0.15, 0.22, 0.08])
    occ = np.clip(rng.poisson(2.6, n), 1, 8)
    smart = rng.random(n) < _sigmoid(-2.0 + 0.00003 * income + 0.0003 * (sqft - 1500))
    fuel_fx = pd.Series(fuel).map({"gas": 0, "oil": 35, "electric": 10, "propane": 25}).values
    bill = (60 + 0.04 * sqft + 0.0004 * income + 0.25 * age_home + fuel_fx + 6 * occ
            - 25 * rebate - 8 * smart + rng.normal(0, 15, n))
    ids = np.sort(rng.choice(np.arange(1, 9000), n, replace=False))
    df = pd.DataFrame({
        "hh_id": [f"HH{i:05d}" for i in ids],
        "zip3": rng.choice(["970", "971", "972", "973", "974"], n),
        "annual_income_usd": income.astype(int),
        "home_sqft": _holes(rng, sqft, 0.03),
        "home_age_yrs": age_home,
        "heating_fuel": fuel,
        "occupants": occ,
        "smart_thermostat": _yn(smart, "yes", "no"),
        "heat_pump_rebate": _yn(rebate, "true", "false"),
        "monthly_bill_usd": np.round(bill, 2),
    })
    truth = {
        "design": "rdd",
        "effects": [
            {"treatment": "heat_pump_rebate", "outcome": "monthly_bill_usd", "scale": "binary_ate", "effect": -25.0},
            {"treatment": "smart_thermostat", "outcome": "monthly_bill_usd", "scale": "binary_ate", "effect": -8.0,
             "design": "backdoor"},
            {"treatment": "home_sqft", "outcome": "monthly_bill_usd", "scale": "per_unit", "effect": 0.04,
             "design": "backdoor"},
        ],
        "running": "annual_income_usd", "cutoff": 32000, "cutoff_side": "below",
        "pre_treatment": ["zip3", "annual_income_usd", "home_sqft", "home_age_yrs", "heating_fuel", "occupants"],
        "post_treatment": [],
        "notes": "Rebate given to every household with income under 32,000 (strictly below). Bills rise with "
                 "income and rebated households are poorer, so the naive gap overstates the saving about "
                 "twofold. smart_thermostat and home_sqft are "
                 "confounded by income.",
    }
    return df, truth


# ----------------------------------------------------------------------------------------
# 6. cardiac_pci: instrument (distance to PCI centre), unmeasured frailty
# ----------------------------------------------------------------------------------------
def _cardiac_pci(seed=125):
    rng = np.random.default_rng(seed)
    n = 3500
    age = np.clip(np.round(rng.normal(66, 11, n)), 30, 97).astype(int)
    female = (rng.random(n) < 0.38).astype(int)
    diab = rng.random(n) < 0.3
    prior_mi = rng.random(n) < 0.2
    lvef = np.round(np.clip(rng.normal(50, 9, n), 15, 75))
    km = np.round(np.clip(rng.lognormal(np.log(25), 0.9, n), 1, 250), 1)
    frail = rng.normal(0, 1, n)  # not in the data
    pci = rng.random(n) < _sigmoid(2.0 - 0.04 * km - 0.9 * frail - 0.03 * (age - 65) + 0.3 * prior_mi)
    qol = (60 + 5 * pci - 6 * frail - 0.25 * (age - 65) - 4 * diab + 0.2 * (lvef - 50)
           - 2 * female + rng.normal(0, 8, n))
    los = np.maximum(1, np.round(2 + 1.0 * pci + 1.2 * np.maximum(frail, 0) + rng.exponential(1.0, n))).astype(int)
    ids = rng.choice(np.arange(1_000_000, 9_999_999), n, replace=False)
    df = pd.DataFrame({
        "pt_id": ids,
        "age": age,
        "female": female,
        "diabetes": _yn(diab),
        "prior_mi": _yn(prior_mi),
        "lvef_pct": _holes(rng, lvef, 0.05),
        "km_to_pci_center": km,
        "pci": _yn(pci),
        "los_days": los,
        "qol_score_6m": np.round(qol, 1),
    })
    truth = {
        "design": "iv",
        "effects": [
            {"treatment": "pci", "outcome": "qol_score_6m", "scale": "binary_ate", "effect": 5.0,
             "subgroups": [{"column": "age", "op": ">", "value": 75, "effect": 5.0},
                           {"column": "female", "op": "==", "value": 1, "effect": 5.0}]},
        ],
        "instrument": "km_to_pci_center",
        "pre_treatment": ["age", "female", "diabetes", "prior_mi", "lvef_pct", "km_to_pci_center"],
        "post_treatment": ["los_days"],
        "notes": "Unmeasured frailty lowers PCI and quality of life, so adjustment overstates the effect. "
                 "Distance moves PCI strongly and affects QoL only through PCI. Constant effect (LATE = ATE).",
    }
    return df, truth


# ----------------------------------------------------------------------------------------
# 7. saas_renewals: any_discount (yes/no) + discount_pct (dose); collider health_score
# ----------------------------------------------------------------------------------------
def _saas_renewals(seed=120):
    rng = np.random.default_rng(seed)
    n = 3000
    seats = np.clip(np.round(rng.lognormal(np.log(40), 1.1, n)), 3, 2000).astype(int)
    tenure = np.clip(np.round(rng.gamma(2.0, 14, n)), 1, 96).astype(int)
    plan = np.where(seats > 250, rng.choice(["enterprise", "pro"], n, p=[0.8, 0.2]),
                    np.where(seats > 30, rng.choice(["pro", "basic", "enterprise"], n, p=[0.6, 0.3, 0.1]),
                             rng.choice(["basic", "pro"], n, p=[0.75, 0.25])))
    usage = np.round(np.clip(rng.beta(3, 2, n) * 100 + 0.1 * np.minimum(tenure, 60) - 3, 0, 100), 1)
    tickets = rng.poisson(1.5 + 0.01 * seats ** 0.8, n)
    industry = rng.choice(["fintech", "healthcare", "retail", "education", "manufacturing", "media"], n)
    region = rng.choice(["NA", "EMEA", "APAC", "LATAM"], n, p=[0.45, 0.3, 0.17, 0.08])
    disc = rng.random(n) < _sigmoid(-1.4 + 0.35 * np.log(seats) - 0.05 * (usage - 60) - 0.03 * (tenure - 28))
    pct = np.where(disc, np.clip(5 * np.round((8 + 2.2 * np.log(seats) + rng.normal(0, 5, n)) / 5), 5, 30), 0)
    p0 = 0.30 + 0.025 * np.log(seats) + 0.0025 * usage + 0.0015 * np.minimum(tenure, 60)
    p = p0 + 0.07 * disc
    assert p.min() > 0 and p.max() < 1
    renewed = (rng.random(n) < p).astype(int)
    health = np.round(np.clip(40 + 8 * disc + 0.2 * usage + 15 * renewed + rng.normal(0, 6, n), 0, 100))
    plan_fx = pd.Series(plan).map({"basic": 0, "pro": 2000, "enterprise": 8000}).values
    rev = 2000 + 90 * seats + plan_fx + 25 * tenure - 110 * pct + rng.normal(0, 1500, n)
    ids = rng.choice(np.arange(10000, 99999), n, replace=False)
    df = pd.DataFrame({
        "acct_id": [f"ACC-{i}" for i in ids],
        "industry": industry,
        "region": region,
        "plan": plan,
        "seats": seats,
        "tenure_months": tenure,
        "usage_pct_prev_q": _holes(rng, usage, 0.04),
        "tickets_prev_q": tickets,
        "any_discount": _yn(disc, "Yes", "No"),
        "discount_pct": pct.astype(int),
        "health_score": health,
        "renewed": renewed,
        "rev_next12_usd": np.round(rev, 0),
    })
    truth = {
        "design": "backdoor",
        "effects": [
            {"treatment": "any_discount", "outcome": "renewed", "scale": "binary_ate", "effect": 0.07},
            {"treatment": "discount_pct", "outcome": "rev_next12_usd", "scale": "per_unit", "effect": -110.0},
        ],
        "pre_treatment": ["industry", "region", "plan", "seats", "tenure_months", "usage_pct_prev_q",
                          "tickets_prev_q"],
        "post_treatment": ["health_score"],
        "notes": "Discounts go to large, low-usage, short-tenure accounts. Renewal depends on whether a "
                 "discount was given (not its size); revenue depends on its size (-110 per point). "
                 "health_score is computed after the renewal and depends on discount and renewal: a "
                 "collider with a neutral name. tenure_months and seats are strong pre-treatment confounders.",
    }
    return df, truth


# ----------------------------------------------------------------------------------------
# 8. maize_survey: continuous fertilizer dose, survey sequence number, code columns
# ----------------------------------------------------------------------------------------
def _maize_survey():
    rng = np.random.default_rng(3108)
    n = 1800
    resp = np.sort(rng.choice(np.arange(1001, 6000), n, replace=False))
    district = rng.choice(["Kasungu", "Mchinji", "Dedza", "Ntcheu", "Zomba", "Mzimba"], n)
    soil = rng.choice([1, 2, 3, 4, 5], n, p=[0.12, 0.25, 0.3, 0.21, 0.12])
    rain = np.round(rng.normal(850, 170, n))
    plot = np.round(np.clip(rng.lognormal(np.log(0.9), 0.6, n), 0.1, 8), 2)
    irrig = rng.random(n) < 0.25
    credit = rng.random(n) < 0.4
    edu = rng.choice([1, 2, 3, 4], n, p=[0.35, 0.35, 0.2, 0.1])
    seed = rng.random(n) < _sigmoid(-0.5 + 0.8 * credit + 0.3 * (edu - 2))
    n_kg = 40 + 45 * irrig + 25 * credit - 8 * (soil - 3) + 8 * (edu - 2) + rng.normal(0, 30, n)
    n_kg = np.where(rng.random(n) < 0.12, 0, np.clip(n_kg, 0, 250))
    n_kg = np.round(n_kg)
    yld = (1.6 + 0.012 * n_kg + 0.9 * irrig + 0.5 * seed + 0.0012 * (rain - 850) - 0.25 * (soil - 3)
           + 0.15 * credit + 0.05 * edu + rng.normal(0, 0.45, n))
    labour = np.round(25 + 0.06 * n_kg + 6 * yld + rng.normal(0, 5, n))
    df = pd.DataFrame({
        "resp_no": resp,
        "district": district,
        "soil_class": soil,
        "rain_mm": _holes(rng, rain, 0.03),
        "plot_ha": plot,
        "irrigated": _yn(irrig),
        "credit_access": _yn(credit, "yes", "no"),
        "hh_head_edu": _holes(rng, edu, 0.02),
        "improved_seed": _yn(seed),
        "n_kg_ha": n_kg,
        "labour_days": labour,
        "maize_t_ha": np.round(yld, 3),
    })
    truth = {
        "design": "backdoor",
        "effects": [
            {"treatment": "n_kg_ha", "outcome": "maize_t_ha", "scale": "per_unit", "effect": 0.012,
             "subgroups": [{"column": "irrigated", "op": "==", "value": "Y", "effect": 0.012}],
             "mean_treatment": float(np.mean(n_kg))},
            {"treatment": "improved_seed", "outcome": "maize_t_ha", "scale": "binary_ate", "effect": 0.5},
        ],
        "pre_treatment": ["district", "soil_class", "rain_mm", "plot_ha", "irrigated", "credit_access",
                          "hh_head_edu"],
        "post_treatment": ["labour_days"],
        "notes": "Irrigated, credit-holding, better-soil farms use more nitrogen and get more maize. "
                 "labour_days is counted over the season and depends on nitrogen and yield (collider). "
                 "resp_no is a survey sequence number (meaningless). soil_class 1-5 and hh_head_edu 1-4 "
                 "are codes. Doubling nitrogen: 0.012 x mean(n_kg_ha).",
    }
    return df, truth


# ----------------------------------------------------------------------------------------
# 9. delivery_coupons: randomised coupon, effect varies by city
# ----------------------------------------------------------------------------------------
_CITY_TAU = {"Paris": 0.3, "Lyon": 0.6, "Marseille": 0.5, "Lille": 0.2, "Toulouse": 0.4}


def _delivery_coupons(seed=127):
    rng = np.random.default_rng(seed)
    n = 5000
    city = rng.choice(list(_CITY_TAU), n, p=[0.4, 0.18, 0.16, 0.12, 0.14])
    platform = rng.choice(["ios", "android", "web"], n, p=[0.45, 0.4, 0.15])
    prev = rng.negative_binomial(2, 0.4, n)
    age = np.clip(np.round(rng.normal(34, 10, n)), 18, 75)
    cohort = rng.choice([f"{y}Q{q}" for y in (2021, 2022, 2023) for q in (1, 2, 3, 4)], n)
    plus = rng.random(n) < _sigmoid(-2.0 + 0.35 * prev)
    coupon = rng.random(n) < 0.5
    tau = pd.Series(city).map(_CITY_TAU).values
    lam = 0.5 + 0.18 * prev + 0.2 * (platform == "ios") + 0.5 * plus + tau * coupon
    orders = rng.poisson(lam)
    spend = np.where(orders > 0, rng.gamma(np.maximum(orders, 1) * 4.0, 22 / 4.0), 0.0)
    opens = rng.poisson(1.5 + 1.2 * coupon + 0.3 * prev)
    df = pd.DataFrame({
        "user_id": [f"u_{x:07d}" for x in rng.choice(np.arange(1, 3_000_000), n, replace=False)],
        "city": city,
        "platform": platform,
        "signup_cohort": cohort,
        "age": _holes(rng, age, 0.08),
        "orders_prev_90d": prev,
        "plus_member": _yn(plus, "true", "false"),
        "coupon": _yn(coupon, "true", "false"),
        "app_opens_7d": opens,
        "orders_next_30d": orders,
        "spend_next_30d_eur": np.round(spend, 2),
    })
    subs = [{"column": "city", "op": "==", "value": c, "effect": t} for c, t in _CITY_TAU.items()]
    subs_sp = [{"column": "city", "op": "==", "value": c, "effect": 22 * t} for c, t in _CITY_TAU.items()]
    for pf in ["ios", "android", "web"]:
        subs.append({"column": "platform", "op": "==", "value": pf, "effect": float(np.mean(tau[platform == pf]))})
    truth = {
        "design": "randomised",
        "effects": [
            {"treatment": "coupon", "outcome": "orders_next_30d", "scale": "binary_ate",
             "effect": float(np.mean(tau)), "subgroups": subs},
            {"treatment": "coupon", "outcome": "spend_next_30d_eur", "scale": "binary_ate",
             "effect": float(22 * np.mean(tau)), "subgroups": subs_sp},
            {"treatment": "plus_member", "outcome": "orders_next_30d", "scale": "binary_ate", "effect": 0.5,
             "design": "backdoor"},
        ],
        "pre_treatment": ["city", "platform", "signup_cohort", "age", "orders_prev_90d", "plus_member"],
        "post_treatment": ["app_opens_7d"],
        "notes": "coupon randomised 50/50; lift in orders depends on city (Lyon 0.6 ... Lille 0.2). spend "
                 "is 22 EUR per order on average, so the spend effect is 22 x the order effect. plus_member "
                 "is confounded by past orders. app_opens_7d is caused by the coupon.",
    }
    return df, truth


# ----------------------------------------------------------------------------------------
# 10. school_breakfast: district x year panel, program on from 2017 in some districts
# ----------------------------------------------------------------------------------------
def _school_breakfast():
    rng = np.random.default_rng(3110)
    first = ["Maple", "Cedar", "River", "Oak", "Pine", "Lake", "Hill", "Spring", "Stone", "Elm", "Mill",
             "Fox", "Bear", "Willow", "Granite", "Prairie", "Clear", "Red", "North", "Harbor"]
    second = ["Valley", "Creek", "Ridge", "Falls", "Grove", "Park", "Point", "Bend", "Hollow", "Heights"]
    names = sorted({f"{a} {b} USD" for a in first for b in second})
    nd = 85
    dnames = list(rng.choice(names, nd, replace=False))
    ctype = rng.choice(["urban", "suburban", "rural"], nd, p=[0.3, 0.35, 0.35])
    frl0 = np.clip(rng.normal(48, 16, nd), 8, 92)
    treated = rng.random(nd) < _sigmoid(-3.0 + 0.055 * frl0)
    re_att = rng.normal(0, 0.7, nd)
    re_ca = rng.normal(0, 1.5, nd)
    enr0 = np.round(rng.lognormal(np.log(4000), 0.8, nd))
    rows = []
    for d in range(nd):
        for y in range(2012, 2023):
            on = int(treated[d] and y >= 2017)
            frl = frl0[d] + 0.3 * (y - 2012) + rng.normal(0, 1.5)
            covid = 1.0 if y in (2020, 2021) else 0.0
            att = 95 - 0.06 * frl + re_att[d] - 0.1 * (y - 2012) - 2.0 * covid + 1.6 * on + rng.normal(0, 0.5)
            ca = 8 + 0.12 * frl + re_ca[d] + 0.15 * (y - 2012) + 6.0 * covid - 2.4 * on + rng.normal(0, 1.0)
            enr = enr0[d] * (1 + 0.01 * (y - 2012)) + rng.normal(0, 40)
            rows.append((dnames[d], ctype[d], y, int(round(enr)), round(frl, 1), on, round(att, 2), round(ca, 2)))
    df = pd.DataFrame(rows, columns=["district", "county_type", "year", "enrollment", "frl_pct",
                                     "breakfast_prog", "attendance_rate", "chronic_absent_pct"])
    truth = {
        "design": "did",
        "effects": [
            {"treatment": "breakfast_prog", "outcome": "attendance_rate", "scale": "binary_ate", "effect": 1.6},
            {"treatment": "breakfast_prog", "outcome": "chronic_absent_pct", "scale": "binary_ate", "effect": -2.4},
        ],
        "unit": "district", "period": "year", "treatment_start": "2017",
        "treated_units": int(treated.sum()),
        "pre_treatment": ["county_type", "enrollment", "frl_pct"],
        "post_treatment": [],
        "notes": "Single adoption date 2017 for the treated districts, which are poorer (lower attendance) "
                 "so a cross-sectional comparison is biased downward. Common COVID dip 2020-21.",
    }
    return df, truth


# ----------------------------------------------------------------------------------------
# 11. hr_attrition: remote eligibility, effect larger for women; mentor; commute dose
# ----------------------------------------------------------------------------------------
def _hr_attrition(seed=113):
    rng = np.random.default_rng(seed)
    n = 2600
    gender = rng.choice(["woman", "man", "other"], n, p=[0.46, 0.52, 0.02])
    age = np.clip(np.round(rng.normal(39, 10, n)), 21, 65).astype(int)
    tenure = np.round(np.clip(rng.gamma(1.8, 3.2, n) + 0.12 * (age - 30), 0, 35), 1)
    level = np.clip(np.round(1 + tenure / 4 + rng.normal(0, 0.8, n)), 1, 5).astype(int)
    dept = rng.choice(["Engineering", "Sales", "Operations", "Finance", "Support", "Marketing"], n,
                      p=[0.25, 0.2, 0.2, 0.1, 0.15, 0.1])
    commute = np.round(np.clip(rng.gamma(2.0, 8, n) + 0.2 * (age - 39), 0, 70), 1)
    caregiver = rng.random(n) < 0.3
    dept_fx = pd.Series(dept).map({"Engineering": 1.0, "Finance": 0.6, "Marketing": 0.5, "Sales": 0.0,
                                   "Support": -0.2, "Operations": -1.5}).values
    remote = rng.random(n) < _sigmoid(-1.6 + 0.6 * (level - 1) + 0.08 * tenure + dept_fx)
    mentor = rng.random(n) < _sigmoid(0.8 - 0.35 * tenure - 0.4 * (level - 1))
    tau = -0.03 - 0.06 * (gender == "woman")
    p0 = (0.40 - 0.015 * np.minimum(tenure, 10) - 0.02 * (level - 1) + 0.002 * commute
          + 0.03 * caregiver - 0.0015 * (age - 40))
    p = p0 + tau * remote - 0.04 * mentor
    assert p.min() > 0 and p.max() < 1
    left = (rng.random(n) < p).astype(int)
    pulse = np.round(np.clip(3.4 + 0.35 * remote + 0.2 * mentor - 0.8 * left + rng.normal(0, 0.6, n), 1, 5), 1)
    ids = rng.choice(np.arange(10000, 60000), n, replace=False)
    df = pd.DataFrame({
        "emp_id": ["E" + str(i) for i in ids],
        "gender": gender,
        "age": age,
        "dept": dept,
        "job_level": level,
        "tenure_yrs": tenure,
        "commute_km": _holes(rng, commute, 0.05),
        "caregiver": _yn(caregiver, "Y", "N"),
        "remote_ok": _yn(remote, "Y", "N"),
        "mentor_assigned": _yn(mentor, "yes", "no"),
        "engagement_pulse": pulse,
        "left_12m": left,
    })
    obs_commute = pd.to_numeric(df["commute_km"], errors="coerce").values
    truth = {
        "design": "backdoor",
        "effects": [
            {"treatment": "remote_ok", "outcome": "left_12m", "scale": "binary_ate", "effect": float(np.mean(tau)),
             "subgroups": [{"column": "gender", "op": "==", "value": "woman", "effect": -0.09},
                           {"column": "gender", "op": "==", "value": "man", "effect": -0.03},
                           {"column": "commute_km", "op": ">", "value": 30,
                            "effect": float(np.mean(tau[obs_commute > 30]))}]},
            {"treatment": "mentor_assigned", "outcome": "left_12m", "scale": "binary_ate", "effect": -0.04},
            {"treatment": "commute_km", "outcome": "left_12m", "scale": "per_unit", "effect": 0.002},
        ],
        "pre_treatment": ["gender", "age", "dept", "job_level", "tenure_yrs", "commute_km", "caregiver"],
        "post_treatment": ["engagement_pulse"],
        "notes": "Remote eligibility goes to senior, long-tenure staff outside Operations, who leave less "
                 "anyway. Effect -0.09 for women, -0.03 otherwise. engagement_pulse is a later survey that "
                 "depends on remote, mentor and leaving (collider). tenure_yrs is a strong pre-treatment "
                 "confounder. The commute_km > 30 subgroup effect is over rows whose commute is recorded.",
    }
    return df, truth


# ----------------------------------------------------------------------------------------
# 12. charter_lottery: lottery offer as instrument for enrolment; ITT for the offer
# ----------------------------------------------------------------------------------------
def _charter_lottery(seed=132):
    rng = np.random.default_rng(seed)
    n = 2200
    u = rng.normal(0, 1, n)  # motivation, not in the data
    borough = rng.choice(["Bronx", "Brooklyn", "Manhattan", "Queens", "Staten Island"], n,
                         p=[0.3, 0.32, 0.14, 0.19, 0.05])
    base = np.round(rng.normal(-0.2, 0.9, n) + 0.2 * u, 2)
    ell = rng.random(n) < 0.14
    sped = rng.random(n) < 0.12
    frpl = rng.random(n) < 0.72
    offer = rng.random(n) < 0.45
    d1 = rng.random(n) < _sigmoid(1.6 + 0.5 * u)
    d0 = rng.random(n) < _sigmoid(-2.6 + 0.5 * u)
    d1 = d1 | d0
    enrolled = np.where(offer, d1, d0)
    math = 0.05 + 0.6 * base + 0.18 * enrolled + 0.25 * u - 0.15 * ell - 0.1 * sped + rng.normal(0, 0.55, n)
    ids = rng.choice(np.arange(100000, 400000), n, replace=False)
    df = pd.DataFrame({
        "applicant_id": ids,
        "borough": borough,
        "baseline_math_z": _holes(rng, base, 0.03),
        "ell": _yn(ell),
        "sped": _yn(sped),
        "frpl": _yn(frpl),
        "lottery_offer": offer.astype(int),
        "enrolled_charter": _yn(enrolled, "yes", "no"),
        "math_z_8th": np.round(math, 3),
    })
    truth = {
        "design": "iv",
        "effects": [
            {"treatment": "enrolled_charter", "outcome": "math_z_8th", "scale": "binary_ate", "effect": 0.18},
            {"treatment": "lottery_offer", "outcome": "math_z_8th", "scale": "binary_ate",
             "effect": float(0.18 * np.mean(d1.astype(int) - d0.astype(int))), "design": "randomised"},
        ],
        "instrument": "lottery_offer",
        "pre_treatment": ["borough", "baseline_math_z", "ell", "sped", "frpl"],
        "post_treatment": [],
        "notes": "Unmeasured motivation drives enrolment and scores. The offer is random; effect of "
                 "enrolling 0.18 SD for everyone. The offer's own effect (ITT) is 0.18 x share of compliers.",
    }
    return df, truth


# ----------------------------------------------------------------------------------------
# 13. hospital_readmit: pharmacist review (yes/no) + minutes (dose); rare outcome
# ----------------------------------------------------------------------------------------
def _hospital_readmit(seed=107):
    rng = np.random.default_rng(seed)
    n = 4200
    age = np.clip(np.round(rng.normal(67, 14, n)), 18, 100).astype(int)
    sex = rng.choice(["F", "M"], n)
    charlson = np.clip(rng.poisson(2.3, n), 0, 8)
    n_meds = np.clip(rng.poisson(6 + 0.8 * charlson), 0, 25)
    los = np.clip(np.round(rng.gamma(2.0, 2.2, n) + 0.3 * charlson), 1, 40).astype(int)
    dest = rng.choice(["home", "home_health", "SNF"], n, p=[0.62, 0.23, 0.15])
    payer = rng.choice(["Medicare", "Medicaid", "Commercial", "Self-pay"], n, p=[0.5, 0.18, 0.28, 0.04])
    review = rng.random(n) < _sigmoid(-1.8 + 0.55 * charlson + 0.15 * (n_meds - 8) + 0.8 * (dest == "SNF") + 0.08 * (los - 5))
    teach = rng.random(n) < _sigmoid(0.5 - 0.02 * (age - 65) - 0.8 * (dest == "SNF"))
    minutes = np.where(review, np.round(np.clip(rng.gamma(4, 9, n), 10, 120)), 0)
    p0 = (0.07 + 0.012 * charlson + 0.002 * n_meds + 0.003 * np.minimum(los, 15)
          + 0.02 * (dest == "SNF") + 0.0005 * (age - 65))
    p = p0 - 0.025 * review - 0.015 * teach
    assert p.min() > 0 and p.max() < 1
    readmit = (rng.random(n) < p).astype(int)
    calls = rng.poisson(0.5 + 1.2 * review + 2.5 * readmit)
    ids = np.sort(rng.choice(np.arange(500000, 999999), n, replace=False))
    df = pd.DataFrame({
        "encounter_id": ids,
        "age": age,
        "sex": sex,
        "payer": payer,
        "charlson": charlson,
        "los_days": los,
        "n_meds": n_meds,
        "discharge_to": dest,
        "med_review": _yn(review),
        "pharm_minutes": minutes.astype(int),
        "teach_back": _yn(teach, "yes", "no"),
        "followup_calls": calls,
        "readmit_30d": readmit,
    })
    df.loc[rng.random(n) < 0.02, "payer"] = np.nan
    truth = {
        "design": "backdoor",
        "effects": [
            {"treatment": "med_review", "outcome": "readmit_30d", "scale": "binary_ate", "effect": -0.025,
             "subgroups": [{"column": "age", "op": ">", "value": 80, "effect": -0.025}]},
            {"treatment": "teach_back", "outcome": "readmit_30d", "scale": "binary_ate", "effect": -0.015},
        ],
        "pre_treatment": ["age", "sex", "payer", "charlson", "los_days", "n_meds", "discharge_to"],
        "post_treatment": ["followup_calls"],
        "notes": "Sicker patients (more comorbidity, more meds, SNF) get the review, so the naive gap shows "
                 "the review raising readmissions. Readmission depends on whether a review happened, not its "
                 "minutes. followup_calls depends on review and on readmission (collider). los_days is the "
                 "index stay (pre-treatment).",
    }
    return df, truth


_BUILDERS = {
    "clinic_sms": _clinic_sms,
    "grocery_checkout": _grocery_checkout,
    "pharmacy_insulin": _pharmacy_insulin,
    "honors_track": _honors_track,
    "energy_rebate": _energy_rebate,
    "cardiac_pci": _cardiac_pci,
    "saas_renewals": _saas_renewals,
    "maize_survey": _maize_survey,
    "delivery_coupons": _delivery_coupons,
    "school_breakfast": _school_breakfast,
    "hr_attrition": _hr_attrition,
    "charter_lottery": _charter_lottery,
    "hospital_readmit": _hospital_readmit,
}


def _build() -> tuple[dict[str, pd.DataFrame], dict[str, dict]]:
    data, truth = {}, {}
    for name, fn in _BUILDERS.items():
        df, t = fn()
        data[name] = df
        truth[name] = t
    return data, truth


def datasets() -> dict[str, pd.DataFrame]:
    data, _ = _build()
    return data


TRUTH: dict[str, dict] = _build()[1]


if __name__ == "__main__":
    for k, v in datasets().items():
        print(k, v.shape)
