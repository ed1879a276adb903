from django.contrib import admin
from django.urls import include, path

from telcrm.api.router import api

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("tmf-api/", api.urls),
    path("admin/", admin.site.urls),
    path("", include("telcrm.web.urls")),
]
