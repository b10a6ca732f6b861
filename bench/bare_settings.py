"""B7's bare Django project: the least a Django service needs (no Taskplane app), for a bare
gunicorn (bench/bare_wsgi.py), and for a bare control worker and a bare `celery beat` with
django-celery-beat's stock DatabaseScheduler (bench/bare_django_celery.py).
BENCH_BARE_DATABASE_URL names its database."""

import os

import dj_database_url
from django.http import JsonResponse
from django.urls import path

SECRET_KEY = "bench-bare-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "django_celery_beat"]
MIDDLEWARE = ["django.middleware.security.SecurityMiddleware", "django.middleware.common.CommonMiddleware"]
DATABASES = {"default": dj_database_url.parse(os.environ["BENCH_BARE_DATABASE_URL"])}
ROOT_URLCONF = __name__
USE_TZ = True
TIME_ZONE = "UTC"
DJANGO_CELERY_BEAT_TZ_AWARE = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def ping(request):
    from django.db import connection

    with connection.cursor() as cursor:  # one query, as a real endpoint would make
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})


urlpatterns = [path("", ping)]
