"""dev-4 (written as a held-out set, now a development set): twelve simulated datasets with known causal truths.

Pure numpy + pandas, fixed seeds, deterministic.  `datasets()` returns the
frames a user would upload; `TRUTH` records the effects that were simulated.
"""
import numpy as np
import pandas as pd


def _yn(mask, yes="yes", no="no"):
    return np.where(mask, yes, no)


def _holes(rng, s, frac):
    s = s.astype(float) if s.dtype.kind in "iu" else s.copy()
    idx = rng.random(len(s)) < frac
    s[idx] = np.nan
    return s


def _dates(rng, n, start, end):
    a = pd.Timestamp(start).value // 86_400_000_000_000
    b = pd.Timestamp(end).value // 86_400_000_000_000
    days = rng.integers(a, b + 1, size=n)
    return pd.to_datetime(days, unit="D").strftime("%Y-%m-%d")


# ---------------------------------------------------------------- 1 orchards
def orchard_fertiliser():
    rng = np.random.default_rng(4101)
    n = 1800
    region = rng.choice(["north", "coastal", "valley", "highland"], n, p=[.3, .25, .3, .15])
    shift = pd.Series(region).map({"north": 0, "coastal": 5, "valley": 8, "highland": -10}).to_numpy()
    soil = np.clip(rng.normal(60, 14, n) + shift, 10, 100).round(1)
    size = np.exp(rng.normal(np.log(20), .6, n)).round(1)
    tree_age = rng.integers(3, 41, n)
    organic = rng.random(n) < .2
    variety = rng.choice(["Gala", "Fuji", "Braeburn", "Honeycrisp"], n)
    lo = -0.3 + 0.05 * (60 - soil) + 0.8 * np.log(size / 20) - 2.0 * organic
    treated = rng.random(n) < 1 / (1 + np.exp(-lo))
    fert = np.where(treated, rng.uniform(40, 160, n), 0).round(0)
    leaf_n = (2.0 + 0.005 * fert + 0.004 * (soil - 60) + rng.normal(0, .15, n)).round(2)
    y = (2.0 + 0.06 * soil + 0.3 * np.log(size) + 0.03 * np.minimum(tree_age, 25)
         - 0.5 * organic + 0.01 * fert + 2.0 * (leaf_n - 2.0) + rng.normal(0, 1.0, n))
    df = pd.DataFrame({
        "plot_id": [f"P{i:04d}" for i in range(1, n + 1)],
        "region": region,
        "variety": variety,
        "harvest_year": rng.integers(2019, 2024, n),
        "soil_quality_idx": soil,
        "farm_size_ha": size,
        "tree_age_yrs": _holes(rng, pd.Series(tree_age), .03),
        "organic_cert": _yn(organic, "Y", "N"),
        "any_fertiliser": _yn(treated),
        "fert_kg_ha": fert,
        "leaf_n_pct": leaf_n,
        "yield_t_ha": y.round(2),
    })
    return df


# ---------------------------------------------------------------- 2 bus lanes (staggered panel)
def bus_lanes():
    rng = np.random.default_rng(4102)
    months = pd.period_range("2019-01", "2022-12", freq="M").strftime("%Y-%m").tolist()
    routes = [f"R{i:02d}" for i in range(1, 37)]
    starts = (["2020-03"] * 6 + ["2020-09"] * 6 + ["2021-04"] * 6 + ["2021-10"] * 6 + [None] * 12)
    order = rng.permutation(36)
    start_of = {routes[k]: starts[j] for j, k in enumerate(order)}
    borough = {r: rng.choice(["Northside", "Riverside", "Old Town", "Eastgate"]) for r in routes}
    fe = {r: rng.normal(6, 1.5) + (2.0 if start_of[r] else 0.0) for r in routes}
    stops = {r: int(rng.integers(12, 45)) for r in routes}
    size = {r: rng.normal(25, 6) for r in routes}
    rain = {m: max(0.0, rng.normal(60 + 30 * np.cos(2 * np.pi * (int(m[5:]) - 1) / 12), 20)) for m in months}
    rows = []
    for r in routes:
        for t, m in enumerate(months):
            on = int(start_of[r] is not None and m >= start_of[r])
            covid = -1.5 if m in ("2020-04", "2020-05", "2020-06") else 0.0
            rmm = max(0.0, rain[m] + rng.normal(0, 5))
            delay = fe[r] + 0.03 * t + covid + 0.02 * rmm - 2.5 * on + rng.normal(0, .8)
            rides = size[r] - 0.6 * delay + 1.5 * on + rng.normal(0, 1.5)
            rows.append((r, borough[r], m, stops[r], round(rmm, 1), on, round(delay, 2), round(rides, 1)))
    df = pd.DataFrame(rows, columns=["route_id", "borough", "month", "n_stops", "rain_mm",
                                     "bus_lane", "avg_delay_min", "ridership_k"])
    df["ridership_k"] = _holes(rng, df["ridership_k"], .02)
    return df


