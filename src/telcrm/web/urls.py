from django.urls import path

from telcrm.web import views

urlpatterns = [
    path("", views.home, name="home"),
]
