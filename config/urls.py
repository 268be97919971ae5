from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from households.views import accounts

urlpatterns = [
    path("", accounts.home, name="home"),
    path("accounts/", include("households.urls_accounts")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("platform/", include("households.onboarding.urls")),
    path("", include("publicity.urls")),
    path("", include("demonstration.public_urls")),
    path("t/<slug:township_slug>/", include("households.urls")),
    path("t/<slug:township_slug>/scoring/", include("scoring.urls")),
    path("t/<slug:township_slug>/review/", include("review.urls")),
    path("t/<slug:township_slug>/demonstration/", include("demonstration.urls")),
    path("r/<slug:region_slug>/demonstration/", include("demonstration.region_urls")),
    path("t/<slug:township_slug>/rewards/", include("rewards.urls")),
    path("", include("oversight.urls")),
    path("api/v1/t/<slug:township_slug>/", include("households.api.urls")),
    path("api/v1/t/<slug:township_slug>/", include("scoring.api.urls")),
    path("api/v1/t/<slug:township_slug>/", include("review.api.urls")),
    path("api/v1/t/<slug:township_slug>/", include("rewards.api.urls")),
    path("api/v1/t/<slug:township_slug>/", include("publicity.api.urls")),
    path("api/v1/t/<slug:township_slug>/", include("demonstration.api.township")),
    path("api/v1/r/<slug:region_slug>/", include("demonstration.api.region")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

handler400 = "core.api.bad_request"  # JSON under /api/, the usual page elsewhere
handler404 = "core.api.not_found"

# Media files (evidence photos, job files) are never served from /media/, not even with DEBUG: a township's files
# are fetched only through views that check the membership (scoring evidence-download, households job-download).
