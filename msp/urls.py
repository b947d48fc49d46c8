from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from msp.forms.auth import QueuedPasswordResetForm
from msp.views import auth, clients, invitations, mail, notifications, tenancy

client_patterns = (
    [
        path("", clients.ClientListView.as_view(), name="list"),
        path("new/", clients.ClientCreateView.as_view(), name="create"),
        path("<int:pk>/", clients.ClientDetailView.as_view(), name="detail"),
        path("<int:pk>/edit/", clients.ClientUpdateView.as_view(), name="update"),
        path("<int:pk>/delete/", clients.ClientDeleteView.as_view(), name="delete"),
        path("<int:client_pk>/sites/new/", clients.SiteCreateView.as_view(), name="site-create"),
        path("<int:client_pk>/contacts/new/", clients.ContactCreateView.as_view(), name="contact-create"),
    ],
    "clients",
)
site_patterns = (
    [
        path("<int:pk>/", clients.SiteDetailView.as_view(), name="detail"),
        path("<int:pk>/edit/", clients.SiteUpdateView.as_view(), name="update"),
        path("<int:pk>/delete/", clients.SiteDeleteView.as_view(), name="delete"),
    ],
    "sites",
)
contact_patterns = (
    [
        path("", clients.ContactListView.as_view(), name="list"),
        path("<int:pk>/", clients.ContactDetailView.as_view(), name="detail"),
        path("<int:pk>/edit/", clients.ContactUpdateView.as_view(), name="update"),
        path("<int:pk>/delete/", clients.ContactDeleteView.as_view(), name="delete"),
        path("<int:pk>/invite/", invitations.ContactPortalInviteView.as_view(), name="invite"),
    ],
    "contacts",
)
member_patterns = (
    [
        path("", tenancy.MemberListView.as_view(), name="list"),
        path("invite/", tenancy.MemberInviteView.as_view(), name="invite"),
        path("<int:pk>/edit/", tenancy.MemberEditView.as_view(), name="update"),
        path("<int:pk>/remove/", tenancy.MemberRemoveView.as_view(), name="delete"),
        path(
            "invitations/<int:pk>/resend/",
            invitations.InvitationResendView.as_view(),
            name="invitation-resend",
        ),
        path(
            "invitations/<int:pk>/revoke/",
            invitations.InvitationRevokeView.as_view(),
            name="invitation-revoke",
        ),
    ],
    "members",
)
mail_patterns = (
    [
        path("", mail.OutboundEmailListView.as_view(), name="list"),
        path("<int:pk>/retry/", mail.OutboundEmailRetryView.as_view(), name="retry"),
    ],
    "mail",
)
notification_patterns = (
    [
        path("", notifications.NotificationListView.as_view(), name="list"),
        path("read/", notifications.NotificationReadAllView.as_view(), name="read-all"),
        path("<int:pk>/read/", notifications.NotificationReadView.as_view(), name="read"),
        path("unread/", notifications.NotificationBadgeView.as_view(), name="badge"),
        path("settings/", notifications.NotificationSettingsView.as_view(), name="settings"),
    ],
    "notifications",
)

urlpatterns = [
    path("", include("reports.urls")),  # the dashboard, per role
    path("signup/", auth.SignupView.as_view(), name="signup"),
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(
            form_class=QueuedPasswordResetForm,
            template_name="msp/auth/password_reset.html",
            email_template_name="msp/email/password_reset.txt",
            subject_template_name="msp/email/password_reset_subject.txt",
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="msp/auth/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(template_name="msp/auth/password_reset_confirm.html"),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="msp/auth/password_reset_complete.html"),
        name="password_reset_complete",
    ),
    path("invitations/<str:key>/", invitations.InvitationView.as_view(), name="invitation"),
    path("no-organisation/", tenancy.no_tenant, name="no_tenant"),
    path("switch/", tenancy.tenant_switch_view, name="tenant_switch"),
    path("account/language/", tenancy.account_language, name="account_language"),
    path("account/time-zone/", tenancy.account_time_zone, name="account_time_zone"),
    path("settings/", tenancy.TenantSettingsView.as_view(), name="tenant_settings"),
    path("settings/mail-server/test/", tenancy.TenantSmtpTestView.as_view(), name="tenant_smtp_test"),
    path("settings/mail/", include(mail_patterns)),
    path("notifications/", include(notification_patterns)),
    path("settings/sla/", include("contracts.urls.sla")),  # SLA calendars and policies
    path("clients/", include(client_patterns)),
    path("sites/", include(site_patterns)),
    path("contacts/", include(contact_patterns)),
    path("members/", include(member_patterns)),
    path("assets/", include("assets.urls")),
    path("tiers/", include("contracts.urls.tiers")),
    path("services/", include("contracts.urls.services")),
    path("offers/", include("sales.urls")),
    path("contracts/", include("contracts.urls.contracts")),
    path("tickets/", include("tickets.urls")),
    path("time/", include("timetracking.urls")),
    path("invoices/", include("billing.urls")),
    path("monitoring/", include("monitoring.urls")),
    path("inbox/", include("inbox.urls")),
    path("portal/", include("portal.urls")),
    path("api/v1/", include("msp.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
]

handler400 = "msp.views.errors.bad_request"
handler404 = "msp.views.errors.not_found"
handler403 = "msp.views.errors.permission_denied"
handler500 = "msp.views.errors.server_error"
