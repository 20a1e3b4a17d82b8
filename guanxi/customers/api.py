from rest_framework import viewsets


class CustomerViewSet(viewsets.ViewSet):
    pass


ContactViewSet = InteractionViewSet = OrderViewSet = NeedViewSet = CustomerViewSet
