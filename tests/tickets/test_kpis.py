"""KPIs on small hand-built rows: every expected figure is counted by hand in the test."""

import datetime as dt

import pytest

from telcrm.tickets import kpis
from telcrm.tickets.kpis import Share, TicketFacts, VisitFacts

TZ = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=TZ)


def t(agent="li", team="t1", region="SH-XH", *, opened_days_ago=5.0, resolved_days_ago=None,
      due_days_ago=None, first=False, escalated=False, contact=0.0, paperwork=0.0) -> TicketFacts:
    def ago(days):
        return None if days is None else NOW - dt.timedelta(days=days)
    return TicketFacts(agent=agent, team=team, region=region, opened_at=ago(opened_days_ago),
                       resolved_at=ago(resolved_days_ago), resolution_due=ago(due_days_ago),
                       first_contact=first, escalated=escalated, contact_minutes=contact,
                       non_contact_minutes=paperwork)


def v(agent="li", team="t1", *, due_days_ago=1.0, done_days_ago=None, reached=True, score=None):
    return VisitFacts(agent=agent, team=team, region="SH-XH", due=NOW - dt.timedelta(days=due_days_ago),
                      done_at=None if done_days_ago is None else NOW - dt.timedelta(days=done_days_ago),
                      reached=reached, satisfaction=score)


class TestShares:
    def test_first_contact_counts_only_resolved_tickets(self):
        rows = [t(resolved_days_ago=1, first=True), t(resolved_days_ago=1),
                t(resolved_days_ago=2, first=True), t(first=True)]  # the last is still open
        assert kpis.first_contact_resolution(rows) == Share(2, 3)

    def test_empowerment_is_share_never_escalated(self):
        rows = [t(resolved_days_ago=1, escalated=True), t(resolved_days_ago=1), t(escalated=True)]
        assert kpis.empowerment(rows) == Share(1, 2)

    def test_empty_share_has_no_value(self):
        assert kpis.empowerment([]).value is None
        assert Share(1, 4).value == 0.25

    def test_shares_add_counts_not_rates(self):
        assert (Share(1, 2) + Share(9, 10)).value == pytest.approx(10 / 12)


class TestTimes:
    def test_handle_time_is_mean_over_resolved(self):
        rows = [t(resolved_days_ago=1, contact=4, paperwork=6), t(resolved_days_ago=1, contact=30),
                t(contact=500)]
        assert kpis.average_handle_minutes(rows) == 20

    def test_non_contact_share(self):
        rows = [t("li", contact=30, paperwork=10), t("wang", contact=50, paperwork=30)]
        assert kpis.non_contact_share(rows) == pytest.approx(40 / 120)

    def test_non_contact_without_working_time(self):
        assert kpis.non_contact_share([t()]) is None


class TestBacklog:
    def test_age_bands_and_resolved_left_out(self):
        rows = [t(opened_days_ago=0.5), t(opened_days_ago=1.0), t(opened_days_ago=2.9),
                t(opened_days_ago=3), t(opened_days_ago=30), t(opened_days_ago=9, resolved_days_ago=1),
                t(opened_days_ago=-1)]  # opened after "now": not in the backlog yet
        assert kpis.backlog_ageing(rows, now=NOW) == {"<1d": 1, "1-3d": 2, "3-7d": 1, ">7d": 1}

    def test_resolved_after_now_still_counts_as_open_then(self):
        assert kpis.backlog_ageing([t(opened_days_ago=2, resolved_days_ago=-1)], now=NOW)["1-3d"] == 1


class TestSla:
    def test_met_late_breached_and_not_yet_due(self):
        rows = [t(resolved_days_ago=3, due_days_ago=2),  # met
                t(resolved_days_ago=1, due_days_ago=2),  # late
                t(due_days_ago=1),                       # open past its deadline: breached
                t(due_days_ago=-1),                      # open, not yet due: no outcome
                t(resolved_days_ago=1)]                  # no deadline: not measured
        assert kpis.sla_attainment(rows, now=NOW) == Share(1, 3)


class TestVisits:
    def test_satisfaction_of_reached_only(self):
        rows = [v(done_days_ago=1, score=9), v(done_days_ago=1, score=6),
                v(done_days_ago=1, reached=False, score=1), v(done_days_ago=1)]
        assert kpis.visit_satisfaction(rows) == 7.5

    def test_rate_and_timeliness(self):
        rows = [v(due_days_ago=2, done_days_ago=3),   # on time
                v(due_days_ago=2, done_days_ago=1),   # late
                v(due_days_ago=1),                    # due, not made
                v(due_days_ago=-2)]                   # not due yet
        assert kpis.visit_rate(rows, now=NOW) == Share(2, 3)
        assert kpis.visit_timeliness(rows) == Share(1, 2)


class TestGrouping:
    def test_team_card_is_sum_of_its_agents(self):
        rows = [t("li", "t1", resolved_days_ago=1, first=True), t("wang", "t1", resolved_days_ago=1),
                t("zhao", "t2", resolved_days_ago=1, escalated=True)]
        agents = kpis.scorecards_by("agent", rows, [], now=NOW)
        teams = {c.key: c for c in kpis.scorecards_by("team", rows, [], now=NOW)}
        assert [c.key for c in agents] == ["li", "wang", "zhao"]
        t1_agents = [c for c in agents if c.key in ("li", "wang")]
        assert teams["t1"].first_contact == t1_agents[0].first_contact + t1_agents[1].first_contact
        assert teams["t1"].first_contact == Share(1, 2)
        assert teams["t2"].empowerment == Share(0, 1)

    def test_monthly_trend_backlog_at_month_end(self):
        rows = [TicketFacts("li", "t1", "SH-XH", opened_at=dt.datetime(2026, 10, 20, tzinfo=TZ),
                            resolved_at=dt.datetime(2026, 11, 2, tzinfo=TZ), resolution_due=None),
                TicketFacts("li", "t1", "SH-XH", opened_at=dt.datetime(2026, 11, 3, tzinfo=TZ),
                            resolved_at=None, resolution_due=None)]
        oct_, nov = kpis.monthly_trend(rows, [], now=NOW)
        assert (oct_.key, nov.key) == ("2026-10", "2026-11")
        assert sum(oct_.backlog.values()) == 1  # still open on 1 November
        assert oct_.resolved == 1 and nov.resolved == 0 and sum(nov.backlog.values()) == 1
