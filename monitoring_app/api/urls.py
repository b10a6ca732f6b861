"""/api/v1/stats (and /api/v1/stats/)."""

from django.urls import path

from monitoring_app.api.views import StatsAliasView, StatsView

urlpatterns = [
    path("stats", StatsView.as_view(), name="stats"),
    path("stats/", StatsAliasView.as_view()),
]
