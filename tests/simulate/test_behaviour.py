"""What the months hold: bills that add up, closures, seasonality, arrears and churn signal."""

from __future__ import annotations

import numpy as np
import pytest

from telcrm.simulate.churn import HazardInputs, monthly_hazard

SPRING_FESTIVAL_MONTH = "2026-02"  # Lunar New Year 2026-02-17, inside 2025-11..2026-10


def _auc(score: np.ndarray, positive: np.ndarray) -> float:
    ranks = np.empty(len(score))
    ranks[np.argsort(score, kind="stable")] = np.arange(1, len(score) + 1)
    n_pos, n_neg = positive.sum(), (~positive).sum()
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


class TestBills:
    def test_total_is_the_sum_of_the_categories(self, sql):
        wrong, rows = sql("""select count(*) filter (where total <> plan_fee + voice + data + sms + vas
                                                      + roaming + discount), count(*) from bills""")[0]
        assert rows > 0 and wrong == 0

    def test_charges_are_positive_and_discounts_negative(self, sql):
        bad = sql("""select count(*) from bills where least(plan_fee, voice, data, sms, vas, roaming) < 0
                     or discount > 0 or total < 0""")[0][0]
        assert bad == 0
        assert sql("select count(*) filter (where discount < 0) from bills")[0][0] > 0

    def test_usage_has_a_row_for_every_bill(self, sql):
        assert sql("select count(*) from bills full join usage using (msisdn, month) "
                   "where bills.total is null or usage.voice_minutes is null")[0][0] == 0
        assert sql("select count(*) from usage where competitor_minutes > voice_minutes")[0][0] == 0


class TestLifecycle:
    def test_no_bill_after_the_month_a_line_closed(self, sql):
        closed = sql("select count(*) from subscriptions where status = 'closed'")[0][0]
        late = sql("""select count(*) from bills b join subscriptions s using (msisdn)
                      where s.status = 'closed' and b.month > strftime(s.status_date, '%Y-%m')""")[0][0]
        assert closed > 0 and late == 0

    def test_no_bill_before_activation(self, sql):
        early = sql("""select count(*) from bills b join subscriptions s using (msisdn)
                       where b.month < strftime(s.activated_on, '%Y-%m')""")[0][0]
        assert early == 0

    def test_some_lines_join_inside_the_window(self, sql):
        first = sql("select min(month) from bills")[0][0]
        joined = sql(f"select count(*) from subscriptions where strftime(activated_on, '%Y-%m') > '{first}'")
        assert joined[0][0] > 0.05 * sql("select count(*) from subscriptions")[0][0]

    def test_arrears_suspend_and_close_postpaid_lines(self, sql):
        states = dict(sql("""select status || '/' || coalesce(status_reason, ''), count(*)
                             from subscriptions group by 1"""))
        assert states.get("suspended/arrears", 0) > 0
        assert states.get("closed/non_payment", 0) > 0
        prepaid_cut = sql("""select count(*) from subscriptions where payment_type = 'prepaid'
                             and status_reason in ('arrears', 'non_payment')""")[0][0]
        assert prepaid_cut == 0

    def test_suspended_accounts_paid_less_than_they_were_billed(self, sql):
        owed = sql("""
            with accounts_in_arrears as (
                select distinct account_no from subscriptions where status_reason = 'arrears'),
            billed as (select s.account_no, sum(b.total) amount from bills b
                       join subscriptions s using (msisdn) where s.payment_type = 'postpaid' group by 1),
            paid as (select account_no, sum(amount) amount from payments group by 1)
            select count(*), count(*) filter (where coalesce(p.amount, 0) < b.amount)
            from accounts_in_arrears a join billed b using (account_no) left join paid p using (account_no)
        """)[0]
        assert owed[0] > 0 and owed[1] == owed[0]


class TestSeasonality:
    def test_spring_festival_raises_calls_sms_and_roaming(self, sql):
        rows = sql(f"""select b.month = '{SPRING_FESTIVAL_MONTH}', avg(u.voice_minutes), avg(u.sms_count),
                              avg(b.roaming)
                       from bills b join usage u using (msisdn, month)
                       where b.month not in ('2026-07', '2026-08') group by 1""")
        by = {festival: (voice, sms, roaming) for festival, voice, sms, roaming in rows}
        festival, other = by[True], by[False]
        assert festival[0] > 1.15 * other[0]
        assert festival[1] > 1.6 * other[1]
        assert festival[2] > 1.8 * float(other[2])


