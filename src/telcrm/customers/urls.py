"""Customer pages; the URLs name a customer by its customer number, never by a phone or
ID number (those must not appear in URLs, logs or browser history)."""

from django.urls import path

from telcrm.customers import views

urlpatterns = [
    path("", views.customer_search, name="customer-search"),
    path("export/", views.customer_export, name="customer-export"),
    path("<str:customer_no>/", views.customer_detail, name="customer-detail"),
    path("<str:customer_no>/lines/", views.customer_lines, name="customer-lines"),
    path("<str:customer_no>/timeline/", views.customer_timeline, name="customer-timeline"),
    path("<str:customer_no>/reveal/", views.reveal, name="customer-reveal"),
    path("<str:customer_no>/edit/", views.customer_edit, name="customer-edit"),
    path("<str:customer_no>/duplicates/", views.customer_duplicates, name="customer-duplicates"),
    path("<str:customer_no>/merge/", views.customer_merge, name="customer-merge"),
]
