from django.contrib.auth import views as auth_views
from django.urls import include, path

from telcrm.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="web/login.html", redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("audit/", views.audit_page, name="audit-log"),
    path("account/tokens/", views.tokens_page, name="api-tokens"),
    path("customers/", include("telcrm.customers.urls")),
    path("dashboard/", views.dashboard_page, name="dashboard"),
    path("value/", include("telcrm.value.urls")),
    path("churn/", include("telcrm.churn.urls")),
    path("tickets/", include("telcrm.tickets.urls")),
    path("care/", include("telcrm.care.urls")),
]