@pytest.fixture(scope="module")
def before_churn(sql):
    """Churners' and stayers' previous month against their usual (three months before).

    Lines under six months old are left out: their prorated first bill is no "usual" spend.
    """
    rows = sql("""
        with u as (
            select msisdn, month, competitor_minutes / nullif(voice_minutes, 0) share,
                   lag(competitor_minutes / nullif(voice_minutes, 0)) over w share_prev
            from usage window w as (partition by msisdn order by month)),
        b as (
            select msisdn, month,
                   lag(total, 1) over w prev,
                   avg(total) over (partition by msisdn order by month
                                    rows between 4 preceding and 2 preceding) usual
            from bills window w as (partition by msisdn order by month)),
        requests as (
            select t.msisdn, t.month, count(i.interaction_no) filter (
                where i.topic = 'termination_request') n_requests,
                count(i.interaction_no) filter (where i.topic = 'complaint') n_complaints
            from churn_truth t left join interactions i on i.msisdn = t.msisdn
                 and strftime(i.occurred_at at time zone 'Asia/Shanghai', '%Y-%m') < t.month
                 and strftime(i.occurred_at at time zone 'Asia/Shanghai', '%Y-%m')
                     >= strftime(cast(t.month || '-01' as date) - interval 2 month, '%Y-%m')
            group by all)
        select t.churned, avg(u.share_prev), median(b.prev / nullif(b.usual, 0)),
               avg((r.n_requests > 0)::int), avg((r.n_complaints > 0)::int)
        from churn_truth t join u using (msisdn, month) join b using (msisdn, month)
             join requests r using (msisdn, month)
             join subscriptions s using (msisdn)
    where t.month >= '2026-03' and b.usual is not null
      and s.activated_on < cast(t.month || '-01' as date) - interval 6 month  -- no first bills
        group by 1""")
    return {churned: values for churned, *values in rows}


class TestChurn:
    def test_monthly_churn_rate_is_realistic(self, sql):
        rates = [r[0] for r in sql("select avg(churned::int) from churn_truth group by month")]
        assert len(rates) == 12
        assert 0.007 < np.mean(rates) < 0.025
        assert max(rates) < 0.05

    def test_closed_for_churn_lines_are_the_truth_churners(self, sql):
        diff = sql("""select count(*) from (
                        select msisdn, strftime(status_date, '%Y-%m') as month from subscriptions
                        where status_reason = 'churn'
                        except select msisdn, month from churn_truth where churned)""")[0][0]
        churners = sql("select count(*) from churn_truth where churned")[0][0]
        closed = sql("select count(*) from subscriptions where status_reason = 'churn'")[0][0]
        assert diff == 0 and churners == closed > 0

    def test_truth_hazard_is_calibrated_and_discriminating(self, sql):
        hazard, churned = map(np.array, zip(*sql("select hazard, churned from churn_truth"), strict=True))
        rate, expected = churned.mean(), hazard.mean()
        se = np.sqrt(expected * (1 - expected) / len(hazard))
        assert abs(rate - expected) < 4 * se
        assert _auc(hazard, churned.astype(bool)) > 0.7

    def test_churners_called_competitors_more(self, before_churn):
        assert before_churn[True][0] > before_churn[False][0] + 0.03

    def test_churners_spend_declined(self, before_churn):
        assert before_churn[True][1] < before_churn[False][1] - 0.05

    def test_termination_requests_and_complaints_precede_churn(self, before_churn):
        assert before_churn[True][2] > 5 * before_churn[False][2]
        assert before_churn[True][3] > 2 * before_churn[False][3]


class TestHazard:
    """The hazard moves with each driver in the direction domain.md section 3 gives it."""

    @staticmethod
    def _inputs(**changes: float) -> HazardInputs:
        base = {"spend_decline": 0.0, "complaints": 0.0, "competitor_share": 0.35, "tenure_months": 36.0,
                "months_after_contract_end": np.nan, "termination_requests": 0.0, "prepaid": False,
                "enterprise_line": False, "frailty": 0.0}
        base.update(changes)
        return HazardInputs(**{k: np.array([v]) for k, v in base.items()})

    @pytest.mark.parametrize("driver, value", [
        ("spend_decline", 0.5), ("complaints", 2.0), ("competitor_share", 0.6), ("tenure_months", 3.0),
        ("months_after_contract_end", 1.0), ("termination_requests", 1.0), ("prepaid", True),
    ])
    def test_driver_raises_the_hazard(self, driver, value):
        assert monthly_hazard(self._inputs(**{driver: value}))[0] > monthly_hazard(self._inputs())[0]

    @pytest.mark.parametrize("driver, value", [
        ("months_after_contract_end", -5.0), ("enterprise_line", True), ("spend_decline", -0.5),
    ])
    def test_contract_and_enterprise_lower_it_and_growth_does_not_raise_it(self, driver, value):
        assert monthly_hazard(self._inputs(**{driver: value}))[0] <= monthly_hazard(self._inputs())[0]

    def test_hazard_is_capped(self):
        worst = self._inputs(spend_decline=1.0, complaints=9, competitor_share=1.0, tenure_months=1,
                             months_after_contract_end=1.0, termination_requests=5, frailty=3.0)
        assert monthly_hazard(worst)[0] == pytest.approx(0.9)


class TestDemoOperator:
    def test_status_dates_never_precede_activation_in_the_demo_operator(self, tmp_path):
        """The demo's own configuration (100k x 24, seed 42) once suspended a few lines for
        their account's arrears on a day before they were activated, and the import
        rejected the file."""
        import duckdb

        from telcrm.simulate.generator import SimulationConfig, simulate

        simulate(SimulationConfig(subscribers=100_000, months=24, seed=42, out=tmp_path, end_month="2026-10"),
                 progress=False)
        early = duckdb.sql(f"""select count(*) from '{tmp_path}/subscriptions.parquet'
                               where status_date < activated_on""").fetchall()[0][0]
        assert early == 0
