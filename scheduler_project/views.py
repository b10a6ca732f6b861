from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.http import require_GET


@require_GET
def health(request):
    """Liveness only: answers whenever the process is up, touching no dependency."""
    return JsonResponse({"status": "ok", "version": settings.VERSION, "instance_id": settings.INSTANCE_ID})
