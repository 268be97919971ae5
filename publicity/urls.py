from .parent_views import urlpatterns as parent_urlpatterns
from .policy_views import urlpatterns as policy_urlpatterns
from .settings_views import urlpatterns as settings_urlpatterns
from .slip_views import urlpatterns as slip_urlpatterns
from .views import urlpatterns as page_urlpatterns

app_name = "publicity"
urlpatterns = (
    page_urlpatterns + policy_urlpatterns + slip_urlpatterns + parent_urlpatterns + settings_urlpatterns
)
__all__ = ["app_name", "urlpatterns"]
