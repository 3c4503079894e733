"""The portal's URLs plus the benchmarks' ceiling page: the cheapest page a signed-in person
can get (session, middleware, a one-line template), the unit the other pages are measured
in."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import include, path

_ONE_LINE = engines["django"].from_string("<p>{{ request.user.get_username }}</p>")


@login_required
def ceiling(request: HttpRequest) -> HttpResponse:
    return HttpResponse(_ONE_LINE.render({}, request))


urlpatterns = [
    path("bench/ceiling/", ceiling),
    path("", include("portal.urls")),
]