# ---------------------------------------------------------------- 3 county EMS (group x post)
def county_ems():
    rng = np.random.default_rng(4103)
    states = {"Oregon": 41, "Washington": 53, "Idaho": 16, "Nevada": 32, "Montana": 30}
    rows = []
    for st, code in states.items():
        for c in range(14):
            fips = code * 1000 + 2 * c + 1
            rural = float(np.clip(rng.beta(2, 3), 0.02, .98))
            pop = float(np.exp(rng.normal(np.log(60), 1.0)))
            fe = 8 + 6 * rural + (1.0 if st == "Oregon" else 0.0) + rng.normal(0, .7)
            for yr in range(2013, 2023):
                post = st == "Oregon" and yr >= 2018
                calls = rng.normal(95 + 10 * rural, 8)
                rt = fe + 0.15 * (yr - 2013) - 1.2 * post + rng.normal(0, .6)
                rows.append((fips, st, yr, round(pop * (1 + 0.01 * (yr - 2013)), 1), round(rural, 3),
                             round(calls, 1), int(rng.integers(2, 30)), round(rt, 2)))
    df = pd.DataFrame(rows, columns=["county_fips", "state", "year", "population_k", "rural_share",
                                     "calls_per_1k", "ambulance_units", "response_time_min"])
    df["calls_per_1k"] = _holes(rng, df["calls_per_1k"], .02)
    return df


# ---------------------------------------------------------------- 4 bursary (sharp RDD, >= 70)
def bursary():
    rng = np.random.default_rng(4104)
    n = 2600
    income = np.exp(rng.normal(np.log(45), .5, n))
    score = np.clip(rng.normal(62, 14, n) + 0.05 * (income - 45), 20, 100).round(1)
    b = score >= 70
    first_gen = rng.random(n) < .3
    school = rng.choice(["state", "grammar", "private", "academy"], n, p=[.5, .15, .15, .2])
    gpa = (1.0 + 0.022 * score + 0.002 * (income - 45) - 0.1 * first_gen + 0.25 * b
           + rng.normal(0, .35, n))
    job = np.clip(16 - 6 * b - 0.03 * (income - 45) + rng.normal(0, 3, n), 0, None)
    df = pd.DataFrame({
        "student_id": rng.permutation(np.arange(200001, 200001 + n)),
        "cohort": rng.integers(2018, 2023, n),
        "school_type": school,
        "first_gen": _yn(first_gen, "Y", "N"),
        "parental_income_k": _holes(rng, pd.Series(income.round(1)), .04),
        "entrance_score": score,
        "bursary": _yn(b, "Y", "N"),
        "part_time_job_hrs": job.round(1),
        "gpa_year1": np.clip(gpa, 0, 4.0).round(2),
    })
    return df


