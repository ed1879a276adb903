"""Month by month: usage, bills, contacts, arrears and churn of one chunk's lines.

Each line carries a latent dissatisfaction (``mood``, 0 = content) that a competitor's
offer or a bad experience raises and time heals. It lowers spend, moves calls to other
networks and makes complaints and termination requests likelier; the churn hazard
(churn.py) is then computed from those *observable* consequences of the previous month,
so the signals named in domain.md section 3 really precede churn. Postpaid accounts that
stop paying are suspended for arrears (欠费停机) two months later and closed for non-payment
three months after that unless they settle.

Everything is vectorised over the lines: the only Python loop is over months.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from telcrm.simulate import vocab
from telcrm.simulate.churn import HazardInputs, monthly_hazard
from telcrm.simulate.columns import day_number
from telcrm.simulate.population import Lines

NEVER = 10**6  # a month index after any window
WARM_UP = 3  # months simulated before the window so that "previous month" exists
TOPIC = {name: i for i, name in enumerate(vocab.TOPICS)}
STATUS_ACTIVE, STATUS_SUSPENDED, STATUS_CLOSED = 0, 1, 2
REASON_NONE, REASON_CHURN, REASON_ARREARS, REASON_NON_PAYMENT = 0, 1, 2, 3
BILL_PARTS = ("plan_fee", "voice", "data", "sms", "vas", "roaming", "discount", "total")
USAGE_PARTS = ("voice_minutes", "data_mb", "sms_count", "competitor_calls", "competitor_minutes")


@dataclass(frozen=True)
class Window:
    """The simulated months, with ``WARM_UP`` months before the first reported one."""

    starts: np.ndarray  # day numbers of month starts, WARM_UP + months + 1 boundaries
    months: int
    spring: np.ndarray  # per month (all simulated), Spring Festival month
    summer: np.ndarray

    @classmethod
    def ending(cls, end_month: str, months: int) -> Window:
        firsts = vocab.window(end_month, months + WARM_UP + 1)[1:]
        last = firsts[-1]
        after = dt.date(last.year + last.month // 12, last.month % 12 + 1, 1)
        starts = np.array([day_number(np.datetime64(d)) for d in [*firsts, after]], np.int64)
        return cls(
            starts=starts, months=months,
            spring=vocab.spring_festival_months(firsts),
            summer=np.array([d.month in (7, 8) for d in firsts]),
        )

    @property
    def report_days(self) -> np.ndarray:
        """Month boundaries of the reported window only."""
        return self.starts[WARM_UP:]


@dataclass
class Activity:
    billed: np.ndarray  # (n, months) line has a bill that month
    bills: dict[str, np.ndarray]  # fen, (n, months)
    usage: dict[str, np.ndarray]
    at_risk: np.ndarray
    hazard: np.ndarray
    churned: np.ndarray
    plan: np.ndarray  # at the end of the window (unhappy customers downgrade)
    status: np.ndarray
    status_day: np.ndarray
    reason: np.ndarray
    default_month: np.ndarray  # per chunk account: first unpaid month (report index), or large
    settle_month: np.ndarray  # per chunk account: month arrears are paid off, or large
    events: dict[str, list[np.ndarray]] = field(default_factory=dict)


def simulate_months(rng: np.random.Generator, lines: Lines, payer: np.ndarray, window: Window) -> Activity:
    n, months = len(lines.plan), window.months
    total_months = months + WARM_UP
    plans = vocab.PLANS
    fees = np.array([p.fee for p in plans]) * 100
    minutes = np.array([p.minutes for p in plans])
    data_mb = np.array([p.data_mb for p in plans])
    cheapest = np.array([min((p.fee, i) for i, p in enumerate(plans) if p.brand == b)[1] for b in vocab.BRANDS])
    plan = lines.plan.copy()
    brand_voice = np.array([380.0, 170.0, 110.0])[lines.brand]
    brand_data = np.array([14_000.0, 2_500.0, 22_000.0])[lines.brand]
    voice0 = brand_voice * rng.lognormal(0, 0.55, n) * np.where(lines.segment == 4, 0.7, 1.0)
    data0 = brand_data * rng.lognormal(0, 0.7, n) * np.where(lines.segment == 4, 0.3, 1.0)
    sms0 = rng.lognormal(3.0, 0.6, n)
    trend = rng.normal(0.0, 0.01, n)
    share0 = rng.normal(-0.75, 0.45, n)  # logit of the share of minutes to other networks
    vas_fee = np.where(rng.random(n) < 0.15, rng.choice([500, 1000, 1500, 2000], n), 0)
    roam_p = np.where(lines.brand == 0, 0.08, 0.02) * rng.lognormal(0, 0.5, n)
    frailty = rng.normal(0.0, 0.45, n)
    enterprise = lines.ent_account >= 0
    mood = np.where(rng.random(n) < 0.08, rng.uniform(0.5, 2.5, n), 0.0)

    # Accounts that stop paying: from which month, and whether they later settle.
    n_acc = len(payer)
    default_month = np.where(payer == 2, rng.integers(-2, months, n_acc), NEVER)
    settle_month = np.where(rng.random(n_acc) < 0.4, default_month + 4, NEVER)
    acc = np.where(lines.account >= 0, lines.account, 0)
    line_default = np.where((lines.account >= 0) & lines.postpaid, default_month[acc], NEVER)
    line_settle = np.where(lines.account >= 0, settle_month[acc], NEVER)

    out = Activity(
        billed=np.zeros((n, months), bool),
        bills={k: np.zeros((n, months), np.int32) for k in BILL_PARTS},
        usage={k: np.zeros((n, months), np.int32) for k in USAGE_PARTS},
        at_risk=np.zeros((n, months), bool), hazard=np.zeros((n, months), np.float32),
        churned=np.zeros((n, months), bool), plan=plan,
        status=np.zeros(n, np.int8), status_day=lines.activated.copy(), reason=np.zeros(n, np.int8),
        default_month=default_month, settle_month=settle_month,
        events={"line": [], "month": [], "topic": [], "seconds": [], "flag": []},
    )
    closed = np.zeros(n, bool)
    spend_prev = np.full(n, np.nan)
    spend_base = np.full(n, np.nan)
    complaints = np.zeros(n)
    requests = np.zeros(n)
    share_prev = 1 / (1 + np.exp(-share0))
    contract_end = np.where(lines.contract_end >= 0, lines.contract_end, np.nan)

    for s in range(total_months):
        t = s - WARM_UP  # reported month index; negative in the warm-up
        day0, day1 = int(window.starts[s]), int(window.starts[s + 1])
        dim = day1 - day0
        exists = (lines.activated < day1) & ~closed
        suspended = out.status == STATUS_SUSPENDED
        at_risk = exists & (lines.activated < day0) & ~suspended
        if t >= 0:
            with np.errstate(invalid="ignore", divide="ignore"):
                decline = np.nan_to_num(1 - spend_prev / spend_base, nan=0.0)
            hazard = monthly_hazard(HazardInputs(
                spend_decline=decline, complaints=complaints, competitor_share=share_prev,
                tenure_months=(day0 - lines.activated) / 30.44,
                months_after_contract_end=(day0 - contract_end) / 30.44,
                termination_requests=requests, prepaid=~lines.postpaid,
                enterprise_line=enterprise, frailty=frailty,
            ))
            churn = at_risk & (rng.random(n) < hazard)
            out.at_risk[:, t], out.hazard[:, t], out.churned[:, t] = at_risk, hazard, churn
        else:
            churn = np.zeros(n, bool)
        close_day = np.where(churn, day0 + rng.integers(0, dim, n), -1)

        # Arrears: suspend two months after the first unpaid bill, settle or close later.
        suspend_now = exists & ~suspended & (line_default + 2 == t)
        settle_now = suspended & (line_settle == t)
        cut_now = suspended & (line_default + 5 == t) & (line_settle > t)
        # Arrears suspensions run on the 10th, but never before the line itself existed.
        susp_day = np.maximum(day0 + 9, lines.activated)
        _set_status(out, suspend_now, STATUS_SUSPENDED, susp_day, REASON_ARREARS)
        _set_status(out, settle_now, STATUS_ACTIVE, day0 + rng.integers(0, dim, n), REASON_NONE)
        _set_status(out, cut_now, STATUS_CLOSED, day0 + 14, REASON_NON_PAYMENT)
        _set_status(out, churn, STATUS_CLOSED, close_day, REASON_CHURN)

        # The share of the month the line was usable.
        first = np.clip(lines.activated, day0, day1)
        last = np.where(churn, close_day + 1, np.where(cut_now | suspend_now, susp_day, day1))
        usable = np.where(suspended & ~settle_now, 0.0, np.clip((last - first) / dim, 0.0, 1.0))
        billed_frac = np.clip((np.where(churn | cut_now, last, day1) - first) / dim, 0.0, 1.0)

        mood = np.maximum(0.0, 0.85 * mood + rng.normal(0, 0.08, n)
                          + np.where(rng.random(n) < 0.02, rng.uniform(1.0, 3.0, n), 0.0))
        # Unhappy customers cut their spend before they leave (domain.md section 3: spend
        # fluctuation): the cheapest plan of the brand, and no more SP bundles.
        downgrade = (exists & (usable > 0) & (plan != cheapest[lines.brand])
                     & (rng.random(n) < 0.05 * np.maximum(mood - 1.0, 0)))
        plan[downgrade] = cheapest[lines.brand][downgrade]
        vas_fee[downgrade] = 0
        fee, incl_min, incl_mb = fees[plan], minutes[plan], data_mb[plan]
        spring, summer = bool(window.spring[s]), bool(window.summer[s])
        damp = np.exp(-0.35 * mood) * rng.lognormal(0, 0.12, n) * np.exp(trend * s)
        voice = voice0 * damp * (1.3 if spring else 1.0) * rng.lognormal(0, 0.15, n) * usable
        data = data0 * damp * 1.012**s * rng.lognormal(0, 0.2, n) * (0.9 if spring else 1.0) * usable
        sms = sms0 * (2.2 if spring else 1.0) * rng.lognormal(0, 0.25, n) * usable
        share = 1 / (1 + np.exp(-(share0 + 0.55 * mood + rng.normal(0, 0.12, n))))
        comp_min = voice * share
        roams = rng.random(n) < roam_p * (2.5 if spring else 1.8 if summer else 1.0)
        sp_event = exists & (usable > 0) & (rng.random(n) < 0.004)

        cents = {
            "plan_fee": np.round(fee * billed_frac),
            "voice": np.round(np.maximum(0, voice - incl_min) * vocab.VOICE_RATE * 100),
            "data": np.round(np.maximum(0, data - incl_mb) * vocab.DATA_RATE * 100),
            "sms": np.round(sms) * round(vocab.SMS_RATE * 100),
            "vas": np.round(vas_fee * billed_frac) + np.where(sp_event, rng.integers(10, 31, n) * 100, 0),
            "roaming": np.where(roams & (usable > 0), np.round(rng.lognormal(4.2, 0.8, n) * 100), 0),
        }
        under_contract = lines.contract_end > day0
        loyal = (lines.brand == 0) & (day0 - lines.activated > 5 * 365)
        cents["discount"] = -np.round(np.where(under_contract, 0.1 * cents["plan_fee"], 0)
                                      + np.where(loyal, 500 * billed_frac, 0))
        total = sum(cents.values())
        spend = total / 100.0

        retained = _contacts(
            rng, out, exists & (usable > 0), mood, sp_event, suspend_now | suspended, downgrade,
            t, day0, np.where(churn, close_day, day1 - 1), complaints, requests,
        )
        mood = np.where(retained, np.maximum(0.0, mood - 1.0), mood)  # a retention offer helps

        blended = np.where(np.isnan(spend_prev), spend_base, 0.6 * spend_base + 0.4 * spend_prev)
        spend_base = np.where(exists, np.where(np.isnan(spend_base), spend, blended), spend_base)
        spend_prev = np.where(exists, spend, spend_prev)
        share_prev = np.where(usable > 0, share, share_prev)
        closed |= churn | cut_now
        if t >= 0:
            out.billed[:, t] = exists
            for k, v in cents.items():
                out.bills[k][:, t] = v
            out.bills["total"][:, t] = total
            out.usage["voice_minutes"][:, t] = np.round(voice)
            out.usage["data_mb"][:, t] = np.round(data)
            out.usage["sms_count"][:, t] = np.round(sms)
            out.usage["competitor_minutes"][:, t] = np.round(comp_min)
            out.usage["competitor_calls"][:, t] = np.round(comp_min / 2.4 * rng.lognormal(0, 0.1, n))
    return out


def _set_status(out: Activity, mask: np.ndarray, status: int, day, reason: int) -> None:
    out.status[mask] = status
    out.status_day[mask] = np.broadcast_to(day, mask.shape)[mask]
    out.reason[mask] = reason


def _contacts(
    rng: np.random.Generator, out: Activity, usable: np.ndarray, mood: np.ndarray,
    sp_event: np.ndarray, in_arrears: np.ndarray, downgrade: np.ndarray, t: int, day0: int,
    last_day: np.ndarray,
    complaints: np.ndarray, requests: np.ndarray,
) -> np.ndarray:
    """Draw this month's contacts, update the decayed complaint and request counts in place,
    and return the lines a retention offer kept after a termination request.

    An unexpected SP charge is China Mobile's typical complaint (domain.md section 5); the
    event's ``flag`` marks it, a reminder of arrears, or a retained request."""
    n = len(mood)
    p = {
        "complaint": np.minimum(0.6, 0.003 + 0.04 * np.minimum(mood, 3) + 0.5 * sp_event),
        "inquiry": np.full(n, 0.02), "billing": 0.012 + 0.6 * in_arrears, "fault": np.full(n, 0.008),
        "termination_request": np.minimum(0.35, 0.07 * np.maximum(mood - 1.2, 0)),
        "plan_change": np.where(downgrade, 1.0, 0.006), "care": np.full(n, 0.012),
    }
    complaints *= 0.55
    requests *= 0.35
    retained = np.zeros(n, bool)
    for name, prob in p.items():
        eligible = usable | ((name == "billing") & in_arrears)
        idx = np.flatnonzero(eligible & (rng.random(n) < prob))
        if name == "complaint":
            complaints[idx] += 1
        elif name == "termination_request":
            kept = rng.random(len(idx)) < 0.35
            requests[idx] += np.where(kept, 0.4, 1.0)
            retained[idx[kept]] = True
        if t < 0 or not len(idx):
            continue
        span = np.maximum(last_day[idx] - day0 + 1, 1)
        day = day0 + (rng.random(len(idx)) * span).astype(np.int64)
        ev = out.events
        ev["line"].append(idx)
        ev["month"].append(np.full(len(idx), t))
        ev["topic"].append(np.full(len(idx), TOPIC[name]))
        ev["seconds"].append(day * 86400 + rng.integers(8 * 3600, 21 * 3600, len(idx)) - 8 * 3600)
        flag = {"complaint": sp_event, "billing": in_arrears, "termination_request": retained}
        ev["flag"].append(flag.get(name, np.zeros(n, bool))[idx])
    return retained
