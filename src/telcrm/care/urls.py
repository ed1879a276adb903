"""Care and marketing screens; customers are named by customer number, as elsewhere."""

from django.urls import path

from telcrm.care import desk_views, unsubscribe, views

urlpatterns = [
    path("", views.campaign_list, name="care-campaigns"),
    path("audiences/", views.audience_list, name="care-audiences"),
    path("audiences/new/", views.audience_edit, name="care-audience-new"),
    path("audiences/count/", views.audience_count, name="care-audience-count"),
    path("audiences/<int:audience_id>/", views.audience_edit, name="care-audience"),
    path("campaigns/new/", views.campaign_edit, name="care-campaign-new"),
    path("campaigns/<int:campaign_id>/", views.campaign_page, name="care-campaign"),
    path("campaigns/<int:campaign_id>/edit/", views.campaign_edit, name="care-campaign-edit"),
    path("campaigns/<int:campaign_id>/preview/", views.campaign_preview, name="care-campaign-preview"),
    path("campaigns/<int:campaign_id>/messages/<int:message_id>/settle/", views.settle_message,
         name="care-settle-message"),
    path("campaigns/<int:campaign_id>/<str:action>/", views.campaign_action, name="care-campaign-action"),
    path("programmes/", views.programmes_page, name="care-programmes"),
    path("triggers/", views.triggers_page, name="care-triggers"),
    path("home/", views.home_panel, name="care-home-panel"),
    path("products/", desk_views.product_list, name="care-products"),
    path("products/<int:product_id>/", desk_views.product_detail, name="care-product"),
    path("vouchers/redeem/", desk_views.redeem, name="care-redeem"),
    path("calls/", desk_views.call_list, name="care-calls"),
    path("calls/<int:task_id>/", desk_views.call_detail, name="care-call"),
    path("customers/<str:customer_no>/", desk_views.customer_panel, name="care-customer-panel"),
    path("customers/<str:customer_no>/consent/", desk_views.customer_consent, name="care-customer-consent"),
    path("unsubscribe/<str:token>/", unsubscribe.unsubscribe, name="care-unsubscribe"),
]