# ---------------------------------------------------------------- 5 code review (IV)
def code_review():
    rng = np.random.default_rng(4105)
    n = 3000
    u = rng.normal(0, 1, n)                      # module complexity: NOT in the data
    lines = np.exp(rng.normal(5 + 0.4 * u, .8, n)).round(0)
    tenure = rng.integers(1, 120, n)
    rota = rng.integers(1, 7, n)                 # reviewers on rota: random staffing
    hours = np.maximum(0.2, 0.5 + 0.6 * rota + 0.8 * u + 0.3 * np.log(lines) - 0.005 * tenure
                       + rng.normal(0, .6, n)).round(2)
    dens = (8 + 1.5 * u + 0.3 * np.log(lines) - 0.01 * tenure - 0.6 * hours + rng.normal(0, 1, n))
    rework = rng.poisson(np.clip(1 + 0.4 * hours + 0.3 * dens, .1, None))
    df = pd.DataFrame({
        "pr_id": [f"PR-{10001 + i}" for i in range(n)],
        "team": rng.choice(["payments", "search", "mobile", "infra", "growth"], n),
        "language": rng.choice(["Go", "Python", "TypeScript", "Java"], n),
        "mergedAt": _dates(rng, n, "2021-01-01", "2023-12-31"),
        "linesChanged": lines.astype(int),
        "authorTenureMo": tenure,
        "reviewersOnRota": rota,
        "reviewHours": hours,
        "ciPassed": _yn(rng.random(n) < .85, "true", "false"),
        "reworkCommits": rework,
        "defectDensity": dens.round(2),
    })
    return df


# ---------------------------------------------------------------- 6 coupon lottery (RCT)
def coupon_trial():
    rng = np.random.default_rng(4106)
    n = 4000
    tier = rng.choice(["bronze", "silver", "gold"], n, p=[.5, .3, .2])
    age = rng.integers(18, 80, n)
    tenure = rng.integers(1, 96, n)
    prior = np.exp(rng.normal(np.log(80), .6, n)) * pd.Series(tier).map({"bronze": 1, "silver": 1.5, "gold": 2.5}).to_numpy()
    sent = rng.random(n) < .5
    tau = pd.Series(tier).map({"bronze": 4.0, "silver": 6.0, "gold": 12.0}).to_numpy()
    spend = 30 + 0.25 * prior + 0.1 * (age - 40) + tau * sent + rng.normal(0, 12, n)
    visits = rng.poisson(np.clip(1 + spend / 25, .1, None))
    df = pd.DataFrame({
        "customer_id": [f"C{x:06d}" for x in rng.choice(np.arange(100000, 999999), n, replace=False)],
        "loyalty_tier": tier,
        "age": age,
        "tenure_months": tenure,
        "signup_channel": rng.choice(["web", "app", "store", "referral"], n),
        "prior_spend_90d": prior.round(2),
        "email_opt_in": _yn(rng.random(n) < .6, "true", "false"),
        "coupon_sent": _yn(sent, "yes", "no"),
        "visits_30d": visits,
        "spend_30d_usd": spend.round(2),
    })
    return df


# ---------------------------------------------------------------- 7 auto insurance telematics
def auto_insurance():
    rng = np.random.default_rng(4107)
    n = 3500
    seq = 10001 + np.cumsum(rng.integers(1, 8, n))
    age = rng.integers(18, 81, n)
    lic = np.clip(age - 17 - rng.integers(0, 6, n), 0, None)
    risk = rng.integers(1, 6, n)
    prior = rng.poisson(np.clip(0.9 - 0.015 * lic + 0.1 * risk, .05, None))
    value = np.exp(rng.normal(np.log(22000), .45, n)).round(-2)
    lo = 0.2 + 0.05 * (15 - lic) - 0.5 * prior - 0.15 * (risk - 3)
    tele = rng.random(n) < 1 / (1 + np.exp(-lo))
    tau = np.where(age < 25, -450.0, -150.0)
    claims = (1800 - 20 * lic + 350 * prior + 150 * risk + 0.01 * value + tau * tele
              + rng.normal(0, 400, n))
    prem = -5 * tele + 0.004 * claims + rng.normal(0, 3, n)
    df = pd.DataFrame({
        "policy_seq": seq,
        "policy_start": _dates(rng, n, "2019-01-01", "2023-12-31"),
        "region": rng.choice(["Metro", "Suburban", "Rural", "Coastal"], n, p=[.35, .35, .2, .1]),
        "driver_age": age,
        "years_licensed": lic,
        "risk_class": risk,
        "prior_claims": prior,
        "vehicle_value_usd": _holes(rng, pd.Series(value), .02),
        "telematics": _yn(tele, "true", "false"),
        "premium_change_pct": prem.round(1),
        "claims_cost_usd": claims.round(0),
    })
    return df


