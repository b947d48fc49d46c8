from django.urls import path

from sales import views as offers

app_name = "offers"
urlpatterns = [
    path("", offers.OfferListView.as_view(), name="list"),
    path("new/", offers.OfferBuilderView.as_view(), name="create"),
    path("price/", offers.OfferPriceView.as_view(), name="price"),
    path("<int:pk>/", offers.OfferDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", offers.OfferUpdateView.as_view(), name="update"),
    path("<int:pk>/duplicate/", offers.OfferDuplicateView.as_view(), name="duplicate"),
    path("<int:pk>/pdf/", offers.OfferPdfView.as_view(), name="pdf"),
    path("<int:pk>/send/", offers.OfferSendView.as_view(), name="send"),
    path("<int:pk>/accept/", offers.OfferAcceptView.as_view(), name="accept"),
    path("<int:pk>/decline/", offers.OfferDeclineView.as_view(), name="decline"),
    path("<int:pk>/delete/", offers.OfferDeleteView.as_view(), name="delete"),
]
