import datetime as dt

import pytest
from django.utils import timezone

from telcrm.core.errors import PermissionDenied, ValidationFailed
from telcrm.core.models import ApiToken, AuditAction, AuditEntry
from telcrm.core.roles import Role
from telcrm.core.tokens import authenticate_token, issue_token, revoke_token
from tests import factories as f

pytestmark = pytest.mark.django_db


class TestIssue:
    def test_raw_token_authenticates_its_user(self):
        u = f.user(Role.ANALYST)
        _token, raw = issue_token(u, name="notebook")
        assert authenticate_token(raw) == u

    def test_only_a_hash_is_stored(self):
        token, raw = issue_token(f.user(Role.ANALYST), name="etl")
        token.refresh_from_db()
        assert raw not in (token.key_hash, token.prefix) and len(token.key_hash) == 64
        assert raw.startswith(token.prefix)

    def test_issue_is_audited(self):
        u = f.user(Role.ANALYST)
        token, _raw = issue_token(u, name="etl")
        entry = AuditEntry.objects.get(action=AuditAction.TOKEN)
        assert (entry.actor, entry.subject_id) == (u, str(token.pk))
        assert entry.detail["event"] == "issued"

    def test_blank_name_is_refused(self):
        with pytest.raises(ValidationFailed, match=r"^name:"):
            issue_token(f.user(Role.ANALYST), name="  ")

    def test_anonymous_cannot_issue(self):
        from django.contrib.auth.models import AnonymousUser
        with pytest.raises(PermissionDenied):
            issue_token(AnonymousUser(), name="x")


class TestAuthenticate:
    def test_unknown_or_malformed_tokens_fail(self):
        issue_token(f.user(Role.ANALYST), name="a")
        assert authenticate_token("tc_not-a-real-token") is None
        assert authenticate_token("") is None

    def test_inactive_user_is_refused(self):
        u = f.user(Role.ANALYST)
        _t, raw = issue_token(u, name="a")
        u.is_active = False
        u.save()
        assert authenticate_token(raw) is None

    def test_last_used_is_recorded(self):
        token, raw = issue_token(f.user(Role.ANALYST), name="a")
        before = timezone.now()
        authenticate_token(raw)
        token.refresh_from_db()
        assert token.last_used_at is not None and token.last_used_at >= before

    def test_last_used_refreshed_after_a_minute(self):
        token, raw = issue_token(f.user(Role.ANALYST), name="a")
        old = timezone.now() - dt.timedelta(minutes=5)
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=old)
        authenticate_token(raw)
        token.refresh_from_db()
        assert token.last_used_at > old + dt.timedelta(minutes=4)

    def test_token_has_the_users_permissions(self):
        _t, raw = issue_token(f.user(Role.AUDITOR), name="a")
        user = authenticate_token(raw)
        assert user.has_perm("core.view_auditentry") and not user.has_perm("core.export_data")


class TestRevoke:
    def test_revoked_token_no_longer_authenticates(self):
        u = f.user(Role.ANALYST)
        token, raw = issue_token(u, name="a")
        revoke_token(u, token=token)
        assert authenticate_token(raw) is None
        events = list(AuditEntry.objects.filter(action=AuditAction.TOKEN)
                      .order_by("id").values_list("detail__event", flat=True))
        assert events == ["issued", "revoked"]

    def test_others_token_is_refused(self):
        token, raw = issue_token(f.user(Role.ANALYST), name="a")
        with pytest.raises(PermissionDenied):
            revoke_token(f.user(Role.MANAGER), token=token)
        assert authenticate_token(raw) is not None

    def test_administrator_revokes_any(self):
        token, raw = issue_token(f.user(Role.ANALYST), name="a")
        revoke_token(f.user(Role.ADMINISTRATOR), token=token)
        assert authenticate_token(raw) is None

    def test_revoking_twice_audits_once(self):
        u = f.user(Role.ANALYST)
        token, _raw = issue_token(u, name="a")
        revoke_token(u, token=token)
        revoke_token(u, token=token)
        assert AuditEntry.objects.filter(detail__event="revoked").count() == 1
