"""Words: tokens of a question, word forms, and the parts of a column name.

Matching goes by word form (Snowball stems: "exercising" and "exercise" are
one word), by the expansions of common abbreviations in column names
("avg" → average), by prefix ("educ" → education) and, for longer words, by
edit similarity (rapidfuzz), so a typo still finds its column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer
from rapidfuzz.distance import OSA

_STEMMER = snowballstemmer.stemmer("english")

# Tokens: arrows and the formula tilde, words (with an inner apostrophe), numbers, other symbols.
_TOKEN = re.compile(r"->|=>|→|<=|>=|!=|[A-Za-z]+(?:'[A-Za-z]+)?|\d+(?:[.,]\d+)*(?:\.\d+)?|[^\sA-Za-z\d]")

# Abbreviations found in column names, and the words they stand for.
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "avg": ("average", "mean"),
    "mean": ("average",),
    "num": ("number", "count"),
    "no": ("number",),
    "nr": ("number",),
    "cnt": ("count", "number"),
    "pct": ("percent", "percentage", "share"),
    "perc": ("percent", "percentage"),
    "prop": ("proportion", "share"),
    "yrs": ("years", "year"),
    "yr": ("year", "years"),
    "hrs": ("hours", "hour"),
    "hr": ("hours", "hour"),
    "mins": ("minutes",),
    "min": ("minutes", "minimum"),
    "max": ("maximum",),
    "temp": ("temperature",),
    "qty": ("quantity",),
    "amt": ("amount",),
    "dept": ("department",),
    "emp": ("employee", "employment", "employed"),
    "exp": ("experience", "expenditure", "expense"),
    "inc": ("income",),
    "sal": ("salary",),
    "wt": ("weight",),
    "ht": ("height",),
    "bp": ("blood", "pressure"),
    "edu": ("education", "schooling"),
    "educ": ("education", "schooling"),
    "tot": ("total",),
    "prev": ("previous", "prior"),
    "pre": ("before", "prior", "baseline"),
    "post": ("after", "later", "follow"),
    "dob": ("birth",),
    "mgr": ("manager",),
    "grp": ("group",),
    "trt": ("treatment", "treated"),
    "treat": ("treatment", "treated"),
    "tx": ("treatment",),
    "ctrl": ("control",),
    "rx": ("prescription", "treatment"),
    "wk": ("week", "weekly"),
    "mo": ("month", "monthly"),
    "dur": ("duration",),
    "freq": ("frequency",),
    "dist": ("distance",),
    "pop": ("population",),
    "hh": ("household",),
    "gpa": ("grade", "grades"),
    "rev": ("revenue",),
    "cust": ("customer", "customers"),
    "conv": ("conversion", "converted"),
    "promo": ("promotion",),
    "disc": ("discount",),
    "ad": ("advert", "advertising", "ads"),
    "ads": ("advert", "advertising"),
    "mkt": ("marketing",),
    "attn": ("attendance",),
    "abs": ("absence", "absent"),
    "chol": ("cholesterol",),
    "sys": ("systolic",),
    "dia": ("diastolic",),
    "glu": ("glucose",),
    "bmi": ("body", "mass"),
    "sqft": ("square", "feet", "size"),
    "sq": ("square",),
    "ft": ("feet",),
    "pts": ("points",),
    "pt": ("patient",),
    "dx": ("diagnosis",),
    "los": ("stay", "length"),
    "cond": ("condition",),
    "mgmt": ("management",),
    "svc": ("service",),
    "sub": ("subscription",),
    "fert": ("fertilizer", "fertiliser"),
    "kwh": ("electricity", "energy", "power", "usage"),
    "ast": ("assists",),
    "pkg": ("package", "parcel"),
    "lit": ("literacy",),
    "reb": ("rebounds",),
    "stl": ("steals",),
    "kms": ("kilometres", "distance"),
    "km": ("distance",),
    "qual": ("quality",),
    "occ": ("occupancy", "occupation"),
    "avail": ("availability",),
    "resp": ("response",),
    "req": ("requests",),
    "ui": ("interface", "design"),
    "ux": ("experience", "design"),
    "subs": ("subscription", "subscribers"),
    "usr": ("user",),
    "acct": ("account",),
    "bal": ("balance",),
    "marr": ("married", "marriage"),
    "hisp": ("hispanic",),
    "sch": ("school",),
    "stud": ("student",),
    "inst": ("instrument",),
    "int": ("interest",),
    "ret": ("retention", "return"),
    "ppl": ("people",),
    "govt": ("government",),
    "intl": ("international",),
    "natl": ("national",),
    "dem": ("democrat",),
    "rep": ("republican", "representative"),
    "unemp": ("unemployment", "unemployed"),
}

# Words people use interchangeably for what a column measures (a small thesaurus of everyday data words).
RELATED_WORDS: tuple[frozenset[str], ...] = tuple(
    frozenset(group.split())
    for group in (
        "wage wages pay salary salaries earnings earn income paid paycheck compensation",
        "sale sales sold sell selling units volume demand",
        "revenue revenues turnover takings",
        "price prices cost costs expensive cheap pricing",
        "conversion conversions convert converted converts",
        "female females woman women girl girls",
        "male males man men boy boys",
        "gender sex",
        "age aged old older young younger elderly",
        "size area sqft footage square",
        "bedroom bedrooms rooms",
        "grade grades mark marks gpa",
        "score scores rating ratings",
        "exam test tests exams",
        "study studying studied homework",
        "absence absences absent missed",
        "income incomes earnings",
        "child children kid kids",
        "married marriage spouse",
        "smoke smoking smoker smokers cigarette cigarettes tobacco",
        "exercise exercising workout workouts training physical activity",
        "weight bmi obesity",
        "blood pressure bp hypertension",
        "sleep sleeping",
        "diet nutrition eating",
        "recovery recover recovered healing",
        "death deaths died mortality survival",
        "hospital clinic",
        "drug drugs medication medicine treatment",
        "dose dosage",
        "traffic visitors footfall visits",
        "promotion promotions promo promos campaign",
        "discount discounts coupon coupons voucher",
        "email emails newsletter",
        "remote home telework wfh",
        "commute commuting travel",
        "productivity output performance",
        "satisfaction happiness happy satisfied",
        "tenure seniority experience",
        "yield yields harvest output",
        "rain rainfall precipitation",
        "fertilizer fertiliser fertilizers fertilisers manure",
        "irrigation irrigated irrigate watering",
        "acidity ph",
        "renovation renovated renovate remodel remodeled refurbished",
        "ui interface design layout",
        "page pages view views viewed browsing browse",
        "session sessions visit",
        "device devices platform",
        "union unionized unionised",
        "unemployment unemployed jobless",
        "employment employed job jobs work working",
        "crime crimes offence offences arrests",
        "temperature temp heat",
        "distance miles km kilometres kilometers",
        "time duration length minutes hours",
        "spend spending spent expenditure",
        "customer customers client clients buyer buyers",
        "student students pupil pupils learner learners",
        "point points scoring score scored",
        "injury injuries injured hurt",
        "teacher teachers instructor",
        "school schooling education educational",
        # People leaving, staying, joining (HR, subscriptions, customers, students).
        "attrition turnover quit quits quitting resign resigned resignation leave leaving left exit exits churn "
        "churned churning cancel cancelled canceled cancellation dropout dropouts",
        "retention retained retain stay stayed staying renew renewal renewals renewed loyalty",
        "hire hires hired hiring recruit recruited recruitment onboarding",
        "promotion promoted advancement",
        "absenteeism sick leave absence absences",
        "overtime extra hours",
        "mentor mentoring mentorship coach coaching tutor tutoring",
        # Health care.
        "readmission readmissions readmitted rehospitalisation rehospitalization",
        "admission admissions admitted hospitalisation hospitalization inpatient",
        "adherence compliance compliant adherent",
        "infection infections infected",
        "vaccine vaccines vaccination vaccinated immunisation immunization jab jabs shot shots",
        "symptom symptoms severity",
        "pain ache aches",
        "appointment appointments visit visits booking bookings",
        "noshow no-show missed attendance attended show",
        "wait waiting delay delays queue",
        "reminder reminders nudge nudges prompt prompts text texts sms",
        # Money, firms and customers.
        "profit profits margin margins",
        "loan loans credit lending borrow borrowing borrowed",
        "default defaults defaulted delinquency delinquent arrears",
        "claim claims payout payouts",
        "premium premiums",
        "subscription subscriptions subscriber subscribers member members membership",
        "purchase purchases purchased buy buys bought order orders ordered basket",
        "complaint complaints complained grievance grievances",
        "click clicks clicked ctr",
        "ad ads advert adverts advertising advertisement advertisements marketing",
        "loyalty rewards points",
        # Agriculture, energy, environment.
        "crop crops harvest yield yields produce output",
        "pest pests pesticide pesticides insecticide spraying sprayed",
        "seed seeds variety varieties hybrid",
        "energy electricity power kwh consumption usage",
        "emission emissions co2 carbon pollution pollutant pollutants",
        "water usage consumption litres liters gallons",
        "insulation insulated retrofit retrofitted weatherisation weatherization",
        "solar panels pv",
        # Transport and public services.
        "delay delays late lateness punctuality",
        "accident accidents crash crashes collision collisions",
        "speed speeding velocity",
        "fine fines penalty penalties ticket tickets citation citations",
        "library libraries loan loans borrowing",
        "policing police officers patrol patrols",
        "reoffending recidivism reoffend reoffended rearrest rearrested",
        "benefit benefits welfare transfer transfers assistance subsidy subsidies grant grants",
        "minimum wage",
        # Schools.
        "enrolment enrollment enrolled enrol enroll",
        "graduation graduate graduated completion completed",
        "reading literacy",
        "math maths mathematics numeracy",
        "class classes classroom",
        "scholarship scholarships bursary bursaries award awards stipend",
    )
)
_RELATED: dict[str, set[str]] = {}
for _group in RELATED_WORDS:
    for _word in _group:
        _RELATED.setdefault(_word, set()).update(_group)

# Units and rate denominators in column names ("yield_t_ha", "pkg_wt_kg", "dose_mg").
UNIT_PARTS = frozenset(
    {
        "kg",
        "g",
        "mg",
        "lb",
        "lbs",
        "t",
        "ha",
        "km",
        "m",
        "mm",
        "cm",
        "mi",
        "ft",
        "usd",
        "eur",
        "gbp",
        "k",
        "f",
        "c",
        "pct",
        "hrs",
        "hr",
        "h",
        "min",
        "mins",
        "sec",
        "s",
        "d",
        "wk",
        "mo",
        "yr",
        "yrs",
        "ml",
        "l",
        "kwh",
        "mwh",
    }
)

# Column-name parts that say little about what a column holds.
GENERIC_PARTS = UNIT_PARTS - {"kwh", "mwh", "hrs", "mins", "yrs", "km"} | frozenset(
    {
        "id",
        "num",
        "no",
        "nr",
        "cnt",
        "avg",
        "mean",
        "total",
        "tot",
        "level",
        "lvl",
        "rate",
        "flag",
        "ind",
        "indicator",
        "is",
        "has",
        "was",
        "did",
        "var",
        "val",
        "value",
        "amount",
        "amt",
        "count",
        "score",
        "index",
        "pct",
        "perc",
        "prop",
        "dummy",
        "binary",
        "cat",
        "code",
        "type",
        "status",
        "x",
        "y",
        "of",
        "the",
        "in",
        "per",
        "and",
        "or",
        "a",
        "to",
        "at",
        "on",
        "by",
    }
)

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "aren't",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "can't",
        "could",
        "couldn't",
        "did",
        "didn't",
        "do",
        "does",
        "doesn't",
        "doing",
        "don't",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "hadn't",
        "has",
        "hasn't",
        "have",
        "haven't",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "isn't",
        "it",
        "it's",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "shouldn't",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "wasn't",
        "we",
        "were",
        "weren't",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "won't",
        "would",
        "wouldn't",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "s",
        "t",
        "also",
        "ever",
        "really",
        "much",
        "many",
        "whether",
        "per",
        "vs",
        "versus",
        "via",
        "get",
        "gets",
        "got",
        "getting",
        "let",
        "lets",
        "let's",
        "please",
        "tell",
        "show",
        "give",
        "me",
        "us",
        "one",
        "ones",
        "thing",
        "things",
        "kind",
        "sort",
        "way",
        "use",
        "uses",
        "used",
        "using",
        "actually",
        "really",
        "truly",
        "just",
        "even",
        "still",
        "ever",
        "already",
    ]
)

# Words that belong to the question's form rather than to what is measured.
QUESTION_WORDS = frozenset(
    [
        "effect",
        "effects",
        "impact",
        "impacts",
        "influence",
        "influences",
        "influenced",
        "affect",
        "affects",
        "affected",
        "affecting",
        "cause",
        "causes",
        "caused",
        "causal",
        "causally",
        "consequence",
        "consequences",
        "result",
        "results",
        "resulted",
        "lead",
        "leads",
        "led",
        "change",
        "changes",
        "changed",
        "changing",
        "raise",
        "raises",
        "raised",
        "increase",
        "increases",
        "increased",
        "decrease",
        "decreases",
        "decreased",
        "reduce",
        "reduces",
        "reduced",
        "lower",
        "lowers",
        "lowered",
        "boost",
        "boosts",
        "boosted",
        "improve",
        "improves",
        "improved",
        "help",
        "helps",
        "helped",
        "hurt",
        "hurts",
        "harm",
        "harms",
        "harmed",
        "drive",
        "drives",
        "drove",
        "driven",
        "determine",
        "determines",
        "determined",
        "matter",
        "matters",
        "mattered",
        "difference",
        "differences",
        "differ",
        "differs",
        "make",
        "makes",
        "made",
        "work",
        "works",
        "worked",
        "benefit",
        "benefits",
        "estimate",
        "estimated",
        "estimates",
        "estimation",
        "analysis",
        "analyse",
        "analyze",
        "data",
        "dataset",
        "table",
        "sample",
        "rows",
        "row",
        "records",
        "record",
        "observations",
        "observation",
        "people",
        "person",
        "persons",
        "individuals",
        "individual",
        "participants",
        "participant",
        "subjects",
        "subject",
        "units",
        "unit",
        "cases",
        "case",
        "average",
        "mean",
        "median",
        "mode",
        "total",
        "sum",
        "count",
        "number",
        "share",
        "proportion",
        "percentage",
        "percent",
        "fraction",
        "rate",
        "distribution",
        "spread",
        "variance",
        "deviation",
        "standard",
        "std",
        "minimum",
        "maximum",
        "min",
        "max",
        "highest",
        "lowest",
        "largest",
        "smallest",
        "biggest",
        "range",
        "summary",
        "summarise",
        "summarize",
        "describe",
        "description",
        "overview",
        "correlation",
        "correlated",
        "correlate",
        "correlates",
        "association",
        "associated",
        "relationship",
        "related",
        "relation",
        "link",
        "linked",
        "compare",
        "comparison",
        "compared",
        "group",
        "groups",
        "typical",
        "happen",
        "happens",
        "happened",
        "would",
        "could",
        "should",
        "might",
        "will",
        "can",
        "going",
        "stop",
        "stopped",
        "stops",
        "stopping",
        "everyone",
        "everybody",
        "nobody",
        "anyone",
        "anybody",
        "someone",
        "all",
        "none",
        "know",
        "tell",
        "want",
        "like",
        "need",
        "see",
        "look",
        "adjust",
        "adjusting",
        "adjusted",
        "adjustment",
        "control",
        "controlling",
        "controlled",
        "controls",
        "account",
        "accounting",
        "accounted",
        "condition",
        "conditioning",
        "holding",
        "hold",
        "constant",
        "fixed",
        "only",
        "excluding",
        "exclude",
        "ignoring",
        "ignore",
        "leaving",
        "leave",
        "treatment",
        "treated",
        "outcome",
        "outcomes",
        "variable",
        "variables",
        "column",
        "columns",
        "factor",
        "factors",
        "mediator",
        "collider",
        "confounder",
        "confounders",
        "covariate",
        "covariates",
        "instrument",
        "instruments",
        "good",
        "bad",
        "better",
        "worse",
        "higher",
        "lower",
        "high",
        "low",
        "more",
        "less",
        "big",
        "small",
        "large",
        "much",
        "many",
        "level",
        "levels",
        "amount",
        "amounts",
        "value",
        "values",
        "actually",
        "really",
        "truly",
        "significantly",
        "significant",
        "likely",
        "chance",
        "probability",
        "yes",
        "no",
        "true",
        "false",
        "question",
        "questions",
        "answer",
        "please",
        "thanks",
        "thank",
        "hi",
        "hello",
        "hey",
        "okay",
        "ok",
        "cool",
        "great",
        "say",
        "says",
        "said",
        "tell",
        "tells",
        "show",
        "shows",
        "find",
        "finds",
        "found",
        "learn",
        "interesting",
        "insight",
        "insights",
        "anything",
        "something",
    ]
)


@dataclass(frozen=True)
class Token:
    text: str  # as written
    word: str  # lower case, possessive removed
    stem: str
    start: int
    end: int

    @property
    def is_word(self) -> bool:
        return self.word[:1].isalpha()

    @property
    def is_number(self) -> bool:
        return self.word[:1].isdigit()


@lru_cache(maxsize=8192)
def stem(word: str) -> str:
    return _STEMMER.stemWord(word.lower())


# Contractions typed without their apostrophe ("whats the effect", "isnt gold tier"), put back so that
# question words and negations read as such. "its", "lets", "id", "ill", "wed", "well" stay: they are words.
_BARE_CONTRACTION = re.compile(
    r"\b(?:(?P<s>what|that|who|where|how|there|here)s|"
    r"(?P<nt>is|was|are|were|do|does|did|has|have|had|would|should|could|must|need)nt|"
    r"(?P<irregular>dont|cant|wont|aint))\b",
    re.IGNORECASE,
)
_IRREGULAR = {"dont": "don't", "cant": "can't", "wont": "won't", "aint": "ain't"}


def restore_apostrophes(text: str) -> str:
    """``text`` with apostrophe-less contractions written out as usual ("whats" → "what's", "didnt" → "didn't")."""

    def put_back(match: re.Match[str]) -> str:
        if match.group("s"):
            return f"{match.group('s')}'s"
        if match.group("nt"):
            return f"{match.group('nt')}n't"
        word = match.group("irregular")
        restored = _IRREGULAR[word.lower()]
        return restored if word.islower() else restored.capitalize() if word[:1].isupper() else restored

    return _BARE_CONTRACTION.sub(put_back, text)


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    for match in _TOKEN.finditer(text):
        raw = match.group(0)
        word = raw.lower()
        if word.endswith("'s"):
            word = word[:-2]
        elif word.endswith("'"):
            word = word[:-1]
        word = word.replace(",", "") if word[:1].isdigit() else word
        tokens.append(Token(raw, word, stem(word) if word[:1].isalpha() else word, match.start(), match.end()))
    return tokens


def is_content(token: Token) -> bool:
    """A word that could name something measured (not a function word or a word of the question's form)."""
    return token.is_word and len(token.word) > 1 and token.word not in STOPWORDS and token.word not in QUESTION_WORDS


def related(first: str, second: str) -> bool:
    group = _RELATED.get(first) or _RELATED.get(stem(first) or "") or set()
    return second in group or any(stem(word) == stem(second) for word in group)


_ORDINALS = {
    "first": "1",
    "second": "2",
    "third": "3",
    "fourth": "4",
    "fifth": "5",
    "1st": "1",
    "2nd": "2",
    "3rd": "3",
    "4th": "4",
    "5th": "5",
}


def word_match(question_word: str, column_word: str) -> float:
    """How well a word of the question stands for a word of a column name or synonym (0 to 1)."""
    if not question_word or not column_word:
        return 0.0
    if question_word == column_word:
        return 1.0
    if _ORDINALS.get(question_word) == column_word:
        return 0.9  # "first-year GPA" for gpa_year1
    if question_word[:1].isdigit() or column_word[:1].isdigit():
        # "1978" stands for the "78" of re78.
        if question_word[:1].isdigit() and column_word[:1].isdigit():
            short, long = sorted((question_word, column_word), key=len)
            return 0.9 if len(short) >= 2 and long.endswith(short) else 0.0
        return 0.0
    q_stem, c_stem = stem(question_word), stem(column_word)
    if q_stem == c_stem:
        return 1.0
    if len(question_word) >= 4 and column_word in {f"no{question_word}", f"non{question_word}", f"not{question_word}"}:
        return 0.9  # "degree" in `nodegree`: the filter reading knows the column says "no"
    expansions = ABBREVIATIONS.get(column_word, ())
    if any(stem(expansion) == q_stem for expansion in expansions):
        return 0.95
    if _compound_of(question_word, column_word):
        return 0.85  # "booking" (or "e-booking") in `ebooking`, "learning" in `elearning`
    short, long = sorted((q_stem, c_stem), key=len)
    if len(short) >= 4 and long.startswith(short) and len(long) - len(short) <= 6:
        return 0.85
    if len(short) >= 3 and column_word == short and long.startswith(short) and len(long) <= 9:
        return 0.75  # "edu" → "educ", "emp" → "employ": short column words written in full
    if is_typo(question_word, column_word):
        return 0.8
    common = len(_common_prefix(question_word, column_word))
    if common >= 6 and common >= 0.75 * min(len(question_word), len(column_word)):
        return 0.75  # one word, other endings ("conversions", "converted")
    if related(question_word, column_word) or any(related(question_word, e) for e in expansions):
        return 0.8
    return 0.0


def is_typo(first: str, second: str) -> bool:
    """One slip (a letter missing, extra, wrong or two swapped) in a word of five letters or more; two in longer ones."""
    shortest = min(len(first), len(second))
    if shortest < 5 or first[:1] != second[:1]:
        return False
    return OSA.distance(first, second) <= (1 if shortest < 9 else 2)


def _common_prefix(first: str, second: str) -> str:
    length = 0
    for a, b in zip(first, second, strict=False):
        if a != b:
            break
        length += 1
    return first[:length]


# One- or two-letter heads written onto a word in column names: e-, i-, m- (electronic, internet, mobile),
# "tele", "re", "pre" are words of their own and left out.
_COMPOUND_HEADS = frozenset({"e", "i", "m", "x"})


def _compound_of(question_word: str, column_word: str) -> bool:
    """The question's word is the column word without a short head ("booking" for `ebooking`)."""
    if len(question_word) < 5:
        return False
    for head in _COMPOUND_HEADS:
        rest = column_word[len(head) :]
        if (
            column_word.startswith(head)
            and len(rest) >= 5
            and (rest == question_word or stem(rest) == stem(question_word))
        ):
            return True
    return False