# ---------------------------------------------------------------- 8 football strength training
def squad_training():
    rng = np.random.default_rng(4108)
    n = 1600
    pos = rng.choice(["GK", "DEF", "MID", "FWD"], n, p=[.1, .35, .35, .2])
    age = rng.integers(18, 37, n)
    prev = rng.poisson(1 + 0.05 * (age - 18))
    sess = np.clip(1.5 + 0.08 * (age - 25) + 0.3 * prev + rng.normal(0, .6, n), 0, 5).round(1)
    tau = np.where(pos == "GK", -1.0, -4.0)
    mins = np.clip(rng.normal(2200, 700, n), 0, 3420).round(0)
    inj = 28 + 1.0 * (age - 25) + 6 * prev + tau * sess + rng.normal(0, 6, n)
    physio = rng.poisson(np.clip(0.3 * inj, .1, None))
    df = pd.DataFrame({
        "player_id": [f"PL{i:04d}" for i in range(1, n + 1)],
        "club": rng.choice(["Harbour FC", "Ridgeway", "Athletic Vale", "St. Brendan's", "Ironbridge",
                            "Kingsmoor", "Lowfield Utd", "Castleton"], n),
        "season": rng.choice(["2021/22", "2022/23", "2023/24"], n),
        "position": pos,
        "age": age,
        "prev_injuries": prev,
        "minutes_played": _holes(rng, pd.Series(mins), .03),
        "strength_sessions_wk": sess,
        "physio_visits": physio,
        "injury_days": inj.round(0),
    })
    return df


# ---------------------------------------------------------------- 9 home energy (RDD below 40 + insulation)
def home_energy():
    rng = np.random.default_rng(4109)
    n = 3000
    inc = np.clip(rng.normal(50, 18, n), 0, 100).round(1)
    grant = inc < 40
    hage = rng.integers(1, 121, n)
    area = np.clip(rng.normal(95, 30, n), 35, 300).round(0)
    ins = np.clip(22 - 0.12 * hage + 0.03 * area + rng.normal(0, 4, n), 0, 35).round(1)
    occ = rng.integers(1, 7, n)
    kwh = (2000 + 25 * area + 20 * hage + 300 * occ - 15 * ins - 900 * grant + 10 * inc
           + rng.normal(0, 400, n))
    df = pd.DataFrame({
        "household_id": [f"HH-{x}" for x in rng.choice(np.arange(30000, 90000), n, replace=False)],
        "survey_year": rng.integers(2020, 2024, n),
        "tariff": rng.choice(["standard", "economy7", "green"], n, p=[.55, .25, .2]),
        "income_score": inc,
        "heat_pump_grant": _yn(grant, "yes", "no"),
        "house_age_yrs": hage,
        "floor_area_m2": area,
        "insulation_cm": ins,
        "occupants": occ,
        "smart_meter": (rng.random(n) < .45).astype(int),
        "winter_kwh": kwh.round(0),
    })
    return df


