"""/api/v1/: one router for every app's resources."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from guanxi.accounts.api import TeamViewSet, UserViewSet, obtain_token
from guanxi.alerts.api import AlertViewSet
from guanxi.customers.api import (
    ContactViewSet,
    CustomerViewSet,
    InteractionViewSet,
    NeedViewSet,
    OrderViewSet,
)
from guanxi.followup.api import CadenceRuleViewSet, CallListViewSet, FollowUpViewSet
from guanxi.scoring.api import ScoreViewSet
from guanxi.scoring.api_standards import StandardViewSet

router = DefaultRouter()
router.register("customers", CustomerViewSet, basename="customer")
router.register("contacts", ContactViewSet, basename="contact")
router.register("interactions", InteractionViewSet, basename="interaction")
router.register("orders", OrderViewSet, basename="order")
router.register("needs", NeedViewSet, basename="need")
router.register("scores", ScoreViewSet, basename="score")
router.register("standards", StandardViewSet, basename="standard")
router.register("alerts", AlertViewSet, basename="alert")
router.register("calllist", CallListViewSet, basename="calllist")
router.register("followups", FollowUpViewSet, basename="followup")
router.register("cadences", CadenceRuleViewSet, basename="cadence")
router.register("users", UserViewSet, basename="user")
router.register("teams", TeamViewSet, basename="team")

urlpatterns = [
    path("auth/token/", obtain_token, name="api-token"),
    path("", include(router.urls)),
]
