"""Churn screens: the warnings inbox, a warning, follow-up outcomes, who stayed, the export
and the customer risk panel (by customer number)."""

from django.urls import path

from telcrm.churn import views

urlpatterns = [
    path("inbox/", views.inbox_page, name="churn-inbox"),
    path("inbox/export/", views.inbox_export, name="churn-inbox-export"),
    path("inbox/stayed/", views.stayed_page, name="churn-stayed"),
    path("warnings/<int:warning_id>/", views.warning_detail, name="churn-warning"),
    path("follow-ups/<int:follow_up_id>/outcome/", views.follow_up_outcome, name="churn-follow-up-outcome"),
    path("customers/<str:customer_no>/risk/", views.customer_risk_panel, name="churn-risk-panel"),
]