# ---------------------------------------------------------------- 10 flu shots (IV: distance)
def flu_shots():
    rng = np.random.default_rng(4110)
    n = 4000
    age = rng.integers(18, 91, n)
    band = np.digitize(age, [30, 45, 60, 75]) + 1          # 1..5
    chronic = rng.random(n) < np.clip(0.05 + 0.006 * (age - 18), 0, .6)
    u = rng.normal(0, 1, n)                                 # health-consciousness: NOT in the data
    km = np.exp(rng.normal(np.log(4), .8, n)).round(1)
    lo = -0.5 + 0.04 * (age - 45) + 0.8 * chronic + 1.0 * u - 0.12 * km
    shot = rng.random(n) < 1 / (1 + np.exp(-lo))
    sick = 9 + 0.05 * (age - 45) + 3 * chronic - 1.2 * u - 1.5 * shot + rng.normal(0, 2, n)
    pharm = rng.poisson(np.clip(1 + 0.8 * shot + 0.2 * sick, .1, None))
    df = pd.DataFrame({
        "resident_id": np.arange(1, n + 1),
        "survey_date": _dates(rng, n, "2022-10-01", "2023-03-31"),
        "age": age,
        "age_band": band,
        "chronic_condition": _yn(chronic, "yes", "no"),
        "employer_size": pd.Series(rng.choice(["none", "small", "medium", "large"], n)).where(rng.random(n) > .03),
        "km_to_clinic": km,
        "flu_shot": _yn(shot, "Y", "N"),
        "pharmacy_visits": pharm,
        "sick_days": sick.round(1),
    })
    return df


# ---------------------------------------------------------------- 11 school breakfast (panel, 2016)
def school_breakfast():
    rng = np.random.default_rng(4111)
    schools = [f"SCH-{i:03d}" for i in range(1, 81)]
    frl = {s: float(np.clip(rng.beta(2, 3), .03, .97)) for s in schools}
    ranked = sorted(schools, key=lambda s: -frl[s] + rng.normal(0, .15))
    treated = set(ranked[:32])
    district = {s: rng.choice(["Ashford", "Belmont", "Crestview", "Dunmore", "Elmwood", "Fairhaven"]) for s in schools}
    fe = {s: rng.normal(0, 1.2) for s in schools}
    enrol = {s: int(rng.integers(180, 1400)) for s in schools}
    yfe = {y: rng.normal(0, .4) + 0.1 * (y - 2012) for y in range(2012, 2022)}
    rows = []
    for s in schools:
        for y in range(2012, 2022):
            on = int(s in treated and y >= 2016)
            att = 94 - 8 * frl[s] + fe[s] + yfe[y] + 1.8 * on + rng.normal(0, .7)
            test = 200 + 1.5 * att - 30 * frl[s] + rng.normal(0, 5)
            rows.append((s, district[s], y, int(enrol[s] * (1 + rng.normal(0, .03))), round(frl[s], 3),
                         on, round(min(att, 100), 2), round(test, 1)))
    df = pd.DataFrame(rows, columns=["school_id", "district", "year", "enrolment", "frl_share",
                                     "breakfast_program", "attendance_rate", "test_score_avg"])
    return df


# ---------------------------------------------------------------- 12 water mains relining
def water_mains():
    rng = np.random.default_rng(4112)
    n = 2200
    material = rng.choice(["cast iron", "ductile iron", "PVC", "asbestos cement"], n, p=[.35, .3, .2, .15])
    decade = rng.choice(np.arange(1950, 2020, 10), n)
    corr = rng.integers(1, 5, n)
    length = np.exp(rng.normal(np.log(0.8), .5, n)).round(2)
    ci = material == "cast iron"
    lo = -1.0 + 0.03 * (1990 - decade) + 0.4 * (corr - 2) + 0.8 * ci
    rel = rng.random(n) < 1 / (1 + np.exp(-lo))
    bursts = (1.0 + 0.02 * (2020 - decade) + 0.4 * corr + 0.6 * ci - 0.8 * rel + rng.normal(0, .3, n))
    flow = 3 + 1.5 * bursts - 1.0 * rel + rng.normal(0, .8, n)
    df = pd.DataFrame({
        "segment_id": [f"WM-{i:05d}" for i in rng.choice(np.arange(1, 99999), n, replace=False)],
        "district": rng.choice(["Harbourside", "Millbrook", "Upper Vale", "Southgate", "Kiln Lane"], n),
        "pipe_material": material,
        "install_decade": decade,
        "soil_corrosivity": corr,
        "length_km": _holes(rng, pd.Series(length), .02),
        "relined": _yn(rel, "Y", "N"),
        "last_inspection": _dates(rng, n, "2018-01-01", "2023-12-31"),
        "flow_loss_pct": flow.round(2),
        "bursts_per_yr": bursts.round(2),
    })
    return df


