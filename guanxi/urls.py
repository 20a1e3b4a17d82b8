from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from guanxi.core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/v1/", include("guanxi.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("customers/", include("guanxi.customers.urls")),
    path("scoring/", include("guanxi.scoring.urls")),
    path("alerts/", include("guanxi.alerts.urls")),
    path("followup/", include("guanxi.followup.urls")),
    path("data/", include("guanxi.dataio.urls")),
    path("", RedirectView.as_view(pattern_name="customers:list", permanent=False)),
]
