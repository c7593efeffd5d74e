from django.contrib.admin.apps import AdminConfig


class RecoveryAdminConfig(AdminConfig):
    default_site = "config.admin_site.RecoveryAdminSite"