_BUILDERS = {
    "orchard_fertiliser": orchard_fertiliser,
    "bus_lanes": bus_lanes,
    "county_ems": county_ems,
    "bursary": bursary,
    "code_review": code_review,
    "coupon_trial": coupon_trial,
    "auto_insurance": auto_insurance,
    "squad_training": squad_training,
    "home_energy": home_energy,
    "flu_shots": flu_shots,
    "school_breakfast": school_breakfast,
    "water_mains": water_mains,
}


def datasets():
    return {name: fn() for name, fn in _BUILDERS.items()}


TRUTH = {
    "orchard_fertiliser": {
        "effects": [
            {"treatment": "fert_kg_ha", "outcome": "yield_t_ha", "effect": 0.02, "scale": "per_unit"},
            {"treatment": "any_fertiliser", "outcome": "yield_t_ha", "effect": 2.072, "scale": "binary_ate"},
            {"treatment": "fert_kg_ha", "outcome": "leaf_n_pct", "effect": 0.005, "scale": "per_unit"},
        ],
        "design": "backdoor",
        "pre_treatment": ["soil_quality_idx", "farm_size_ha", "tree_age_yrs", "organic_cert"],
        "post_treatment": ["leaf_n_pct"],
        "notes": "Yield rises 0.01 t/ha per kg directly plus 0.01 through leaf nitrogen (0.005 %/kg x 2.0): "
                 "total 0.02 t/ha per kg. Fertilised plots get a dose uniform on 40-160 kg/ha (mean 103.6 in the "
                 "data), so yes/no effect = 0.02 x 103.58 = 2.072. Poor-soil and larger farms fertilise more, so the "
                 "naive yes/no gap (about 1.56) understates. leaf_n_pct is a mediator with a neutral name; adjusting "
                 "for it removes half the effect. Effect is the same in every region.",
    },
    "bus_lanes": {
        "effects": [{"treatment": "bus_lane", "outcome": "avg_delay_min", "effect": -2.5, "scale": "binary_ate"}],
        "design": "did",
        "unit": "route_id", "period": "month",
        "pre_treatment": ["n_stops", "rain_mm"],
        "post_treatment": ["ridership_k"],
        "notes": "Staggered adoption: 6 routes each switch on at 2020-03, 2020-09, 2021-04, 2021-10; 12 never. "
                 "Adopting routes had +2 min higher baseline delay, so the naive gap is about -0.4. Homogeneous "
                 "effect -2.5 (same in every borough), so two-way fixed effects is unbiased. ridership_k depends on "
                 "the delay (descendant of outcome).",
    },
    "county_ems": {
        "effects": [
            {"treatment": "Oregon x year>=2018", "outcome": "response_time_min", "effect": -1.2, "scale": "binary_ate"},
            {"treatment": "ambulance_units", "outcome": "response_time_min", "effect": 0.0, "scale": "per_unit"},
        ],
        "design": "did",
        "group_column": "state", "treated_groups": ["Oregon"], "period": "year", "treatment_start": "2018",
        "unit": "county_fips",
        "pre_treatment": ["rural_share", "population_k"],
        "post_treatment": [],
        "notes": "No treatment column: Oregon adopted a new dispatch protocol from 2018. Oregon counties are 1 min "
                 "slower at baseline; common linear trend +0.15 min/yr. ambulance_units is pure noise (effect 0).",
    },
    "bursary": {
        "effects": [
            {"treatment": "bursary", "outcome": "gpa_year1", "effect": 0.25, "scale": "binary_ate"},
            {"treatment": "bursary", "outcome": "part_time_job_hrs", "effect": -6.0, "scale": "binary_ate"},
            {"treatment": "part_time_job_hrs", "outcome": "gpa_year1", "effect": 0.0, "scale": "per_unit"},
        ],
        "design": "rdd",
        "running": "entrance_score", "cutoff": 70, "cutoff_side": "above",
        "pre_treatment": ["parental_income_k", "first_gen", "school_type", "entrance_score"],
        "post_treatment": ["part_time_job_hrs"],
        "notes": "Sharp: bursary == 'Y' exactly when entrance_score >= 70. GPA rises smoothly 0.022 per point, so "
                 "the naive gap (about 0.77) is mostly the score. Job hours are caused by the bursary and do not "
                 "affect GPA (their effect is 0).",
    },
    "code_review": {
        "effects": [
            {"treatment": "reviewHours", "outcome": "defectDensity", "effect": -0.6, "scale": "per_unit"},
            {"treatment": "authorTenureMo", "outcome": "defectDensity", "effect": -0.007, "scale": "per_unit"},
        ],
        "design": "iv",
        "instrument": "reviewersOnRota",
        "pre_treatment": ["linesChanged", "authorTenureMo", "team", "language"],
        "post_treatment": ["reworkCommits"],
        "notes": "Unmeasured module complexity raises both review hours and defects, so OLS is about -0.1. "
                 "reviewersOnRota is random (1-6) and moves reviewHours by 0.6 h per reviewer; it affects defects only "
                 "through reviewHours. Tenure: -0.01 direct, +0.003 via fewer review hours = -0.007 per month. "
                 "Mean reviewHours 3.788, so doubling review time = -2.273.",
    },
    "coupon_trial": {
        "effects": [
            {"treatment": "coupon_sent", "outcome": "spend_30d_usd", "effect": 6.183, "scale": "binary_ate",
             "subgroups": [{"column": "loyalty_tier", "op": "==", "value": "gold", "effect": 12.0},
                           {"column": "loyalty_tier", "op": "==", "value": "silver", "effect": 6.0},
                           {"column": "loyalty_tier", "op": "==", "value": "bronze", "effect": 4.0},
                           {"column": "loyalty_tier", "op": "!=", "value": "gold", "effect": 4.745}]},
            {"treatment": "coupon_sent", "outcome": "visits_30d", "effect": 0.2473, "scale": "binary_ate"},
        ],
        "design": "randomised",
        "pre_treatment": ["loyalty_tier", "age", "tenure_months", "prior_spend_90d", "signup_channel", "email_opt_in"],
        "post_treatment": ["visits_30d"],
        "notes": "Coupons assigned by lottery (p=0.5). Effect 4/6/12 for bronze/silver/gold; sample ATE = mean of "
                 "individual effects = 6.183. visits_30d is drawn from spend (descendant of the outcome), effect of "
                 "coupon on visits = ATE/25 = 0.2473.",
    },
    "auto_insurance": {
        "effects": [
            {"treatment": "telematics", "outcome": "claims_cost_usd", "effect": -185.74, "scale": "binary_ate",
             "subgroups": [{"column": "driver_age", "op": "<", "value": 25, "effect": -450.0},
                           {"column": "driver_age", "op": ">=", "value": 25, "effect": -150.0}]},
            {"treatment": "telematics", "outcome": "premium_change_pct", "effect": -5.743, "scale": "binary_ate"},
        ],
        "design": "backdoor",
        "pre_treatment": ["years_licensed", "prior_claims", "risk_class", "vehicle_value_usd", "driver_age"],
        "post_treatment": ["premium_change_pct"],
        "notes": "Young / inexperienced drivers (low years_licensed, a strong pre-treatment confounder) take "
                 "telematics more and claim more; drivers with prior claims take it less. Naive gap about -97. "
                 "Effect -450 under 25, -150 from 25 on; sample ATE -185.74 (11.9% under 25). premium_change_pct "
                 "depends on telematics and on claims (collider/descendant). policy_seq is a sequence number with "
                 "gaps; risk_class is a 1-5 code.",
    },
    "squad_training": {
        "effects": [
            {"treatment": "strength_sessions_wk", "outcome": "injury_days", "effect": -3.696, "scale": "per_unit",
             "subgroups": [{"column": "position", "op": "==", "value": "GK", "effect": -1.0},
                           {"column": "position", "op": "!=", "value": "GK", "effect": -4.0}]},
            {"treatment": "minutes_played", "outcome": "injury_days", "effect": 0.0, "scale": "per_unit"},
        ],
        "design": "backdoor",
        "pre_treatment": ["age", "prev_injuries", "position"],
        "post_treatment": ["physio_visits"],
        "notes": "Older and previously injured players are prescribed more sessions and miss more days: naive slope "
                 "is about +4.4 although the effect is -4 per weekly session for outfield players and -1 for "
                 "goalkeepers (sample average -3.696). physio_visits is drawn from injury_days.",
    },
    "home_energy": {
        "effects": [
            {"treatment": "heat_pump_grant", "outcome": "winter_kwh", "effect": -900.0, "scale": "binary_ate",
             "design": "rdd"},
            {"treatment": "insulation_cm", "outcome": "winter_kwh", "effect": -15.0, "scale": "per_unit",
             "design": "backdoor"},
            {"treatment": "smart_meter", "outcome": "winter_kwh", "effect": 0.0, "scale": "binary_ate",
             "design": "backdoor"},
        ],
        "design": "rdd",
        "running": "income_score", "cutoff": 40, "cutoff_side": "below",
        "pre_treatment": ["house_age_yrs", "floor_area_m2", "occupants", "income_score"],
        "post_treatment": [],
        "notes": "Grant given exactly when income_score < 40; consumption also rises 10 kWh per income point. "
                 "Insulation is thinner in old houses (which use more), so the naive slope is about -82 per cm "
                 "against a true -15. smart_meter is random with no effect.",
    },
    "flu_shots": {
        "effects": [
            {"treatment": "flu_shot", "outcome": "sick_days", "effect": -1.5, "scale": "binary_ate"},
            {"treatment": "flu_shot", "outcome": "pharmacy_visits", "effect": 0.5, "scale": "binary_ate"},
        ],
        "design": "iv",
        "instrument": "km_to_clinic",
        "pre_treatment": ["age", "age_band", "chronic_condition", "employer_size"],
        "post_treatment": ["pharmacy_visits"],
        "notes": "Unmeasured health-consciousness raises uptake and lowers sick days (OLS about -2.4). km_to_clinic "
                 "is independent of everything else and lowers uptake; no direct effect on sick days. Effect is "
                 "constant (-1.5), also among the chronically ill. Pharmacy visits: +0.8 direct, 0.2 x -1.5 via "
                 "sick days = +0.5. age_band is a 1-5 code of age.",
    },
    "school_breakfast": {
        "effects": [
            {"treatment": "breakfast_program", "outcome": "attendance_rate", "effect": 1.8, "scale": "binary_ate"},
            {"treatment": "breakfast_program", "outcome": "test_score_avg", "effect": 2.7, "scale": "binary_ate"},
        ],
        "design": "did",
        "unit": "school_id", "period": "year", "treatment_start": "2016",
        "pre_treatment": ["frl_share", "enrolment"],
        "post_treatment": ["test_score_avg"],
        "notes": "32 of 80 schools (mostly high free-lunch share) start the program in 2016; attendance is 8 points "
                 "lower per unit frl_share so the naive gap is about -0.2. Test scores = 1.5 x attendance + ..., so "
                 "the program raises them by 2.7. Effect constant across districts.",
    },
    "water_mains": {
        "effects": [
            {"treatment": "relined", "outcome": "bursts_per_yr", "effect": -0.8, "scale": "binary_ate"},
            {"treatment": "relined", "outcome": "flow_loss_pct", "effect": -2.2, "scale": "binary_ate"},
        ],
        "design": "backdoor",
        "pre_treatment": ["install_decade", "soil_corrosivity", "pipe_material", "length_km"],
        "post_treatment": ["flow_loss_pct"],
        "notes": "Old cast-iron mains in corrosive soil are relined first and burst more: naive gap about -0.34. "
                 "flow_loss_pct is driven by bursts (descendant of the outcome, neutral name). Effect constant "
                 "(-0.8) for every material. soil_corrosivity is a 1-4 code.",
    },
}
