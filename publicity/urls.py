from .views import urlpatterns

app_name = "publicity"
__all__ = ["app_name", "urlpatterns"]
