from django.urls import path

from portal import views

app_name = "portal"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("me/photo/", views.photo, name="photo"),
    path("browser-notice/dismiss/", views.dismiss_browser_notice, name="dismiss_browser_notice"),
    path("dev/outbox/", views.outbox, name="outbox"),
    path("deliveries/<str:pk>/", views.delivery_status, name="delivery_status"),
]
