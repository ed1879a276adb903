"""Value screens: rule versions and the customer value panel (by customer number)."""

from django.urls import path

from telcrm.value import views

urlpatterns = [
    path("rules/", views.rules_index, name="value-rules"),
    path("rules/<str:kind>/", views.rules_edit, name="value-rules-edit"),
    path("customers/<str:customer_no>/panel/", views.customer_value_panel, name="value-panel"),
]
