"""Township pages of the demonstration programme, under /t/<township_slug>/demonstration/."""

from .award_views import urlpatterns as award_urlpatterns
from .evaluation_views import urlpatterns as evaluation_urlpatterns
from .notice_views import township_urlpatterns as notice_urlpatterns
from .views import urlpatterns as page_urlpatterns

app_name = "demonstration"
urlpatterns = [*page_urlpatterns, *notice_urlpatterns, *evaluation_urlpatterns, *award_urlpatterns]
