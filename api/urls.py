"""The API's addresses: /api/v1/ (the requests' own in api/urls_requests.py), the schema and its
documentation."""

from django.urls import include, path, re_path

from api.errors import api_not_found
from api.views import docs, queues, reference

app_name = "api"

v1_patterns = [
    path("reference/priorities/", reference.PriorityList.as_view(), name="priorities"),
    path("reference/categories/", reference.CategoryList.as_view(), name="categories"),
    path("reference/types/", reference.RequestTypeList.as_view(), name="types"),
    path("reference/modules/", reference.ErpModuleList.as_view(), name="modules"),
    path("reference/resolutions/", reference.ResolutionList.as_view(), name="resolutions"),
    path("queues/", queues.QueueList.as_view(), name="queues"),
    path("queues/<slug:slug>/requests/", queues.QueueRequestList.as_view(),
         name="queue_requests"),
]

urlpatterns = [
    path("schema/", docs.SchemaView.as_view(), name="schema"),
    path("docs/", docs.DocsView.as_view(), name="docs"),
    path("v1/", include(v1_patterns)),
    path("v1/", include("api.urls_requests")),
    # Last: any other address under /api/ answers the API's JSON 404, not the portal's page.
    re_path(r"^", api_not_found, name="not_found"),
]
