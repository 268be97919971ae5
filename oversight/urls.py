"""The oversight pages: /t/<township_slug>/oversight/… (township and village) and /county/ (county viewers)."""

from django.urls import include, path

from . import views

app_name = "oversight"

township_patterns = [
    path("", views.township_dashboard, name="dashboard"),
    path("dashboard.xlsx", views.township_xlsx, name="dashboard-xlsx"),
    path("report.pdf", views.township_pdf, name="dashboard-pdf"),
    path("villages/<int:pk>/", views.village_page, name="village"),
    path("villages/<int:pk>/dashboard.xlsx", views.village_xlsx, name="village-xlsx"),
    path("villages/<int:pk>/report.pdf", views.village_pdf, name="village-pdf"),
]
county_patterns = [
    path("", views.county_view, name="county"),
    path("dashboard.xlsx", views.county_xlsx, name="county-xlsx"),
]
urlpatterns = [
    path("t/<slug:township_slug>/oversight/", include(township_patterns)),
    path("county/", include(county_patterns)),
]
